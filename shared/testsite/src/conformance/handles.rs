//! The live handles a `Config` carries, across many crawls: what a library user who reuses one
//! `Config` (as the criterion benches do) must be able to count on.
//!
//! Not in `conformance_tests!`: it counts the process's open file descriptors, so it must run
//! alone in its process, as one `#[test]` in a test file of its own
//! (`tests/handles.rs` in each model).

use shared::Config;

use super::{CrawlFn, closed_port};

/// Crawls in a row with one `Config`, and so one `Stop`.
pub const CRAWLS: usize = 1_000;

/// The file descriptors this process has open.
fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd lists open files").count()
}

/// [`CRAWLS`] crawls with one `Config` (a root nobody listens on: each crawl makes a
/// connection, fails it, and ends) leave no hook registered on its `Stop` and no file
/// descriptor open: whatever a crawl registers or opens, it gives back when it ends.
pub fn stop_reused_across_crawls(crawl: CrawlFn) {
    let (_reserved, port) = closed_port();
    let config = Config::builder([format!("http://127.0.0.1:{port}/")])
        .max_tries(1)
        .max_tasks(2)
        .build()
        .expect("valid root");
    // One crawl first: whatever is made once per process (a runtime's global pieces, a
    // logger) is then in the count before as well as after.
    assert_eq!(crawl(&config).stats.len(), 1);
    let before = open_descriptors();
    for _ in 0..CRAWLS {
        let report = crawl(&config);
        assert_eq!(report.stats.len(), 1);
    }
    assert_eq!(config.stop().hooks(), 0, "hooks left on the Stop after {CRAWLS} crawls");
    assert_eq!(open_descriptors(), before, "descriptors open after {CRAWLS} crawls");
}
