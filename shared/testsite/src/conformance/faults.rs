//! Misbehaving servers: every fault ends in a record (after `--max-tries` requests where it is a
//! network error) and a finished crawl, never a panic or a hang.
//! The rules: docs/contract.md, "Tries and network errors", "The body cap and size".

use std::time::Duration;

use super::{CrawlFn, Run, check_invariants};
use crate::{Fault, Site};
use shared::Config;
use shared::page::BODY_CAP;

/// A site whose root links to a fault at `/fault` and to a healthy `/after`.
fn fault_site(fault: Fault) -> Site {
    Site::new().page("/", &["/fault", "/after"]).fault("/fault", fault).page("/after", &[])
}

/// Crawls a fault with `max_tries` and `timeout`, and checks the crawl went on around it.
pub(super) fn crawl_fault(crawl: CrawlFn, fault: Fault, max_tries: u32, timeout: Duration) -> Run {
    crawl_site(crawl, &fault_site(fault), max_tries, timeout)
}

/// [`crawl_fault`] on a fault site built by the caller.
fn crawl_site(crawl: CrawlFn, site: &Site, max_tries: u32, timeout: Duration) -> Run {
    let run = Run::new(crawl, site, |c| {
        c.max_tries(max_tries);
        c.timeout(timeout);
    });
    run.assert_done(&["/", "/after", "/fault"]);
    assert_eq!(run.stat("/after").status, Some(200));
    run.assert_oracle(site);
    run
}

/// Asserts `/fault` failed with `text` after exactly `tries` requests.
pub(super) fn assert_failed(run: &Run, text: &str, tries: usize) {
    let s = run.stat("/fault");
    assert_eq!(s.exception.as_deref(), Some(text));
    assert_eq!(run.server.requests("/fault"), tries, "every try is a request, and no more");
}

/// A connection reset before any answer is retried, then recorded as ConnectionReset.
///
/// Every response says `Connection: close`, so each request is on a new connection: on a
/// reused one, a reset before any byte is the keep-alive rule's resend, not a try
/// (`keep_alive.rs` checks that side).
pub fn fault_reset(crawl: CrawlFn) {
    let site = fault_site(Fault::Reset).without_keep_alive();
    let run = crawl_site(crawl, &site, 3, Duration::from_secs(5));
    assert_failed(&run, "ConnectionReset: connection reset by peer", 3);
}

/// A body cut short of its Content-Length is a network error, never a short page.
pub fn fault_close_mid_body(crawl: CrawlFn) {
    let run = crawl_fault(crawl, Fault::CloseMidBody { len: 100_000 }, 2, Duration::from_secs(5));
    assert_failed(&run, "ConnectionClosed: connection closed before the response was complete", 2);
}

/// A server that never answers is ended by --timeout, each try.
pub fn fault_never_answer(crawl: CrawlFn) {
    let run = crawl_fault(crawl, Fault::NeverAnswer, 2, Duration::from_millis(300));
    assert_failed(&run, "Timeout: timed out", 2);
}

/// Bytes that are not HTTP are a malformed response.
pub fn fault_garbage(crawl: CrawlFn) {
    let run = crawl_fault(crawl, Fault::Garbage, 2, Duration::from_secs(5));
    assert_failed(&run, "MalformedResponse: malformed HTTP response", 2);
}

/// A body far over the cap is cut at the cap: recorded with size = the cap, the crawl goes on.
pub fn fault_huge_body(crawl: CrawlFn) {
    let run = crawl_fault(crawl, Fault::Huge { len: 8 * BODY_CAP }, 1, Duration::from_secs(20));
    let s = run.stat("/fault");
    assert_eq!((s.status, s.size), (Some(200), BODY_CAP));
    assert_eq!(s.content_type.as_deref(), Some("application/octet-stream"));
}

/// A slow but steady body within the timeout is a page; one slower than the timeout fails.
pub fn fault_slow_trickle(crawl: CrawlFn) {
    let slow = Fault::Trickle { len: 2_000, chunk: 200, interval: Duration::from_millis(20) };
    let run = crawl_fault(crawl, slow, 1, Duration::from_secs(5));
    let s = run.stat("/fault");
    assert_eq!((s.status, s.size), (Some(200), 2_000));
    let too_slow = Fault::Trickle { len: 2_000, chunk: 10, interval: Duration::from_millis(50) };
    let run = crawl_fault(crawl, too_slow, 1, Duration::from_millis(500));
    assert_failed(&run, "Timeout: timed out", 1);
}

/// A root nobody listens on is one failed record, and the crawl ends.
pub fn fault_refused(crawl: CrawlFn) {
    let (_reserved, port) = super::closed_port();
    let scheme = if crate::tls::suite_authority().is_some() { "https" } else { "http" };
    let root = format!("{scheme}://127.0.0.1:{port}/");
    let config = Config::builder([root.as_str()]).max_tries(2).build().expect("valid root");
    let report = crawl(&config);
    check_invariants(&report);
    assert_eq!(report.stats.len(), 1);
    assert_eq!(report.stats[0].url, root);
    assert_eq!(report.stats[0].exception.as_deref(), Some("ConnectionRefused: connection refused"));
}

/// A page whose link extraction panics (a bug, injected at a reserved path) is one failed
/// record, `Other`, fetched once and not retried; its links are never followed, and the crawl
/// goes on around it, on every model (the event loop's included).
pub fn panic_in_link_extraction(crawl: CrawlFn) {
    let bug = shared::page::PANIC_IN_LINK_EXTRACTION;
    shared::page::inject_panics();
    let site = Site::new().page("/", &[bug, "/after"]).page(bug, &["/never"]).page("/after", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/after", bug]);
    assert_eq!(run.stat(bug).exception.as_deref(), Some("Other: network error"));
    assert_eq!(run.stat("/after").status, Some(200));
    run.assert_each_fetched_once();
}
