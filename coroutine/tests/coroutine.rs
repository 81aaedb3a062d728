//! Tests of what is particular to the coroutine model (the shared behaviour is in
//! conformance.rs and cli.rs).

use std::rc::Rc;
use std::sync::Arc;

use coroutine::{Crawler, CurrentThread, Http, Mode, MultiThread, Options, Runtime};
use shared::Config;
use testsite::SiteSpec;
use testsite::conformance::Run;

/// No task outlives `crawl`: once it returns, every worker has been cancelled and dropped, so
/// the crawler's only owner is the caller again (each worker held a clone). On both runtimes.
#[test]
fn no_worker_outlives_crawl() {
    let site = SiteSpec { seed: 3, ..SiteSpec::with_pages(50) }.generate();
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let config =
        Config::builder([server.url().as_str()]).max_tasks(20).build().expect("valid root");
    let owners = CurrentThread::block_on(async {
        let crawler = Rc::new(Crawler::<CurrentThread>::new(&config, Http::Shared));
        let report = Crawler::<CurrentThread>::crawl(crawler.clone()).await;
        assert!(report.stats.len() > 50);
        Rc::strong_count(&crawler)
    });
    assert_eq!(owners.unwrap(), 1, "current-thread: the 20 workers are gone");
    let owners = MultiThread::block_on(async {
        let crawler = Arc::new(Crawler::<MultiThread>::new(&config, Http::Reqwest));
        let report = Crawler::<MultiThread>::crawl(crawler.clone()).await;
        assert!(report.stats.len() > 50);
        Arc::strong_count(&crawler)
    });
    assert_eq!(owners.unwrap(), 1, "multi-thread: the 20 workers are gone");
}

/// With the shared codec and one worker, the whole crawl runs on one keep-alive connection.
#[test]
fn shared_http_reuses_one_connection() {
    let site = SiteSpec { seed: 5, ..SiteSpec::with_pages(200) }.generate();
    let crawl = |c: &Config| {
        coroutine::crawl_with(c, Options { runtime: Runtime::CurrentThread, http: Http::Shared })
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
        coroutine::crawl_with(c, Options { runtime: Runtime::MultiThread, http: Http::Reqwest })
    };
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(4);
    });
    let connections = run.server.connections();
    assert!(connections <= 2 * run.config.max_tasks(), "{connections} connections");
}
