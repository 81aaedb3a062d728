//! Generated sites at scale, checked against the oracle; determinism; and Ctrl-C.
//! The rules: docs/contract.md, "Each URL once", "Reproducible reports", "Ctrl-C", "The end of a
//! crawl".

use std::time::Duration;

use super::{CrawlFn, Run, check_invariants};
use crate::{Latency, SiteSpec};

/// A 2,000-page site: redirects, chains, 404s, images, legacy charsets, a deep chain, cycles.
fn big_site() -> crate::Site {
    SiteSpec { seed: 2000, ..SiteSpec::with_pages(2_000) }.generate()
}

/// One task: every reachable URL exactly once, none missing, none twice, as the oracle says.
pub fn generated_site_one_task(crawl: CrawlFn) {
    let site = big_site();
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(1);
    });
    assert!(run.report.stats.len() > 2_000);
    run.assert_oracle(&site);
    run.assert_each_fetched_once();
}

/// Fifty tasks: the same records as the oracle, each URL requested once.
pub fn generated_site_fifty_tasks(crawl: CrawlFn) {
    let site = big_site();
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(50);
    });
    run.assert_oracle(&site);
    run.assert_each_fetched_once();
    let new: usize = run.report.stats.iter().map(|s| s.num_new_urls).sum();
    let redirects = run.report.stats.iter().filter(|s| s.next_url.is_some()).count();
    assert_eq!(new + redirects + 1, run.report.stats.len(), "every URL but the root was new once");
}

/// With --max-tasks 1, two crawls of the same site give byte-identical JSON reports.
pub fn one_task_is_deterministic(crawl: CrawlFn) {
    let site = SiteSpec { seed: 11, ..SiteSpec::with_pages(500) }.generate();
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(1);
    });
    let again = crawl(&run.config);
    assert_eq!(run.report.json_lines(), again.json_lines());
    assert!(!again.interrupted);
}

/// A site slow and wide enough to interrupt mid-crawl: 400 pages of 20 links, 20 ms each.
pub(crate) fn site_to_interrupt() -> crate::Site {
    let spec = SiteSpec {
        latency: Latency::Fixed(Duration::from_millis(20)),
        links_min: 20,
        links_max: 20,
        ..SiteSpec::with_pages(400)
    };
    spec.generate()
}

/// Stop (Ctrl-C) mid-crawl: the crawl returns early, marked interrupted, with the URLs done so
/// far and the count still to do.
pub fn stop_prints_partial_report(crawl: CrawlFn) {
    let server = site_to_interrupt().serve("127.0.0.1:0").expect("test site starts");
    let config = super::config_for(&server).max_tasks(2).build().expect("valid root");
    let stop = config.stop().clone();
    let report = std::thread::scope(|s| {
        s.spawn(|| {
            // Wait for the event "10 requests received", then press Ctrl-C.
            assert!(server.wait_for_requests(10, Duration::from_secs(30)), "the crawl started");
            stop.trigger();
        });
        crawl(&config)
    });
    check_invariants(&report);
    assert!(report.interrupted);
    // 10 requests had arrived; at most `max_tasks` of them were still in flight.
    let done = report.stats.len();
    assert!((10 - config.max_tasks()..400).contains(&done), "{done} done");
    assert!(report.todo > 0);
    assert!(report.text().contains("\nInterrupted\n"));
}
