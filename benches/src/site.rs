//! [`SiteProcess`]: the test site in a child process of its own, so that its CPU, memory and
//! 10,000 sockets are not the harness's, and no model's; started with port 0, its URL read from
//! the first line it prints.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use url::Url;

use crate::scenario::{Generated, SiteSource};
use crate::{Error, serve};

/// The name of the test site's binary, beside `compare`.
pub const TESTSITE: &str = "testsite";

/// How long a stopped site may take to print its counts and exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How a site process is told to stop, so that it still prints its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopBy {
    /// SIGINT, as Ctrl-C: the `testsite` binary's way.
    Interrupt,
    /// Closing its standard input: `compare --serve-site`'s way (it needs no signal handler).
    CloseStdin,
}

/// The command line that serves a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteCommand {
    /// The binary.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// How to stop it.
    pub stop: StopBy,
}

/// The command that serves `source`: the `testsite` binary when its flags can say what the
/// site is; `compare --serve-site` (the same generator, with a page size) when they cannot.
/// `docs` is the folder the Rust documentation is in, for [`SiteSource::RustDocs`]. With
/// `ca_out`, the site is served over TLS, and its generated CA's certificate written there.
pub fn command(
    bin_dir: &Path,
    compare: &Path,
    source: &SiteSource,
    docs: Option<&Path>,
    ca_out: Option<&Path>,
) -> Result<SiteCommand, Error> {
    let mut cmd = plain_command(bin_dir, compare, source, docs)?;
    if let SiteSource::Generated(Generated { keep_alive: false, .. }) = source {
        cmd.args.push("--no-keep-alive".into());
    }
    if let SiteSource::Generated(Generated { hosts: hosts @ 2.., .. }) = source {
        if cmd.program != bin_dir.join(TESTSITE) {
            return Err(Error::Site("a site on several hosts needs the default page size".into()));
        }
        cmd.args.extend(["--hosts".into(), hosts.to_string()]);
    }
    if let Some(path) = ca_out {
        cmd.args.extend(["--tls".into(), "--ca-out".into(), path.display().to_string()]);
    }
    Ok(cmd)
}

/// [`command`], over plain HTTP.
fn plain_command(
    bin_dir: &Path,
    compare: &Path,
    source: &SiteSource,
    docs: Option<&Path>,
) -> Result<SiteCommand, Error> {
    let testsite = bin_dir.join(TESTSITE);
    match source {
        SiteSource::RustDocs => {
            let dir = docs.ok_or_else(|| Error::Site("no documentation folder".into()))?;
            let args = vec!["--dir".into(), dir.display().to_string(), "--port".into(), "0".into()];
            Ok(SiteCommand { program: testsite, args, stop: StopBy::Interrupt })
        }
        SiteSource::RustDocsNginx => {
            let dir = docs.ok_or_else(|| Error::Site("no documentation folder".into()))?;
            let args = vec![crate::NGINX_FLAG.into(), "--dir".into(), dir.display().to_string()];
            Ok(SiteCommand { program: compare.to_path_buf(), args, stop: StopBy::CloseStdin })
        }
        SiteSource::Generated(g) if g.page_size == Generated::new(1, 0).page_size => {
            let args = vec![
                "--pages".into(),
                g.pages.to_string(),
                "--latency-ms".into(),
                g.latency_ms.to_string(),
                "--seed".into(),
                g.seed.to_string(),
                "--port".into(),
                "0".into(),
            ];
            Ok(SiteCommand { program: testsite, args, stop: StopBy::Interrupt })
        }
        SiteSource::Generated(g) => {
            let args = vec![
                serve::SERVE_FLAG.into(),
                "--pages".into(),
                g.pages.to_string(),
                "--page-size".into(),
                g.page_size.to_string(),
                "--latency-ms".into(),
                g.latency_ms.to_string(),
                "--seed".into(),
                g.seed.to_string(),
            ];
            Ok(SiteCommand { program: compare.to_path_buf(), args, stop: StopBy::CloseStdin })
        }
    }
}

/// A running test site. Dropping it kills the process; [`SiteProcess::stop`] stops it politely
/// and returns what it counted.
#[derive(Debug)]
pub struct SiteProcess {
    child: Child,
    url: Url,
    /// Every port's root, the first being `url` (one, unless the site is on several hosts).
    urls: Vec<Url>,
    stop: StopBy,
    /// Held open while the site runs: closing it is the stop signal of `compare --serve-site`.
    stdin: Option<ChildStdin>,
    /// Held open so that the site never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    /// Reads the site's stderr to the end, so that its pipe never fills and blocks the site.
    log: Option<JoinHandle<String>>,
}

