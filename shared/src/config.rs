//! [`Config`]: the validated configuration every model's `crawl` takes (the command line of
//! `docs/contract.md`, parsed by `Args` in the `cli` feature, or built in code).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use rustls::pki_types::CertificateDer;
use url::{Host, Url};

use crate::{Error, Progress, Stop};

/// A validated crawl configuration: what every model's `crawl(&Config)` takes.
///
/// Its fields are private and checked once, when it is built ([`Config::builder`], or
/// [`Config::new`] for the defaults): a `Config` cannot hold zero tasks, zero tries, a zero
/// timeout or a root that is not a URL, whether it comes from the command line or from code.
/// The two live handles it carries, [`Stop`] and [`Progress`], are shared by its clones.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let config = shared::Config::builder(["127.0.0.1:8080"])
///     .max_tasks(4)
///     .timeout(Duration::from_secs(2))
///     .build()
///     .unwrap();
/// assert_eq!(config.max_tasks(), 4);
/// assert!(shared::Config::builder(["x.org"]).max_tasks(0).build().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    roots: Vec<Url>,
    max_tasks: usize,
    max_redirect: u32,
    max_tries: u32,
    exclude: Option<Regex>,
    lenient: bool,
    timeout: Duration,
    max_pages: Option<usize>,
    max_depth: Option<u32>,
    json: bool,
    verbosity: i8,
    max_per_host: Option<usize>,
    delay: Duration,
    robots: bool,
    ca_certs: Arc<[CertificateDer<'static>]>,
    stop: Stop,
    progress: Progress,
}

impl Config {
    /// A configuration with the contract's defaults for the given roots.
    ///
    /// # Examples
    /// ```
    /// let config = shared::Config::new(["example.com/a#top"]).unwrap();
    /// assert_eq!(config.roots()[0].as_str(), "http://example.com/a");
    /// assert_eq!(config.max_tasks(), 10);
    /// assert!(shared::Config::new(["ftp://example.com/"]).is_err());
    /// ```
    pub fn new<I, S>(roots: I) -> Result<Config, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Config::builder(roots).build()
    }

    /// A builder with the contract's defaults for the given roots, checked by
    /// [`ConfigBuilder::build`].
    pub fn builder<I, S>(roots: I) -> ConfigBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ConfigBuilder {
            roots: roots.into_iter().map(|r| r.as_ref().to_string()).collect(),
            max_tasks: 10,
            max_redirect: 10,
            max_tries: 4,
            exclude: None,
            lenient: false,
            timeout: Duration::from_secs(10),
            max_pages: None,
            max_depth: None,
            json: false,
            verbosity: 0,
            max_per_host: None,
            delay: Duration::ZERO,
            robots: false,
            ca_file: None,
            trusted: Vec::new(),
            stop: Stop::new(),
            progress: Progress::new(),
        }
    }

    /// The roots, normalized and deduplicated, in the order given.
    pub fn roots(&self) -> &[Url] {
        &self.roots
    }

    /// Most fetches in flight at once (at least 1).
    pub fn max_tasks(&self) -> usize {
        self.max_tasks
    }

    /// Longest redirect chain followed.
    pub fn max_redirect(&self) -> u32 {
        self.max_redirect
    }

    /// Requests in total per URL before a network error is final (at least 1).
    pub fn max_tries(&self) -> u32 {
        self.max_tries
    }

    /// URLs matching this are skipped (roots excepted).
    pub fn exclude(&self) -> Option<&Regex> {
        self.exclude.as_ref()
    }

    /// Lenient host matching instead of strict.
    pub fn lenient(&self) -> bool {
        self.lenient
    }

    /// Timeout of one request, from connect to the end of the body (more than zero).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Cap on the number of URLs ever enqueued.
    pub fn max_pages(&self) -> Option<usize> {
        self.max_pages
    }

    /// Cap on the link distance from a root.
    pub fn max_depth(&self) -> Option<u32> {
        self.max_depth
    }

    /// JSON Lines report instead of text.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Logging level: 0 warnings, 1 info, 2 debug, 3 trace, -1 errors only, -2 nothing.
    pub fn verbosity(&self) -> i8 {
        self.verbosity
    }

    /// The certificates of `--ca-file`, trusted for https beside the web's roots: what every
    /// client of a crawl builds its [`Tls`](crate::http::Tls) from.
    pub fn ca_certs(&self) -> &[CertificateDer<'static>] {
        &self.ca_certs
    }

    /// Fired by Ctrl-C: the crawl stops taking URLs and returns what it has.
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// Counted by the model as it crawls (URLs queued, in flight, done), for the progress line.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// `--max-per-host`: most fetches in flight to one host (host:port) at once; `--max-tasks`
    /// unless set.
    pub fn max_per_host(&self) -> usize {
        self.max_per_host.unwrap_or(self.max_tasks).min(self.max_tasks)
    }

    /// `--delay`: least time between the starts of two requests to one host.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// `--robots`: whether each origin's robots.txt is obeyed.
    pub fn robots(&self) -> bool {
        self.robots
    }
}

