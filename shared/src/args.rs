//! [`Args`]: the one command line of `callback`, `threads` and `coroutine` (see `docs/contract.md`),
//! parsed by clap and validated into a [`Config`]. Only in the `cli` feature.

use std::time::Duration;

use clap::Parser;

use crate::{Config, Error};

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
    /// Also trust the CA certificates in FILE (PEM) for https.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Most fetches in flight to one host (host:port) at once [default: --max-tasks].
    #[arg(long, value_name = "N")]
    pub max_per_host: Option<usize>,
    /// Least time between the starts of two requests to one host, in seconds (a decimal).
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub delay: f64,
    /// Obey each host's robots.txt (RFC 9309), Crawl-delay included.
    #[arg(long)]
    pub robots: bool,
    /// More logging on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less logging on stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
}

impl TryFrom<Args> for Config {
    type Error = Error;

    fn try_from(args: Args) -> Result<Config, Error> {
        if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout < 1e9) {
            return Err(Error::BadFlag(format!(
                "--timeout must be a positive number of seconds, not {}",
                args.timeout
            )));
        }
        if !(args.delay.is_finite() && args.delay >= 0.0 && args.delay < 1e9) {
            return Err(Error::BadFlag(format!(
                "--delay must be a number of seconds, 0 or more, not {}",
                args.delay
            )));
        }
        let mut builder = Config::builder(&args.roots);
        if let Some(n) = args.max_per_host {
            builder.max_per_host(n);
        }
        if let Some(pattern) = &args.exclude {
            builder.exclude(pattern);
        }
        if let Some(path) = &args.ca_file {
            builder.ca_file(path);
        }
        builder
            .max_tasks(args.max_tasks)
            .max_redirect(args.max_redirect)
            .max_tries(args.max_tries)
            .lenient(args.lenient)
            .timeout(Duration::from_secs_f64(args.timeout))
            .max_pages(args.max_pages)
            .max_depth(args.max_depth)
            .json(args.json)
            .delay(Duration::from_secs_f64(args.delay))
            .robots(args.robots)
            .verbosity((args.verbose.min(3) as i8) - (args.quiet.min(2) as i8))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<Config, Error> {
        let argv = std::iter::once("crawler").chain(extra.iter().copied());
        Config::try_from(Args::try_parse_from(argv).expect("clap accepts"))
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
            vec!["x.org", "--ca-file", "/nonexistent/ca.pem"],
            vec!["x.org", "--ca-file", "Cargo.toml"],
            vec!["x.org", "--max-per-host", "0"],
            vec!["x.org", "--delay=-1"],
            vec!["x.org", "--delay", "inf"],
            vec!["x.org", "--delay", "NaN"],
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
            "--max-per-host=2",
            "--delay=0.25",
            "--robots",
            "-vv",
        ])
        .unwrap();
        assert_eq!(
            (c.max_per_host(), c.delay(), c.robots()),
            (2, Duration::from_millis(250), true)
        );
        let defaults = args(&["x.org", "--max-tasks=7"]).unwrap();
        assert_eq!(
            (defaults.max_per_host(), defaults.delay(), defaults.robots()),
            (7, Duration::ZERO, false)
        );
        assert_eq!((c.max_tasks(), c.max_redirect(), c.max_tries()), (3, 2, 5));
        assert!(c.exclude().unwrap().is_match("http://x.org/a.png"));
        assert!(c.lenient() && c.json());
        assert_eq!(c.timeout(), Duration::from_millis(1500));
        assert_eq!((c.max_pages(), c.max_depth(), c.verbosity()), (Some(7), Some(4), 2));
    }
}
