//! The binary's side of the contract, the same for every model: exit codes, the report on
//! stdout, no proxy, Ctrl-C. A model's `tests/cli.rs` is one line:
//!
//! ```ignore
//! testsite::cli_tests!(env!("CARGO_BIN_EXE_threads"));
//! ```
//!
//! The rules: docs/contract.md, "The command line", "Exit status", "The report", "Ctrl-C".

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use shared::FetchStatistic;

use crate::Site;

/// One `#[test]` per binary scenario, for the binary at the path given.
#[macro_export]
macro_rules! cli_tests {
    ($binary:expr) => {
        $crate::cli_tests!(@each $binary; bad_arguments_exit_2, json_report_on_stdout,
            proxy_variables_are_ignored, ctrl_c_prints_the_partial_report, ctrl_c_ends_the_json_report_with_a_trailer,
            progress_line_only_on_a_terminal, version_names_the_binary, roots_with_whitespace_exit_2,
            ca_file_is_trusted_for_https);
    };
    (@each $binary:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::cli::$name($binary);
            }
        )*
    };
}

/// A bad regex or URL prints one line on stderr and exits 2, without crawling.
pub fn bad_arguments_exit_2(binary: &str) {
    for args in [
        &["127.0.0.1:9", "--exclude", "("][..],
        &["ftp://127.0.0.1/"],
        &["mailto:x@y.org"],
        &["--max-tasks"],
        &["127.0.0.1:9", "--ca-file", "/nonexistent/ca.pem"],
    ] {
        let out = Command::new(binary).args(args).output().expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

/// --json prints one record per URL, sorted, and exits 0.
pub fn json_report_on_stdout(binary: &str) {
    let site = Site::new().page("/", &["/a", "/b"]).page("/a", &["/"]).page("/b", &[]);
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let out = Command::new(binary)
        .arg(server.url().as_str())
        .arg("--json")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let records: Vec<FetchStatistic> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON record")).collect();
    let urls: Vec<&str> = records.iter().map(|r| r.url.as_str()).collect();
    let base = server.url();
    assert_eq!(urls, [base.to_string(), format!("{base}a"), format!("{base}b")]);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// On a terminal, stderr carries the progress line (URLs done, queued, in flight, the rate)
/// while the report goes to stdout untouched; off a terminal, stderr has none of it. The
/// terminal is a pseudo-terminal made by `script` (util-linux), whose output is what the
/// terminal showed.
pub fn progress_line_only_on_a_terminal(binary: &str) {
    let site = Site::new().page("/", &["/a", "/b"]).page("/a", &[]).page("/b", &[]);
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let report = std::env::temp_dir().join(format!(
        "progress-line-{}-{}.jsonl",
        std::process::id(),
        std::path::Path::new(binary).file_name().and_then(|n| n.to_str()).unwrap_or("bin")
    ));
    let line = format!("'{binary}' '{}' --json > '{}'", server.url(), report.display());
    let out = Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs: it makes the terminal");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let terminal = String::from_utf8_lossy(&out.stdout).into_owned();
    for part in [" done, ", " queued, ", " in flight, ", " URLs/s"] {
        assert!(terminal.contains(part), "no `{part}` on the terminal: {terminal:?}");
    }
    let records = std::fs::read_to_string(&report).expect("the report was written");
    let _ = std::fs::remove_file(&report);
    assert_eq!(records.lines().count(), 3, "{records}");
    for l in records.lines() {
        serde_json::from_str::<FetchStatistic>(l).expect("only records in the report");
    }
}

/// A proxy set in the environment is not used: the crawl of 127.0.0.1 goes straight to the
/// site (through a proxy on a closed port, every fetch would fail).
pub fn proxy_variables_are_ignored(binary: &str) {
    let site = Site::new().page("/", &["/a"]).page("/a", &[]);
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let (_reserved, port) = super::closed_port();
    let proxy = format!("http://127.0.0.1:{port}");
    let out = Command::new(binary)
        .arg(server.url().as_str())
        .arg("--json")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("all_proxy", &proxy)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let records: Vec<FetchStatistic> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(&l.expect("a line")).expect("a JSON record"))
        .collect();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.status == Some(200)), "{records:?}");
    assert_eq!(server.total_requests(), 2);
}