impl SiteProcess {
    /// Starts the site and waits until it prints its URL (serving a folder reads every file
    /// first: the Rust documentation takes a few seconds).
    pub fn start(cmd: &SiteCommand) -> Result<SiteProcess, Error> {
        let stdin = if cmd.stop == StopBy::CloseStdin { Stdio::piped() } else { Stdio::null() };
        let mut child = Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(format!("cannot start {}", cmd.program.display()), e))?;
        let log = child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            })
        });
        let stdin = child.stdin.take();
        // Cannot fail: stdout was set to `Stdio::piped()` just above.
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let mut site = SiteProcess {
            child,
            url: placeholder_url(),
            urls: Vec::new(),
            stop: cmd.stop,
            stdin,
            _stdout: stdout,
            log,
        };
        // The first line is the site's URL, or, on several hosts, every port's root.
        let urls: Result<Vec<Url>, _> = line.split_whitespace().map(Url::parse).collect();
        match (read, urls) {
            (Ok(_), Ok(urls)) if !urls.is_empty() => {
                site.url = urls[0].clone();
                site.urls = urls;
                Ok(site)
            }
            (read, _) => {
                let _ = site.child.kill();
                let _ = site.child.wait();
                let said = site.log.take().and_then(|h| h.join().ok()).unwrap_or_default();
                let why = match read {
                    Err(e) => e.to_string(),
                    Ok(_) => format!("first line {:?} is not a URL", line.trim()),
                };
                Err(Error::Site(format!(
                    "{} did not start ({why}): {}",
                    cmd.program.display(),
                    said.trim()
                )))
            }
        }
    }

    /// The site's root URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Every port's root URL, the site's root first.
    pub fn urls(&self) -> &[Url] {
        &self.urls
    }

    /// `Ok` while the site runs; once it has exited, an error saying how, with its last words.
    /// A site that dies mid-scenario (killed from outside, say) must not be counted against
    /// the model that was crawling it.
    pub fn check_alive(&mut self) -> Result<(), Error> {
        let status = match self.child.try_wait() {
            Ok(None) => return Ok(()),
            Ok(Some(status)) => status,
            Err(e) => return Err(Error::io("cannot check on the test site", e)),
        };
        // The process is gone, so its stderr is at its end and the reader thread finishing.
        let log = self.log.take().and_then(|h| h.join().ok()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        let said = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
        let said = if said.is_empty() { String::new() } else { format!("; it said: {said}") };
        Err(Error::Site(format!("the test site exited during the scenario ({status}){said}")))
    }

    /// Stops the site and returns its last line of counts ("stopped after N requests on M
    /// connections, at most K in flight at once"), if it printed one.
    pub fn stop(mut self) -> Option<String> {
        match self.stop {
            StopBy::CloseStdin => drop(self.stdin.take()),
            StopBy::Interrupt => {
                let pid = i32::try_from(self.child.id()).ok().map(Pid::from_raw)?;
                let _ = kill(pid, Signal::SIGINT);
            }
        }
        let deadline = Instant::now() + STOP_GRACE;
        // Polled, not `wait`ed: a site that ignores the signal must not hang the harness.
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.log.take().and_then(|h| h.join().ok()).unwrap_or_default();
        log.lines().rev().find(|l| l.starts_with("stopped after")).map(String::from)
    }
}

impl Drop for SiteProcess {
    fn drop(&mut self) {
        // After `stop` the child is already reaped, and these do nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL a [`SiteProcess`] holds until the site has printed its own.
fn placeholder_url() -> Url {
    // Cannot fail: a constant, valid URL.
    Url::parse("http://127.0.0.1/").expect("valid URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site that dies is noticed, with how it died and what it said last.
    #[test]
    fn a_dead_site_is_noticed() {
        let script = "echo http://127.0.0.1:1/; echo dying >&2; kill -9 $$";
        let cmd = SiteCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            stop: StopBy::Interrupt,
        };
        let mut site = SiteProcess::start(&cmd).unwrap();
        assert_eq!(site.url().as_str(), "http://127.0.0.1:1/");
        let deadline = Instant::now() + Duration::from_secs(10);
        let err = loop {
            match site.check_alive() {
                Ok(()) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(()) => panic!("the site never died"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(err.contains("signal: 9") && err.ends_with("it said: dying"), "{err}");
    }

    /// A site the `testsite` binary's flags can describe is served by it; 8 KiB pages, which
    /// it has no flag for, by `compare --serve-site`; the docs by `testsite --dir`.
    #[test]
    fn commands() {
        let (bin, compare) = (Path::new("/t"), Path::new("/t/compare"));
        let small = SiteSource::Generated(Generated::new(300, 5));
        let plain = command(bin, compare, &small, None, None).unwrap();
        assert_eq!(plain.program, Path::new("/t/testsite"));
        assert_eq!(
            plain.args,
            ["--pages", "300", "--latency-ms", "5", "--seed", "1", "--port", "0"]
        );
        assert_eq!(plain.stop, StopBy::Interrupt);
        let big = Generated { page_size: 8192, ..Generated::new(300, 0) };
        let big = command(bin, compare, &SiteSource::Generated(big), None, None).unwrap();
        assert_eq!((big.program.as_path(), big.stop), (compare, StopBy::CloseStdin));
        assert_eq!(big.args[..5], [serve::SERVE_FLAG, "--pages", "300", "--page-size", "8192"]);
        let docs = command(bin, compare, &SiteSource::RustDocs, Some(Path::new("/d")), None);
        assert_eq!(docs.unwrap().args, ["--dir", "/d", "--port", "0"]);
        assert!(command(bin, compare, &SiteSource::RustDocs, None, None).is_err());
        // Over TLS: the same, and where to write the CA.
        let tls = command(bin, compare, &small, None, Some(Path::new("/c.pem"))).unwrap();
        assert_eq!(tls.args[8..], ["--tls", "--ca-out", "/c.pem"]);
        // A new connection for every request.
        let closing = Generated { keep_alive: false, ..Generated::new(300, 0) };
        let closing = command(bin, compare, &SiteSource::Generated(closing), None, None).unwrap();
        assert_eq!(closing.args.last().map(String::as_str), Some("--no-keep-alive"));
    }
}