/// The settings of a [`Config`] before they are checked: set what differs from the contract's
/// defaults, then [`build`](ConfigBuilder::build). Its errors are the command line's (one line
/// each, exit 2 from a binary).
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    roots: Vec<String>,
    max_tasks: usize,
    max_redirect: u32,
    max_tries: u32,
    exclude: Option<String>,
    lenient: bool,
    timeout: Duration,
    max_pages: Option<usize>,
    max_depth: Option<u32>,
    json: bool,
    verbosity: i8,
    max_per_host: Option<usize>,
    delay: Duration,
    robots: bool,
    ca_file: Option<PathBuf>,
    trusted: Vec<CertificateDer<'static>>,
    stop: Stop,
    progress: Progress,
}

impl ConfigBuilder {
    /// The roots as given so far (checked by `build`).
    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// One more root.
    pub fn root(&mut self, root: &str) -> &mut Self {
        self.roots.push(root.to_string());
        self
    }

    /// `--max-tasks`: most fetches in flight at once (0 is refused by `build`).
    pub fn max_tasks(&mut self, max_tasks: usize) -> &mut Self {
        self.max_tasks = max_tasks;
        self
    }

    /// `--max-redirect`: longest redirect chain followed.
    pub fn max_redirect(&mut self, max_redirect: u32) -> &mut Self {
        self.max_redirect = max_redirect;
        self
    }

    /// `--max-tries`: requests in total per URL (0 is refused by `build`).
    pub fn max_tries(&mut self, max_tries: u32) -> &mut Self {
        self.max_tries = max_tries;
        self
    }

    /// `--exclude`: a regular expression, compiled by `build`.
    pub fn exclude(&mut self, pattern: &str) -> &mut Self {
        self.exclude = Some(pattern.to_string());
        self
    }

    /// `--lenient`: lenient host matching.
    pub fn lenient(&mut self, lenient: bool) -> &mut Self {
        self.lenient = lenient;
        self
    }

    /// `--timeout`: of one request, body included (zero is refused by `build`).
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// `--max-pages`: never enqueue more URLs than this in total.
    pub fn max_pages(&mut self, max_pages: Option<usize>) -> &mut Self {
        self.max_pages = max_pages;
        self
    }

    /// `--max-depth`: never enqueue links farther from a root than this.
    pub fn max_depth(&mut self, max_depth: Option<u32>) -> &mut Self {
        self.max_depth = max_depth;
        self
    }

    /// `--json`: the report as JSON Lines.
    pub fn json(&mut self, json: bool) -> &mut Self {
        self.json = json;
        self
    }

    /// `-v` / `-q`: the logging level (see [`Config::verbosity`]).
    pub fn verbosity(&mut self, verbosity: i8) -> &mut Self {
        self.verbosity = verbosity;
        self
    }

    /// `--ca-file`: a PEM file of CA certificates to trust for https beside the web's roots,
    /// read and checked by `build`.
    pub fn ca_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.ca_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Trusts `cert` (a CA certificate, DER) for https beside the web's roots: `--ca-file` for
    /// code that holds the certificate itself (a test site's generated authority).
    pub fn trust(&mut self, cert: CertificateDer<'static>) -> &mut Self {
        self.trusted.push(cert);
        self
    }

    /// The Ctrl-C signal the crawl obeys (a new one by default).
    pub fn stop(&mut self, stop: Stop) -> &mut Self {
        self.stop = stop;
        self
    }

    /// `--max-per-host`: most fetches in flight to one host at once (0 is refused by `build`).
    pub fn max_per_host(&mut self, max_per_host: usize) -> &mut Self {
        self.max_per_host = Some(max_per_host);
        self
    }

    /// `--delay`: least time between the starts of two requests to one host.
    pub fn delay(&mut self, delay: Duration) -> &mut Self {
        self.delay = delay;
        self
    }

    /// `--robots`: obey each origin's robots.txt (RFC 9309).
    pub fn robots(&mut self, robots: bool) -> &mut Self {
        self.robots = robots;
        self
    }

