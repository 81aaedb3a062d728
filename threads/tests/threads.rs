//! Tests of what is particular to the thread model (the shared behaviour is in conformance.rs).

use shared::Config;
use shared::conformance::Run;
use shared::site::{Expected, SiteSpec};
use threads::{Crawler, SeenMode};

/// The workers share one keep-alive pool: a crawl of hundreds of pages opens about one
/// connection per worker, not one per request.
#[test]
fn workers_reuse_keep_alive_connections() {
    let site = SiteSpec { seed: 5, ..SiteSpec::with_pages(300) }.generate();
    let run = Run::new(threads::crawl, &site, |c| c.max_tasks = 4);
    assert!(run.report.stats.len() > 300);
    assert_eq!(run.server.total_requests(), run.report.stats.len());
    let connections = run.server.connections();
    assert!(connections <= 2 * run.config.max_tasks, "{connections} connections");
}

/// The racy seen-set may fetch a URL twice, but it never loses one: every URL the oracle expects
/// is in the report. (Whether duplicates appear depends on timing; tests/loom.rs proves they can.)
#[test]
fn racy_crawl_loses_no_url() {
    let site = SiteSpec { seed: 6, ..SiteSpec::with_pages(300) }.generate();
    let server = site.serve("127.0.0.1:0").unwrap();
    let mut config = Config::new([server.url().as_str()]).unwrap();
    config.max_tasks = 8;
    let report = Crawler::new(&config, SeenMode::Racy { window: Default::default() }).crawl();
    let mut got: Vec<Expected> = report.stats.iter().map(Expected::of).collect();
    got.dedup();
    assert_eq!(got, site.expected(&config));
}
