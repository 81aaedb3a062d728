//! The one command line every crawler binary accepts ([`Args`], see `contract.md`) and the
//! validated [`Config`] the models crawl with.

use std::time::Duration;

use clap::Parser;
use regex::Regex;
use url::Url;

use crate::{Error, Stop};

/// The command line of `callback`, `threads` and `coroutine`, identical for all three.
#[derive(Debug, Clone, Parser)]
#[command(version, about = "Crawl a web site from one or more roots and report every URL.")]
pub struct Args {
    /// A URL to start from, repeatable; "host/path" with no scheme means http://
    #[arg(required = true, value_name = "ROOT")]
    pub roots: Vec<String>,
    /// Most fetches in flight at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_tasks: usize,
    /// Longest redirect chain followed.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_redirect: u32,
    /// Attempts per URL on network errors (requests in total).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_tries: u32,
    /// Skip URLs that match (searched anywhere in the URL).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Option<String>,
    /// Lenient host matching (same last two labels); strict is the default.
    #[arg(long)]
    pub lenient: bool,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Never enqueue more than N URLs in total (safety cap).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<usize>,
    /// Do not enqueue links more than N hops from a root (a redirect adds no hop).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// JSON Lines report on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// More logging on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less logging on stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
}

/// A validated crawl configuration: what every model's `crawl(&Config)` takes.
#[derive(Debug, Clone)]
pub struct Config {
    /// The roots, normalized and deduplicated, in the order given.
    pub roots: Vec<Url>,
    /// Most fetches in flight at once (at least 1).
    pub max_tasks: usize,
    /// Longest redirect chain followed.
    pub max_redirect: u32,
    /// Requests in total per URL before a network error is final (at least 1).
    pub max_tries: u32,
    /// URLs matching this are skipped (roots excepted).
    pub exclude: Option<Regex>,
    /// Lenient host matching instead of strict.
    pub lenient: bool,
    /// Timeout of one request, from connect to the end of the body.
    pub timeout: Duration,
    /// Cap on the number of URLs ever enqueued.
    pub max_pages: Option<usize>,
    /// Cap on the link distance from a root.
    pub max_depth: Option<u32>,
    /// JSON Lines report instead of text.
    pub json: bool,
    /// Logging level: 0 warnings, 1 info, 2 debug, 3 trace, -1 errors only, -2 nothing.
    pub verbosity: i8,
    /// Fired by Ctrl-C: the crawl stops taking URLs and returns what it has.
    pub stop: Stop,
}

impl Config {
    /// A configuration with the contract's defaults for the given roots.
    ///
    /// # Examples
    /// ```
    /// let config = shared::Config::new(["example.com/a#top"]).unwrap();
    /// assert_eq!(config.roots[0].as_str(), "http://example.com/a");
    /// assert_eq!(config.max_tasks, 10);
    /// assert!(shared::Config::new(["ftp://example.com/"]).is_err());
    /// ```
    pub fn new<I, S>(roots: I) -> Result<Config, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parsed: Vec<Url> = Vec::new();
        for root in roots {
            let url = parse_root(root.as_ref())?;
            if !parsed.contains(&url) {
                parsed.push(url);
            }
        }
        if parsed.is_empty() {
            return Err(Error::BadFlag("at least one ROOT is required".into()));
        }
        Ok(Config {
            roots: parsed,
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
            stop: Stop::new(),
        })
    }

    /// Sets `--exclude`, compiling the pattern.
    pub fn with_exclude(mut self, pattern: &str) -> Result<Config, Error> {
        let re = Regex::new(pattern).map_err(|e| Error::BadRegex(one_line(&e.to_string())))?;
        self.exclude = Some(re);
        Ok(self)
    }
}

impl TryFrom<Args> for Config {
    type Error = Error;

