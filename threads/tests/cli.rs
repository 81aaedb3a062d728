//! The `threads` binary as a user runs it: exit codes, the report on stdout, Ctrl-C.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use shared::FetchStatistic;
use testsite::{Latency, Site, SiteSpec};

fn threads() -> Command {
    Command::new(env!("CARGO_BIN_EXE_threads"))
}

/// A bad regex or URL prints one line on stderr and exits 2, without crawling.
#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["127.0.0.1:9", "--exclude", "("][..],
        &["ftp://127.0.0.1/"],
        &["mailto:x@y.org"],
        &["--max-tasks"],
    ] {
        let out = threads().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

/// --json prints one record per URL, sorted, and exits 0.
#[test]
fn json_report_on_stdout() {
    let site = Site::new().page("/", &["/a", "/b"]).page("/a", &["/"]).page("/b", &[]);
    let server = site.serve("127.0.0.1:0").unwrap();
    let out = threads().arg(server.url().as_str()).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records: Vec<FetchStatistic> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let urls: Vec<&str> = records.iter().map(|r| r.url.as_str()).collect();
    let base = server.url();
    assert_eq!(urls, [base.to_string(), format!("{base}a"), format!("{base}b")]);
}

/// A proxy set in the environment is not used: the crawl of 127.0.0.1 goes straight to the
/// site (through a proxy on a closed port, every fetch would fail).
#[test]
fn proxy_variables_are_ignored() {
    let site = Site::new().page("/", &["/a"]).page("/a", &[]);
    let server = site.serve("127.0.0.1:0").unwrap();
    let (_reserved, port) = testsite::conformance::closed_port();
    let proxy = format!("http://127.0.0.1:{port}");
    let out = threads()
        .arg(server.url().as_str())
        .arg("--json")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("all_proxy", &proxy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let records: Vec<FetchStatistic> =
        out.stdout.lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.status == Some(200)), "{records:?}");
    assert_eq!(server.total_requests(), 2);
}

/// Ctrl-C mid-crawl prints the partial report, marked Interrupted, and exits 130.
#[test]
fn ctrl_c_prints_the_partial_report() {
    let spec = SiteSpec {
        latency: Latency::Fixed(Duration::from_millis(20)),
        links_min: 20,
        links_max: 20,
        ..SiteSpec::with_pages(400)
    };
    let server = spec.generate().serve("127.0.0.1:0").unwrap();
    let child = threads()
        .args([server.url().as_str(), "--max-tasks", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(server.wait_for_requests(10, Duration::from_secs(30)), "the crawl started");
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("\nInterrupted\n"), "{stdout}");
    let done: usize =
        stdout.lines().find_map(|l| l.strip_prefix("Done: ")).unwrap().parse().unwrap();
    assert!((8..400).contains(&done), "{done} done");
}