    /// Checks every setting and makes the [`Config`]: the first bad one is the error.
    pub fn build(&self) -> Result<Config, Error> {
        let mut roots: Vec<Url> = Vec::new();
        for root in &self.roots {
            let url = parse_root(root)?;
            if !roots.contains(&url) {
                roots.push(url);
            }
        }
        if roots.is_empty() {
            return Err(Error::BadFlag("at least one ROOT is required".into()));
        }
        if self.max_tasks == 0 {
            return Err(Error::BadFlag("--max-tasks must be at least 1".into()));
        }
        if self.max_tries == 0 {
            return Err(Error::BadFlag("--max-tries must be at least 1".into()));
        }
        if self.timeout.is_zero() {
            return Err(Error::BadFlag("--timeout must be more than 0 seconds".into()));
        }
        if self.max_per_host == Some(0) {
            return Err(Error::BadFlag("--max-per-host must be at least 1".into()));
        }
        let exclude = match &self.exclude {
            Some(pattern) => {
                Some(Regex::new(pattern).map_err(|e| Error::BadRegex(one_line(&e.to_string())))?)
            }
            None => None,
        };
        let mut ca_certs = match &self.ca_file {
            Some(path) => crate::http::read_ca_file(path).map_err(Error::BadFlag)?,
            None => Vec::new(),
        };
        ca_certs.extend(self.trusted.iter().cloned());
        Ok(Config {
            roots,
            max_tasks: self.max_tasks,
            max_redirect: self.max_redirect,
            max_tries: self.max_tries,
            exclude,
            lenient: self.lenient,
            timeout: self.timeout,
            max_pages: self.max_pages,
            max_depth: self.max_depth,
            json: self.json,
            verbosity: self.verbosity,
            max_per_host: self.max_per_host,
            delay: self.delay,
            robots: self.robots,
            ca_certs: ca_certs.into(),
            stop: self.stop.clone(),
            progress: self.progress.clone(),
        })
    }
}

/// Parses one root: "host/path" with no scheme means http://; only http and https with a valid
/// host name or IP address are accepted; the fragment is dropped.
///
/// Everything is checked here, before a crawl starts, so that a malformed root never reaches a
/// resolver: `ht!tp://x` is not taken for the host `ht!tp`, nor `a b.org` for `a%20b.org`.
fn parse_root(input: &str) -> Result<Url, Error> {
    let bad = |reason: &str| Error::BadUrl { input: input.to_string(), reason: reason.to_string() };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad("empty"));
    }
    // The URL parser would drop a tab or a newline and percent-encode a space: a root with
    // either is a typing or quoting accident, not a URL.
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("a URL has no whitespace"));
    }
    let with_scheme = if has_scheme(trimmed) {
        trimmed.to_string()
    } else if let Some((scheme, _)) =
        trimmed.split_once("://").filter(|(scheme, _)| !scheme.contains(['/', '?', '#']))
    {
        // Left to the "no scheme" rule, `ht!tp://x` would become `http://ht!tp://x`: a crawl
        // of the host `ht!tp`. (A `://` after the path starts, as in `x.org/?u=http://y`, is
        // part of the URL.)
        return Err(bad(&format!("{scheme:?} is not a scheme")));
    } else {
        format!("http://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https URLs can be crawled"));
    }
    match url.host() {
        None => return Err(bad("no host")),
        Some(Host::Domain(name)) if !is_host_name(name) => {
            return Err(bad(&format!("{name:?} is not a host name")));
        }
        Some(_) => {}
    }
    url.set_fragment(None);
    Ok(url)
}

/// Whether `name` (a domain as the URL parser leaves it: lower-case, non-ASCII already in
/// punycode) can be looked up: dot-separated labels of letters, digits, `-` and `_`, 63 bytes
/// at most each, 253 in all, a final dot allowed. The URL standard lets `!`, `*` or `~` into a
/// host; no name server has such a name.
fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

