//! The conformance suite: scenarios every model must pass, unchanged, each against a fresh test
//! site on 127.0.0.1. A model's `tests/conformance.rs` is one line:
//!
//! ```ignore
//! testsite::conformance_tests!(threads::crawl);
//! ```
//!
//! which makes one `#[test]` per scenario (so they run in parallel and fail one by one), or call
//! [`run_all`] to run them all in one go.

mod chapter;
pub mod cli;
mod compression;
mod faults;
pub mod handles;
mod keep_alive;
mod limits;
mod politeness;
mod scale;
mod tls;

use std::time::Duration;

pub use chapter::*;
pub use compression::*;
pub use faults::*;
pub use keep_alive::*;
pub use limits::*;
pub use politeness::*;
pub use scale::*;
pub use tls::*;

use crate::{Expected, ServerHandle, Site};
use shared::progress::Snapshot;
use shared::{Config, ConfigBuilder, FetchStatistic, Report};

/// A model's crawl function: what every scenario is given.
pub type CrawlFn = fn(&Config) -> Report;

/// A scenario: given a model's crawl, it passes or panics.
pub type Scenario = fn(CrawlFn);

// Every scenario, by name, in a stable order: `SCENARIOS` for `run_all`.
crate::__conformance_scenarios!(__conformance_table!());

/// Runs every scenario against `crawl`, then panics listing each one that failed.
pub fn run_all(crawl: CrawlFn) {
    let failed: Vec<&str> = SCENARIOS
        .iter()
        .filter(|(name, scenario)| {
            eprintln!("conformance: {name}");
            std::panic::catch_unwind(|| scenario(crawl)).is_err()
        })
        .map(|(name, _)| *name)
        .collect();
    assert!(failed.is_empty(), "conformance scenarios failed: {failed:?}");
}

/// One `#[test]` per conformance scenario, for the crawl function given, and the same again
/// over TLS in a module `over_tls` (each scenario unchanged, its site served as https with a
/// certificate the crawl is told to trust: see [`crate::tls::over_tls`]).
#[macro_export]
macro_rules! conformance_tests {
    ($crawl:path) => {
        const CONFORMANCE_CRAWL: $crate::conformance::CrawlFn = $crawl;
        $crate::__conformance_scenarios!(conformance_tests!(@each;));
        mod over_tls {
            $crate::__conformance_scenarios!(conformance_tests!(@each_tls;));
        }
    };
    (@each; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$name(CONFORMANCE_CRAWL);
            }
        )*
    };
    (@each_tls; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::tls::over_tls(|| $crate::conformance::$name(super::CONFORMANCE_CRAWL));
            }
        )*
    };
}

/// The one list of scenario names, handed to `$then` (an exported macro of this crate) after
/// `$args`: both [`SCENARIOS`] and [`conformance_tests!`] are made from it, so they cannot
/// drift apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_scenarios {
    ($then:ident!($($args:tt)*)) => {
        $crate::$then!($($args)*
            link, link_cycle, self_link_counts, prohibited_host, port_is_ignored, non_http_links,
            redirect, redirect_chain, redirect_limit, redirect_cycle, redirect_join,
            redirect_to_refused_host, not_redirects, encodings, content_types, noscript_links, xml_links,
            roots_and_exclude, max_tasks_reached_exactly, max_tries_with_closed_connections,
            fault_reset, fault_close_mid_body, fault_never_answer, fault_garbage, fault_huge_body,
            fault_slow_trickle, fault_refused, panic_in_link_extraction, idle_close_after_each_response,
            idle_close_after_third_response, reset_on_a_new_connection_is_a_try, max_pages, max_depth, generated_site_one_task,
            generated_site_fifty_tasks, one_task_is_deterministic, stop_prints_partial_report,
            tls_untrusted_certificate, tls_wrong_name, tls_handshake_cut,
            tls_garbage_instead_of_server_hello, http_and_https_are_two_urls,
            tls_sessions_are_resumed, gzip_pages_are_decoded, br_pages_are_decoded,
            gzip_bomb_is_cut_at_the_cap, corrupt_gzip_is_malformed,
            max_per_host_holds_on_every_host, other_hosts_go_on_while_one_waits,
            delay_spaces_the_starts, robots_disallowed_urls_are_never_fetched,
            robots_fetched_once_per_origin, robots_4xx_5xx_and_unreachable, robots_crawl_delay,
            robots_redirects_are_followed, robots_on_a_generated_site);
    };
}

/// Makes [`SCENARIOS`] from the list.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_table {
    ($($name:ident),* $(,)?) => {
        /// Every scenario, by name, in a stable order.
        pub const SCENARIOS: &[(&str, $crate::conformance::Scenario)] =
            &[$((stringify!($name), $crate::conformance::$name)),*];
    };
}

/// A finished crawl of a test site, with the server still up for its counters.
#[derive(Debug)]
pub struct Run {
    /// The server: ask it how often each path was requested.
    pub server: ServerHandle,
    /// The configuration crawled with.
    pub config: Config,
    /// The crawl's report, already checked against the invariants every report must hold.
    pub report: Report,
}

