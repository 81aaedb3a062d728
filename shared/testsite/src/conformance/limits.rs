//! The crawl's limits: --max-tasks (as the server counts it), --max-tries, --max-pages and
//! --max-depth.
//! The rules: docs/contract.md, "Limits: max pages and max depth", "Tries and network errors".

use super::{CrawlFn, Run};
use std::time::Duration;

use crate::{Fault, Latency, Resource, Site, SiteSpec};

/// `n` leaf pages, all linked from `/`.
fn fan_out(n: usize) -> Site {
    let paths: Vec<String> = (0..n).map(|i| format!("/{i}")).collect();
    let links: Vec<&str> = paths.iter().map(String::as_str).collect();
    paths.iter().fold(Site::new().page("/", &links), |site, p| site.page(p, &[]))
}

/// With 100 pages waiting, the server sees exactly --max-tasks requests at once, never more. The
/// site's barrier holds requests until that many are in flight, so "exactly" does not depend on
/// timing luck: a crawler that ran fewer would leave the peak short. Every request then takes
/// 20 ms, so that a crawler running more than --max-tasks would have them overlap and show it.
pub fn max_tasks_reached_exactly(crawl: CrawlFn) {
    for max_tasks in [3, 10] {
        let latency = Latency::Fixed(Duration::from_millis(20));
        let site = fan_out(100).with_barrier(max_tasks).with_latency(latency);
        let run = Run::new(crawl, &site, |c| {
            c.max_tasks(max_tasks);
        });
        assert_eq!(run.report.stats.len(), 101);
        assert_eq!(run.server.peak_in_flight(), max_tasks, "peak of simultaneous requests");
        run.assert_each_fetched_once();
    }
}

/// A server that closes the connection without answering the first two requests: with
/// --max-tries 3 the third request succeeds; with 2 or 1 the URL fails after that many.
///
/// Every response says `Connection: close`, so each request is on a new connection: on a
/// reused one, a close before any byte is the keep-alive rule's resend, not a try
/// (`keep_alive.rs` checks that side).
pub fn max_tries_with_closed_connections(crawl: CrawlFn) {
    let page = Resource::Page {
        status: 200,
        content_type: Some("text/html".into()),
        body: "<p>finally</p>".into(),
        links: vec![],
    };
    let site = Site::new()
        .page("/", &["/flaky"])
        .fault("/flaky", Fault::FlakyClose { failures: 2, then: Box::new(page) })
        .without_keep_alive();
    for max_tries in [1, 2, 3, 4] {
        let run = Run::new(crawl, &site, |c| {
            c.max_tries(max_tries);
        });
        let s = run.stat("/flaky");
        if max_tries > 2 {
            assert_eq!(s.status, Some(200), "max_tries {max_tries}");
            assert_eq!(run.server.requests("/flaky"), 3);
        } else {
            assert_eq!(
                s.exception.as_deref(),
                Some("ConnectionClosed: connection closed before the response was complete"),
                "max_tries {max_tries}"
            );
            assert_eq!(run.server.requests("/flaky"), max_tries as usize);
        }
        run.assert_oracle(&site);
    }
}

/// --max-pages caps the URLs enqueued, roots included: exactly N records, whatever
/// --max-tasks; with one task, exactly the oracle's first-in-first-out N.
pub fn max_pages(crawl: CrawlFn) {
    let site = SiteSpec { seed: 3, ..SiteSpec::with_pages(300) }.generate();
    let run = Run::new(crawl, &site, |c| {
        c.max_pages(Some(50));
        c.max_tasks(1);
    });
    assert_eq!(run.report.stats.len(), 50);
    run.assert_oracle(&site);
    run.assert_each_fetched_once();
    let run = Run::new(crawl, &site, |c| {
        c.max_pages(Some(50));
        c.max_tasks(8);
    });
    assert_eq!(run.report.stats.len(), 50);
    run.assert_each_fetched_once();
}

/// --max-depth N: links more than N hops from a root are not enqueued; a redirect adds no hop.
pub fn max_depth(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/a", "/r"])
        .page("/a", &["/b"])
        .page("/b", &["/c"])
        .page("/c", &[])
        .redirect("/r", "/ra", 302)
        .page("/ra", &["/rb"])
        .page("/rb", &[]);
    let run = Run::new(crawl, &site, |c| {
        c.max_depth(Some(1));
    });
    run.assert_done(&["/", "/a", "/r", "/ra"]);
    assert_eq!(run.stat("/a").num_new_urls, 1, "a refused link still counts as new");
    run.assert_oracle(&site);
    let run = Run::new(crawl, &site, |c| {
        c.max_depth(Some(0));
    });
    run.assert_done(&["/"]);
    let run = Run::new(crawl, &site, |c| {
        c.max_depth(Some(2));
    });
    run.assert_done(&["/", "/a", "/b", "/r", "/ra", "/rb"]);
}