    fn try_from(args: Args) -> Result<Config, Error> {
        let mut config = Config::new(&args.roots)?;
        if args.max_tasks == 0 {
            return Err(Error::BadFlag("--max-tasks must be at least 1".into()));
        }
        if args.max_tries == 0 {
            return Err(Error::BadFlag("--max-tries must be at least 1".into()));
        }
        if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout < 1e9) {
            return Err(Error::BadFlag(format!(
                "--timeout must be a positive number of seconds, not {}",
                args.timeout
            )));
        }
        if let Some(pattern) = &args.exclude {
            config = config.with_exclude(pattern)?;
        }
        config.max_tasks = args.max_tasks;
        config.max_redirect = args.max_redirect;
        config.max_tries = args.max_tries;
        config.lenient = args.lenient;
        config.timeout = Duration::from_secs_f64(args.timeout);
        config.max_pages = args.max_pages;
        config.max_depth = args.max_depth;
        config.json = args.json;
        config.verbosity = (args.verbose.min(3) as i8) - (args.quiet.min(2) as i8);
        Ok(config)
    }
}

/// Parses one root: "host/path" with no scheme means http://; only http and https with a host
/// are accepted; the fragment is dropped.
fn parse_root(input: &str) -> Result<Url, Error> {
    let bad = |reason: &str| Error::BadUrl { input: input.to_string(), reason: reason.to_string() };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad("empty"));
    }
    let with_scheme =
        if has_scheme(trimmed) { trimmed.to_string() } else { format!("http://{trimmed}") };
    let mut url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https URLs can be crawled"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    url.set_fragment(None);
    Ok(url)
}

/// Whether `input` starts with `scheme://` (a letter, then letters, digits, `+`, `-`, `.`).
fn has_scheme(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The first line of a (possibly multi-line) message, so that errors stay on one line.
fn one_line(msg: &str) -> String {
    msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<Config, Error> {
        let argv = std::iter::once("crawler").chain(extra.iter().copied());
        Config::try_from(Args::try_parse_from(argv).expect("clap accepts"))
    }

    /// A root without a scheme is http, and the normal form drops the fragment and default port.
    #[test]
    fn roots_are_normalized() {
        let c = args(&["Example.COM:80/a#frag", "https://x.org", "x.org/?u=http://y"]).unwrap();
        assert_eq!(c.roots[0].as_str(), "http://example.com/a");
        assert_eq!(c.roots[1].as_str(), "https://x.org/");
        assert_eq!(c.roots[2].as_str(), "http://x.org/?u=http://y");
    }

    /// Duplicate roots are crawled once.
    #[test]
    fn duplicate_roots_collapse() {
        let c = args(&["a.com", "http://a.com/", "a.com#x"]).unwrap();
        assert_eq!(c.roots.len(), 1);
    }

    /// Bad input is refused with a one-line error.
    #[test]
    fn bad_input_is_refused() {
        for bad in [
            vec!["ftp://x.org/"],
            vec!["http://"],
            vec!["http://a b/"],
            vec!["x.org", "--exclude", "("],
            vec!["x.org", "--max-tasks", "0"],
            vec!["x.org", "--max-tries", "0"],
            vec!["x.org", "--timeout", "0"],
            vec!["x.org", "--timeout", "NaN"],
        ] {
            let err = args(&bad).expect_err(&format!("{bad:?} must be refused"));
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    /// Every flag of the contract reaches the Config.
    #[test]
    fn flags_reach_the_config() {
        let c = args(&[
            "x.org",
            "--max-tasks=3",
            "--max-redirect=2",
            "--max-tries=5",
            "--exclude=\\.png$",
            "--lenient",
            "--timeout=1.5",
            "--max-pages=7",
            "--max-depth=4",
            "--json",
            "-vv",
        ])
        .unwrap();
        assert_eq!((c.max_tasks, c.max_redirect, c.max_tries), (3, 2, 5));
        assert!(c.exclude.unwrap().is_match("http://x.org/a.png"));
        assert!(c.lenient && c.json);
        assert_eq!(c.timeout, Duration::from_millis(1500));
        assert_eq!((c.max_pages, c.max_depth, c.verbosity), (Some(7), Some(4), 2));
    }
}