impl Run {
    /// Serves `site`, crawls it from `/` with `tweak` applied to the default config.
    pub fn new(crawl: CrawlFn, site: &Site, tweak: impl FnOnce(&mut ConfigBuilder)) -> Run {
        let server = site.serve("127.0.0.1:0").expect("test site starts");
        let mut builder = config_for(&server);
        builder.timeout(Duration::from_secs(5));
        tweak(&mut builder);
        let config = builder.build().expect("a valid configuration");
        let report = crawl(&config);
        check_invariants(&report);
        if !report.interrupted {
            // The progress line's counts, at the end of a whole crawl: every URL queued was
            // taken and done, once (with --robots, robots.txt and the disallowed URLs too).
            let counted = config.progress().snapshot();
            let done = if config.robots() { counted.done } else { report.stats.len() };
            let expected = Snapshot { done, in_flight: 0, queued: 0 };
            assert_eq!(counted, expected, "the Progress counts disagree with the report");
        }
        Run { server, config, report }
    }

    /// The absolute URL of `path` on this run's site.
    pub fn url(&self, path: &str) -> String {
        self.server.url().join(path).expect("valid path").to_string()
    }

    /// The record of `path`; panics, listing what was done, if there is none.
    pub fn stat(&self, path: &str) -> &FetchStatistic {
        let url = self.url(path);
        self.report
            .get(&url)
            .unwrap_or_else(|| panic!("no record for {url}; done: {:#?}", self.urls()))
    }

    /// Every URL done, sorted.
    pub fn urls(&self) -> Vec<&str> {
        self.report.stats.iter().map(|s| s.url.as_str()).collect()
    }

    /// Asserts the URLs done are exactly `paths` on this site.
    pub fn assert_done(&self, paths: &[&str]) {
        let mut want: Vec<String> = paths.iter().map(|p| self.url(p)).collect();
        want.sort();
        assert_eq!(self.urls(), want, "URLs done");
    }

    /// Asserts the report agrees with the site's oracle, and that every URL done was requested
    /// from the server exactly `tries` times (1 unless faults are retried).
    pub fn assert_oracle(&self, site: &Site) {
        let expected = site.expected(&self.config);
        let got: Vec<Expected> = self.report.stats.iter().map(Expected::of).collect();
        if got != expected {
            let missing: Vec<_> = expected.iter().filter(|e| !got.contains(e)).take(10).collect();
            let extra: Vec<_> = got.iter().filter(|g| !expected.contains(g)).take(10).collect();
            panic!(
                "report differs from the oracle ({} records, {} expected)\nmissing or wrong: {missing:#?}\nunexpected: {extra:#?}",
                got.len(),
                expected.len()
            );
        }
    }

    /// Asserts each URL done was requested from the server exactly once.
    pub fn assert_each_fetched_once(&self) {
        for stat in &self.report.stats {
            let url = url::Url::parse(&stat.url).expect("URL in normal form");
            let path = crate::path_of(&url);
            assert_eq!(self.server.requests(&path), 1, "requests for {path}");
        }
        assert_eq!(self.server.total_requests(), self.report.stats.len(), "requests in all");
    }
}

/// The configuration of a crawl of `server` from its root: trusting the suite's authority
/// when the scenario runs over TLS ([`crate::tls::over_tls`]).
pub fn config_for(server: &ServerHandle) -> ConfigBuilder {
    let mut builder = Config::builder([server.url().as_str()]);
    if let Some(authority) = crate::tls::suite_authority() {
        builder.trust(authority.ca_cert());
    }
    builder
}

/// A port on 127.0.0.1 where nobody listens, and stays so while the returned socket lives: it is
/// bound (so no other test can take the port) but never listening, so connections are refused.
pub fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("valid address")).expect("bind");
    let port = socket.local_addr().expect("bound address").port();
    (socket, port)
}

/// What every report must hold, whatever the site: sorted distinct URLs in normal form, exactly
/// one of status and exception, `num_new_urls <= num_urls`, redirects shaped as the contract says.
pub fn check_invariants(report: &Report) {
    for pair in report.stats.windows(2) {
        assert!(
            pair[0].url < pair[1].url,
            "sorted and distinct: {} then {}",
            pair[0].url,
            pair[1].url
        );
    }
    for s in &report.stats {
        let parsed = url::Url::parse(&s.url).expect("absolute URL");
        assert_eq!(parsed.as_str(), s.url, "normal form");
        assert!(parsed.fragment().is_none(), "no fragment: {}", s.url);
        assert!(
            s.status.is_none() != s.exception.is_none(),
            "exactly one of status, exception: {s:?}"
        );
        assert!(s.num_new_urls <= s.num_urls, "num_new_urls <= num_urls: {s:?}");
        if let Some(next) = &s.next_url {
            assert_eq!(
                url::Url::parse(next).expect("absolute").as_str(),
                next,
                "next_url normal form"
            );
            assert_eq!((s.size, s.num_urls, s.num_new_urls), (0, 0, 0), "redirect record: {s:?}");
            assert!(s.content_type.is_none() && s.encoding.is_none(), "redirect record: {s:?}");
        }
        if s.exception.is_some() {
            assert_eq!((s.size, s.num_urls), (0, 0), "failure record: {s:?}");
        }
    }
}