/// Runs `binary` on the site to interrupt with `--max-tasks 2` and `extra`, sends it SIGINT
/// once ten requests have arrived, and returns its output, having checked it exited 130.
fn interrupted(binary: &str, extra: &[&str]) -> std::process::Output {
    let server = super::site_to_interrupt().serve("127.0.0.1:0").expect("test site starts");
    let child = Command::new(binary)
        .args([server.url().as_str(), "--max-tasks", "2"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    assert!(server.wait_for_requests(10, Duration::from_secs(30)), "the crawl started");
    let kill =
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().expect("the binary ends");
    assert_eq!(out.status.code(), Some(130));
    out
}

/// Ctrl-C mid-crawl prints the partial report, marked Interrupted, and exits 130.
pub fn ctrl_c_prints_the_partial_report(binary: &str) {
    let out = interrupted(binary, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("\nInterrupted\n"), "{stdout}");
    let done: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Done: "))
        .expect("a Done line")
        .parse()
        .expect("a count");
    assert!((8..400).contains(&done), "{done} done");
}

/// Ctrl-C with `--json`: the records done, each one a record, then the trailer
/// `{"interrupted":true,"todo":N,"done":M}` with M the records above it; exit 130.
pub fn ctrl_c_ends_the_json_report_with_a_trailer(binary: &str) {
    let out = interrupted(binary, &["--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    let (trailer, records) = lines.split_last().expect("at least the trailer");
    for line in records {
        let record: FetchStatistic = serde_json::from_str(line).expect("a record");
        assert!(!line.contains("\"interrupted\""), "{record:?}");
    }
    let trailer: serde_json::Value = serde_json::from_str(trailer).expect("JSON");
    assert_eq!(trailer["interrupted"], true);
    assert_eq!(trailer["done"], records.len());
    assert!(trailer["todo"].as_u64().is_some_and(|todo| todo > 0), "{trailer}");
    assert!(records.len() >= 8, "{} records", records.len());
}

/// `--version` prints the binary's own name and the workspace's version, not the name of the
/// crate that defines the shared command line.
pub fn version_names_the_binary(binary: &str) {
    let out = Command::new(binary).arg("--version").output().expect("the binary runs");
    assert!(out.status.success());
    let name = std::path::Path::new(binary).file_name().expect("a file").to_string_lossy();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, format!("{name} {}\n", env!("CARGO_PKG_VERSION")));
}

/// A root with whitespace is refused with one line and exit 2, before any crawl: no report on
/// stdout. (Each root names 127.0.0.1, so that even a regression would resolve nothing; the
/// other malformed roots, `ht!tp://x y` among them, are `shared::cli`'s unit tests.)
pub fn roots_with_whitespace_exit_2(binary: &str) {
    for root in ["127.0.0.1:9/a b", "http://127.0.0.1:9/a\tb", "http://127.0.0.1:9/\nx"] {
        let out = Command::new(binary).arg(root).output().expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{root:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{root:?}: {stderr}");
        assert!(stderr.starts_with("error: bad URL "), "{root:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{root:?}: the crawl did not start");
    }
}

/// `--ca-file FILE` trusts the CA certificates in FILE for https: a site whose certificate
/// that CA signed is crawled; without the flag, its root is the TLS failure, tried as often
/// as `--max-tries` says.
pub fn ca_file_is_trusted_for_https(binary: &str) {
    let authority = crate::tls::Authority::generate();
    let site = Site::new().page("/", &["/a"]).page("/a", &[]).tls(&authority);
    let server = site.serve("127.0.0.1:0").expect("test site starts");
    let ca = std::env::temp_dir().join(format!(
        "crawler-models-ca-{}-{}.pem",
        std::process::id(),
        server.addr().port()
    ));
    std::fs::write(&ca, authority.ca_pem()).expect("the CA file is written");
    let crawl = |extra: &[&std::ffi::OsStr]| {
        let out = Command::new(binary)
            .args([server.url().as_str(), "--json", "--max-tries", "2"])
            .args(extra)
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let records: Vec<FetchStatistic> =
            stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON record")).collect();
        records
    };
    let trusted = crawl(&["--ca-file".as_ref(), ca.as_os_str()]);
    let _ = std::fs::remove_file(&ca);
    let statuses: Vec<(&str, Option<u16>)> =
        trusted.iter().map(|r| (r.url.as_str(), r.status)).collect();
    let a = server.url().join("a").expect("valid path");
    assert_eq!(statuses, [(server.url().as_str(), Some(200)), (a.as_str(), Some(200))]);
    let untrusted = crawl(&[]);
    assert_eq!(untrusted.len(), 1);
    assert_eq!(untrusted[0].exception.as_deref(), Some("Tls: TLS handshake failed"));
    assert_eq!(server.connections(), 1 + 2, "one kept-alive connection, then two tries");
}
