//! Servers that close idle keep-alive connections (docs/contract.md, "Keep-alive"): a request sent on
//! a reused connection that fails before any byte of the response is sent again at once on a
//! new connection, and that is not a try. Anything else is.

use super::{CrawlFn, Run};
use crate::{Fault, Site, SiteSpec};

/// A generated site of 40 pages whose server closes each connection after `k` responses.
fn closing_site(k: usize) -> Site {
    SiteSpec::with_pages(40).generate().close_idle_after(k)
}

/// Crawls `site` with `--max-tries 1` at one and at four tasks: every URL is as the oracle says
/// (no page lost to a connection closed while idle) and was requested exactly once (the request
/// that met the closed connection never reached the server, and its resend cost no try).
fn crawl_closing(crawl: CrawlFn, site: &Site) {
    for max_tasks in [1, 4] {
        let run = Run::new(crawl, site, |c| {
            c.max_tries(1);
            c.max_tasks(max_tasks);
        });
        run.assert_oracle(site);
        run.assert_each_fetched_once();
        assert!(
            run.server.connections() > 1,
            "the server closed connections, so the crawl needed more than one"
        );
    }
}

/// A server that closes every connection silently right after its response: each request after
/// the first on a connection meets a closed one, and is sent again on a new one.
pub fn idle_close_after_each_response(crawl: CrawlFn) {
    crawl_closing(crawl, &closing_site(1));
}

/// A server that closes each connection after its third response, silently.
pub fn idle_close_after_third_response(crawl: CrawlFn) {
    crawl_closing(crawl, &closing_site(3));
}

/// The resend is for a connection closed while idle, and for nothing else: on the same server, a
/// path that resets every new connection still costs one try per request, and is requested
/// exactly `--max-tries` times.
pub fn reset_on_a_new_connection_is_a_try(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/a", "/fault", "/b"])
        .page("/a", &[])
        .fault("/fault", Fault::Reset)
        .page("/b", &[])
        .close_idle_after(1);
    let run = Run::new(crawl, &site, |c| {
        c.max_tries(3);
        c.max_tasks(1);
    });
    run.assert_done(&["/", "/a", "/b", "/fault"]);
    let fault = run.stat("/fault");
    assert_eq!(fault.exception.as_deref(), Some("ConnectionReset: connection reset by peer"));
    assert_eq!(run.server.requests("/fault"), 3, "every try is a request, and no more");
    for path in ["/", "/a", "/b"] {
        assert_eq!(run.stat(path).status, Some(200), "{path}");
        assert_eq!(run.server.requests(path), 1, "{path}");
    }
}
