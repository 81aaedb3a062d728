//! Tests of what is particular to the thread model (the shared behaviour is in conformance.rs).

use std::time::Duration;

use shared::Config;
use testsite::conformance::Run;
use testsite::{Expected, Site, SiteSpec};
use threads::{CheckAndInsert, Crawler};

/// The workers share one keep-alive pool: a crawl of hundreds of pages opens about one
/// connection per worker, not one per request.
#[test]
fn workers_reuse_keep_alive_connections() {
    let site = SiteSpec { seed: 5, ..SiteSpec::with_pages(300) }.generate();
    let run = Run::new(threads::crawl, &site, |c| {
        c.max_tasks(4);
    });
    assert!(run.report.stats.len() > 300);
    assert_eq!(run.server.total_requests(), run.report.stats.len());
    let connections = run.server.connections();
    assert!(connections <= 2 * run.config.max_tasks(), "{connections} connections");
}

/// The racy seen-set may fetch a URL twice, but it never loses one, and every fetch it makes is
/// on record: the report's distinct URLs are exactly the oracle's, each record agrees with the
/// oracle, and each URL was requested as many times as it has records.
///
/// The site is the race demo's: hubs fetched at the same time, all linking to the same leaves,
/// and a window between the check and the insert, so that the racy path really runs with
/// workers inside it together (whether a duplicate then happens is up to the scheduler, which is
/// why nothing here depends on it: `tests/loom.rs` proves the duplicates exist).
#[test]
fn racy_crawl_loses_no_url_and_records_every_fetch() {
    let hubs: Vec<String> = (0..16).map(|i| format!("/hub/{i}")).collect();
    let leaves: Vec<String> = (0..40).map(|i| format!("/leaf/{i}")).collect();
    let hub_links: Vec<&str> = hubs.iter().map(String::as_str).collect();
    let leaf_links: Vec<&str> = leaves.iter().map(String::as_str).collect();
    let mut site = Site::new().page("/", &hub_links);
    for hub in &hubs {
        site = site.page(hub, &leaf_links);
    }
    for leaf in &leaves {
        site = site.page(leaf, &[]);
    }
    let server = site.serve("127.0.0.1:0").unwrap();
    let config = Config::builder([server.url().as_str()]).max_tasks(8).build().unwrap();
    let window = Duration::from_millis(5);
    let report = Crawler::new(&config, CheckAndInsert::Racy { window }).crawl();
    let expected = site.expected(&config);
    let mut distinct: Vec<Expected> = report.stats.iter().map(Expected::of).collect();
    distinct.dedup();
    assert_eq!(distinct, expected, "every URL, each recorded as the oracle says");
    for want in &expected {
        let records = report.stats.iter().filter(|s| s.url == want.url).count();
        let path = testsite::path_of(&want.url.parse().unwrap());
        assert_eq!(server.requests(&path), records, "requests for {path}");
    }
}
