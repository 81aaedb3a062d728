//! Tests of what is particular to the event-loop model (the shared behaviour is in
//! conformance.rs and cli.rs).

use std::process::Command;

use testsite::conformance::Run;
use testsite::{Fault, Site, SiteSpec};

/// With one fetch at a time, the whole crawl runs on one keep-alive connection: every response
/// of the generated site (pages, 404s, redirects, images) leaves it reusable, and the pool hands
/// it to the next fetch.
#[test]
fn one_task_reuses_one_connection() {
    let site = SiteSpec { seed: 5, ..SiteSpec::with_pages(200) }.generate();
    let run = Run::new(callback::crawl, &site, |c| {
        c.max_tasks(1);
    });
    assert!(run.report.stats.len() > 200);
    assert_eq!(run.server.total_requests(), run.report.stats.len());
    assert_eq!(run.server.connections(), 1);
}

/// Several fetches at once share the pool: about one connection per fetch in flight, not one
/// per request.
#[test]
fn fetches_share_the_pool() {
    let site = SiteSpec { seed: 6, ..SiteSpec::with_pages(300) }.generate();
    let run = Run::new(callback::crawl, &site, |c| {
        c.max_tasks(4);
    });
    let connections = run.server.connections();
    assert!(connections <= 2 * run.config.max_tasks(), "{connections} connections");
}

/// A failed try's log line says in which step it failed, the context a callback's missing stack
/// would lose: reading the body (a close mid-body), the head (a server that never answers, ended
/// by the deadline), connecting (nobody listening).
#[test]
fn failures_name_their_step() {
    let site = Site::new()
        .page("/", &["/cut", "/silent"])
        .fault("/cut", Fault::CloseMidBody { len: 10_000 })
        .fault("/silent", Fault::NeverAnswer);
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let (_reserved, port) = testsite::conformance::closed_port();
    let out = Command::new(env!("CARGO_BIN_EXE_callback"))
        .args([server.url().as_str(), &format!("127.0.0.1:{port}/"), "-v", "--json"])
        .args(["--max-tries", "2", "--timeout", "0.3"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let log = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "/cut raised ConnectionClosed: connection closed before the response was complete \
         (while reading the body)",
        "/silent raised Timeout: timed out (the deadline passed while reading the head)",
        "raised ConnectionRefused: connection refused (while connecting)",
    ] {
        assert!(log.contains(expected), "{expected:?} not in the log:\n{log}");
    }
    assert_eq!(server.requests("/cut"), 2);
}
