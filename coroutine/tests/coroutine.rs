//! Tests of what is particular to the coroutine model (the shared behaviour is in
//! conformance.rs and cli.rs).

use coroutine::{Http, Options, Runtime};
use shared::Config;
use testsite::SiteSpec;
use testsite::conformance::Run;

/// With the shared codec and one worker, the whole crawl runs on one keep-alive connection.
#[test]
fn shared_http_reuses_one_connection() {
    let site = SiteSpec { seed: 5, ..SiteSpec::with_pages(200) }.generate();
    let crawl = |c: &Config| {
        coroutine::crawl_with(
            c,
            Options::new(Runtime::CurrentThread, Some(Http::Shared)).expect("a valid pair"),
        )
    };
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(1);
    });
    assert!(run.report.stats.len() > 200);
    assert_eq!(run.server.total_requests(), run.report.stats.len());
    assert_eq!(run.server.connections(), 1);
}

/// reqwest's pool is shared by the workers: about one connection per worker, not per request.
#[test]
fn reqwest_pool_is_shared() {
    let site = SiteSpec { seed: 6, ..SiteSpec::with_pages(300) }.generate();
    let crawl = |c: &Config| {
        coroutine::crawl_with(
            c,
            Options::new(Runtime::MultiThread, Some(Http::Reqwest)).expect("a valid pair"),
        )
    };
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(4);
    });
    let connections = run.server.connections();
    assert!(connections <= 2 * run.config.max_tasks(), "{connections} connections");
}