/// Whether `input` starts with a scheme (`http:`, `mailto:`...): a letter, then letters, digits,
/// `+`, `-` or `.`, then a colon, unless what follows the colon is a port (`localhost:8080/a` is
/// a host and a port, to be crawled over http, not a URL of scheme `localhost`).
fn has_scheme(input: &str) -> bool {
    let Some((scheme, rest)) = input.split_once(':') else {
        return false;
    };
    let port = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    is_scheme(scheme) && (rest.starts_with("//") || !port.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `s` is a scheme's name (RFC 3986): a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The first line of a (possibly multi-line) message, so that errors stay on one line.
fn one_line(msg: &str) -> String {
    msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is meaningless at zero is refused when a `Config` is built in code, with the same
    /// one-line errors as on the command line; the defaults build.
    #[test]
    fn zero_is_refused_in_code() {
        let refused = |build: &mut ConfigBuilder| build.build().expect_err("must be refused");
        let builder = || Config::builder(["127.0.0.1"]);
        let e = refused(builder().max_tasks(0));
        assert_eq!(e.to_string(), "bad flag: --max-tasks must be at least 1");
        let e = refused(builder().max_tries(0));
        assert_eq!(e.to_string(), "bad flag: --max-tries must be at least 1");
        assert!(matches!(refused(builder().timeout(Duration::ZERO)), Error::BadFlag(_)));
        assert!(matches!(refused(builder().exclude("(")), Error::BadRegex(_)));
        let no_roots: [&str; 0] = [];
        assert!(matches!(refused(&mut Config::builder(no_roots)), Error::BadFlag(_)));
        let config = builder().max_tasks(1).build().unwrap();
        assert_eq!((config.max_tasks(), config.max_tries()), (1, 4));
    }

    /// A root without a scheme is http, and the normal form drops the fragment and default port.
    #[test]
    fn roots_are_normalized() {
        let c =
            Config::new(["Example.COM:80/a#frag", "https://x.org", "x.org/?u=http://y"]).unwrap();
        assert_eq!(c.roots[0].as_str(), "http://example.com/a");
        assert_eq!(c.roots[1].as_str(), "https://x.org/");
        assert_eq!(c.roots[2].as_str(), "http://x.org/?u=http://y");
    }

    /// Duplicate roots are crawled once.
    #[test]
    fn duplicate_roots_collapse() {
        let c = Config::new(["a.com", "http://a.com/", "a.com#x"]).unwrap();
        assert_eq!(c.roots.len(), 1);
    }

    /// A root with a scheme other than http or https is refused, however it is written; a host
    /// with a port is not mistaken for a scheme.
    #[test]
    fn other_schemes_are_refused() {
        for bad in ["mailto:x@y.org", "javascript:alert(1)", "ftp://x.org/", "file:///etc/passwd"] {
            let err = Config::new([bad]).expect_err(bad);
            assert!(matches!(err, Error::BadUrl { .. }), "{bad}: {err}");
        }
        let c = Config::new(["localhost:8080/a", "127.0.0.1:81", "x.org:"]).unwrap();
        let roots: Vec<&str> = c.roots.iter().map(Url::as_str).collect();
        assert_eq!(roots, ["http://localhost:8080/a", "http://127.0.0.1:81/", "http://x.org/"]);
    }

    /// A malformed root is refused while it is parsed, before anything could resolve it: a
    /// space or a tab anywhere, a scheme part that is not a scheme (rather than a host named
    /// `ht!tp`), an empty host, a host no name server has. Each refusal is one line.
    #[test]
    fn malformed_roots_are_refused() {
        for bad in [
            "ht!tp://x y",
            "ht!tp://x.org/",
            "h t://x.org/",
            "://x.org/",
            "x.org/a b",
            "http://x.org/a\tb",
            "http://x.org/a\nb",
            "http://x\u{a0}y.org/",
            "http://",
            "http:///",
            "http://:80/",
            "http://a..b/",
            "http://ex!ample.org/",
            "http://*.x.org/",
            "http://x.org:99999/",
            "-q x.org",
        ] {
            let err = Config::new([bad]).expect_err(&format!("{bad:?} must be refused"));
            assert!(matches!(err, Error::BadUrl { .. }), "{bad:?}: {err}");
            assert_eq!(err.to_string().lines().count(), 1, "{bad:?}: {err}");
        }
        let long = format!("http://{}.org/", "a".repeat(64));
        assert!(Config::new([long]).is_err(), "a label of 64 bytes");
    }

    /// What real hosts look like is still accepted: IP addresses, `_` and `-` in labels, a
    /// final dot, a non-ASCII name (in punycode), a `://` inside the query, spaces around.
    #[test]
    fn real_hosts_are_accepted() {
        let c = Config::new([
            "http://[::1]:8080/",
            "my_host-1.example.org",
            "example.org./a",
            "b\u{fc}cher.de",
            "x.org/?u=http://y",
            "  x.org/b \n",
        ])
        .unwrap();
        let roots: Vec<&str> = c.roots.iter().map(Url::as_str).collect();
        assert_eq!(
            roots,
            [
                "http://[::1]:8080/",
                "http://my_host-1.example.org/",
                "http://example.org./a",
                "http://xn--bcher-kva.de/",
                "http://x.org/?u=http://y",
                "http://x.org/b",
            ]
        );
    }
}
