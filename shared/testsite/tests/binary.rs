//! The `testsite` binary as a user (or `compare`) runs it: it prints its URL first, serves the
//! site there, and on Ctrl-C says what it served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

/// Starts `command` (a `testsite`), and returns it and the address of the URL its first line
/// gives.
fn start(command: &mut Command) -> (std::process::Child, String) {
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("testsite starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout).read_line(&mut line).expect("a first line");
    let url = url::Url::parse(line.trim()).expect("the first line is the site's URL");
    let addr = format!("{}:{}", url.host_str().unwrap_or_default(), url.port().unwrap_or(80));
    (child, addr)
}

/// The whole answer to a GET of `path` at `addr`, on a connection of its own.
fn get(addr: &str, path: &str) -> String {
    let mut client = TcpStream::connect(addr).expect("the site listens");
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    client.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    answer
}

/// `testsite --port 0` picks a free port, prints its URL on stdout's first line, serves the
/// generated site's root there, and on SIGINT prints its counts and exits 0.
#[test]
fn serves_and_reports_on_ctrl_c() {
    let (child, addr) =
        start(Command::new(env!("CARGO_BIN_EXE_testsite")).args(["--pages", "10", "--port", "0"]));
    let answer = get(&addr, "/");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().expect("testsite ends");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stopped after 1 requests on 1 connections"), "{stderr}");
}

/// `testsite --dir` says on stderr that it is reading the folder, then what it read, before it
/// serves: stdout's first line is still the URL, and the folder's files are served there.
#[test]
fn dir_says_when_it_reads_and_when_it_is_ready() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("testsite-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), "<a href=sub/b.html>b</a>").unwrap();
    std::fs::write(dir.join("sub/b.html"), "b").unwrap();
    let (child, addr) = start(
        Command::new(env!("CARGO_BIN_EXE_testsite")).args(["--port", "0", "--dir"]).arg(&dir),
    );
    let answer = get(&addr, "/sub/b.html");
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("\r\n\r\nb"), "{answer}");
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().expect("testsite ends");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let shown = dir.display().to_string();
    assert_eq!(lines[0], format!("reading every file under {shown} into memory..."), "{stderr}");
    // `/`, `/index.html` and `/sub/b.html`; `/sub` has no index page, so no redirect.
    assert!(lines[1].starts_with(&format!("read {shown} in ")), "{stderr}");
    assert!(lines[1].ends_with(" s: 3 resources"), "{stderr}");
    assert!(lines[2].starts_with("serving 3 resources"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `testsite --version` names the binary and the workspace's version.
#[test]
fn version_names_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_testsite")).arg("--version").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, concat!("testsite ", env!("CARGO_PKG_VERSION"), "\n"));
}

/// `testsite --tls --ca-out FILE` serves https, with a certificate from a CA it generates and
/// writes to FILE: the shared client core, trusting FILE and nothing else of this machine's,
/// fetches the root over TLS.
#[test]
fn tls_serves_https_with_the_ca_it_writes() {
    use shared::http::{Ended, Exchange, Session, Step, Tls, read_ca_file};
    use std::time::{Duration, Instant};

    let ca = std::env::temp_dir().join(format!("testsite-test-{}-ca.pem", std::process::id()));
    let ca_arg = ca.to_str().expect("a UTF-8 path");
    let (mut child, addr) = start(
        Command::new(env!("CARGO_BIN_EXE_testsite"))
            .args(["--pages", "5", "--port", "0", "--tls", "--ca-out", ca_arg]),
    );
    let url = url::Url::parse(&format!("https://{addr}/")).unwrap();
    let tls = Tls::new(&read_ca_file(&ca).expect("the CA certificate was written"));
    let stream = TcpStream::connect(&addr).expect("the site listens");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let session = Session::open(&url, &tls).expect("a TLS client");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut exchange = Exchange::new(&url, "test", session, deadline);
    let ended = loop {
        match exchange.drive(&mut &stream) {
            Step::Done(ended) => break ended,
            Step::Wait(_) => assert!(Instant::now() < deadline, "no answer in 5 s"),
        }
    };
    let Ended::Response(response) = ended else { panic!("{ended:?}") };
    assert_eq!(response.status, 200);
    assert!(response.body.starts_with(b"<!DOCTYPE html>"), "{:?}", &response.body[..20]);
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_file(&ca).expect("the file named by --ca-out");
}

/// Without --ca-out, `testsite --tls` names the file it wrote the CA's certificate to, and
/// removes it when it stops.
#[test]
fn tls_without_ca_out_removes_its_file_at_exit() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_testsite"))
        .args(["--pages", "5", "--port", "0", "--tls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("testsite starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("a first line on stderr");
    let path = line
        .strip_prefix("CA certificate in ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("names the CA file: {line}"))
        .to_string();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!std::path::Path::new(&path).exists(), "{path} removed at exit");
}
