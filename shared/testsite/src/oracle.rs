//! The oracle: what a correct crawl of a [`Site`] must report, worked out from the site's own
//! resources (not by fetching), and the fastest such a crawl could possibly be.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use url::Url;

use crate::{Fault, Resource, Site};
use shared::page::{REDIRECTS, parse_content_type};
use shared::robots::RobotsTxt;
use shared::{Config, FetchStatistic, Policy};

/// The part of a URL's record that a correct crawl fixes, whatever its concurrency.
///
/// (`num_new_urls` depends on the order pages are parsed in, `size` and `encoding` are checked
/// elsewhere, and the exception text depends on the fault.)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// The URL, in normal form.
    pub url: String,
    /// The status; `None` for a network failure.
    pub status: Option<u16>,
    /// The redirect target.
    pub next_url: Option<String>,
    /// The media type.
    pub content_type: Option<String>,
    /// Distinct allowed links.
    pub num_urls: usize,
}

impl Expected {
    /// The comparable part of a crawler's record.
    pub fn of(stat: &FetchStatistic) -> Expected {
        Expected {
            url: stat.url.clone(),
            status: stat.status,
            next_url: stat.next_url.clone(),
            content_type: stat.content_type.clone(),
            num_urls: stat.num_urls,
        }
    }
}

/// What the site answers, as far as a crawl can tell.
enum Answer<'a> {
    Body { status: u16, content_type: Option<&'a str>, links: &'a [String] },
    Redirect { status: u16, location: &'a str },
    Fail,
}

/// One fetch of the simulated crawl.
struct Visit {
    url: Url,
    max_redirect: u32,
    depth: u32,
}

impl Site {
    /// The records a correct crawl with `config` must produce, sorted by URL: every reachable
    /// URL exactly once. The site is assumed served at the first root's origin; other origins
    /// (a different port on the same host, say) fail as unreachable.
    ///
    /// With `--max-pages` or `--max-depth`, which URLs make it depends on the order pages are
    /// parsed in; this gives the answer of a first-in-first-out crawl, which `--max-tasks 1` is.
    pub fn expected(&self, config: &Config) -> Vec<Expected> {
        self.simulate(config, 1).0
    }

    /// The wall time of a perfect crawl of this site from `/` with `max_tasks`: the contract's
    /// crawl, first in first out, at most `max_tasks` fetches at once, each taking exactly the
    /// site's latency for its path, and nothing else taking any time (no parsing, no network,
    /// no scheduling). A crawler can only be slower.
    ///
    /// It is worked out by simulating that crawl event by event: a fetch ends, its links join
    /// the queue, and the freed slots take the next URLs at that instant. This is tighter than
    /// either simple bound (rounds of dependent fetches × latency, or all the latencies ÷
    /// `max_tasks`): early in a crawl, few URLs are known and most slots sit idle.
    pub fn ideal_secs(&self, max_tasks: usize) -> f64 {
        // Cannot fail: a constant, valid root.
        let config = Config::new(["http://127.0.0.1/"]).expect("valid root");
        self.simulate(&config, max_tasks).1.as_secs_f64()
    }

    /// [`ideal_secs`](Self::ideal_secs) of a crawl with `config` (from its roots, with its
    /// `--max-tasks`), and polite as it says: at most `--max-per-host` fetches to one host:port
    /// at once, their starts `--delay` apart. The perfect polite crawler starts, at each
    /// instant, the oldest URLs whose host has room, and never holds a slot for a URL that
    /// must wait: the time of its crawl is the ideal a polite model is held against.
    pub fn ideal_for(&self, config: &Config) -> f64 {
        self.simulate(config, config.max_tasks()).1.as_secs_f64()
    }

    /// A first-in-first-out crawl with `max_tasks` slots, by the contract's rules, over the
    /// resources themselves, each fetch taking its path's latency. Returns the records and the
    /// time the last fetch ends. With one slot the order is a plain FIFO; with more, pages are
    /// parsed in the order their fetches end (ties in the order they started).
    fn simulate(&self, config: &Config, max_tasks: usize) -> (Vec<Expected>, Duration) {
        let policy = Policy::new(config);
        let origin = config.roots()[0].origin();
        let home = |url: &Url| {
            url.origin() == origin || self.origins.iter().any(|o| o.origin() == url.origin())
        };
        let (max_per_host, delay) = (config.max_per_host(), config.delay());
        let polite = max_per_host < config.max_tasks() || !delay.is_zero();
        let host_of = |url: &Url| {
            format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
        };
        // Per host: fetches under way, and the last start.
        let mut hosts: HashMap<String, (usize, Option<Duration>)> = HashMap::new();
        // With --robots: what the site's robots.txt allows (every origin serves the same one).
        let robots = config.robots().then(|| self.robots_txt());
        let mut seen: HashSet<Url> = config.roots().iter().cloned().collect();
        let mut queue: VecDeque<Visit> = config
            .roots()
            .iter()
            .map(|url| Visit { url: url.clone(), max_redirect: config.max_redirect(), depth: 0 })
            .collect();
        let admit = |seen: &HashSet<Url>, depth: u32| {
            config.max_depth().is_none_or(|max| depth <= max)
                && config.max_pages().is_none_or(|max| seen.len() < max)
        };
        let mut records = Vec::new();
        // Fetches under way, by (end, start order); the visits themselves by start order.
        let mut in_flight: BinaryHeap<Reverse<(Duration, usize)>> = BinaryHeap::new();
        let mut started: Vec<Option<Visit>> = Vec::new();
        let mut now = Duration::ZERO;
        loop {
            // The oldest URLs whose host has room start now (without politeness: the oldest).
            let mut i = 0;
            let mut next_turn: Option<Duration> = None;
            while in_flight.len() < max_tasks.max(1) && i < queue.len() {
                if robots.as_ref().is_some_and(|r| !r.allowed(&queue[i].url)) {
                    queue.remove(i); // never fetched, no record
                    continue;
                }
                if polite {
                    let (busy, last) =
                        hosts.get(&host_of(&queue[i].url)).copied().unwrap_or_default();
                    let turn = last.map_or(now, |last| (last + delay).max(now));
                    if busy >= max_per_host || turn > now {
                        if busy < max_per_host {
                            next_turn = Some(next_turn.map_or(turn, |t: Duration| t.min(turn)));
                        }
                        i += 1;
                        continue;
                    }
                }
                // Cannot fail: `i < queue.len()`.
                let visit = queue.remove(i).expect("in the queue");
                if polite {
                    let host = hosts.entry(host_of(&visit.url)).or_default();
                    *host = (host.0 + 1, Some(now));
                }
                let end = now + self.latency_of(&crate::path_of(&visit.url));
                in_flight.push(Reverse((end, started.len())));
                started.push(Some(visit));
            }
            let next_end = in_flight.peek().map(|Reverse((end, _))| *end);
            if let Some(turn) = next_turn.filter(|turn| next_end.is_none_or(|end| *turn < end)) {
                now = turn; // a host's delay is over before any fetch ends
                continue;
            }
            let Some(Reverse((end, i))) = in_flight.pop() else {
                break;
            };
            now = end;
            // Cannot fail: each index is pushed once and popped once.
            let visit = started[i].take().expect("a fetch ends once");
            let url = &visit.url;
            if polite && let Some(host) = hosts.get_mut(&host_of(url)) {
                host.0 -= 1;
            }
            let path = crate::path_of(url);
            let answer = if home(url) { self.answer(&path, config) } else { Answer::Fail };
            let mut record = Expected {
                url: url.to_string(),
                status: None,
                next_url: None,
                content_type: None,
                num_urls: 0,
            };
            match answer {
                Answer::Fail => {}
                Answer::Redirect { status, location } => {
                    record.status = Some(status);
                    let target = url.join(location.trim()).ok();
                    match target.filter(|_| REDIRECTS.contains(&status)) {
                        // Not a redirect after all (a 304, or a Location that does not
                        // resolve): an ordinary record, with no content type (not a 200).
                        None => {}
                        Some(mut target) => {
                            target.set_fragment(None);
                            record.next_url = Some(target.to_string());
                            if policy.allowed(&target)
                                && !seen.contains(&target)
                                && visit.max_redirect > 0
                                && admit(&seen, visit.depth)
                            {
                                seen.insert(target.clone());
                                queue.push_back(Visit {
                                    url: target,
                                    max_redirect: visit.max_redirect - 1,
                                    depth: visit.depth,
                                });
                            }
                        }
                    }
                }
                Answer::Body { status, content_type, links } => {
                    record.status = Some(status);
                    // As in the original, only a 200's content type is recorded.
                    if status == 200 {
                        record.content_type = parse_content_type(content_type).0;
                    }
                    let parsed = matches!(
                        record.content_type.as_deref(),
                        Some("text/html" | "application/xml")
                    );
                    if status == 200 && parsed {
                        let mut distinct = Vec::new();
                        for href in links {
                            let Ok(mut link) = url.join(href) else {
                                continue;
                            };
                            link.set_fragment(None);
                            if policy.allowed(&link) && !distinct.contains(&link) {
                                distinct.push(link);
                            }
                        }
                        record.num_urls = distinct.len();
                        for link in distinct {
                            if !seen.contains(&link) && admit(&seen, visit.depth + 1) {
                                seen.insert(link.clone());
                                queue.push_back(Visit {
                                    url: link,
                                    max_redirect: config.max_redirect(),
                                    depth: visit.depth + 1,
                                });
                            }
                        }
                    }
                }
            }
            records.push(record);
        }
        records.sort();
        (records, now)
    }

    /// The site's robots.txt as a crawl with `--robots` reads it (RFC 9309, section 2.3.1): a
    /// 2xx is parsed, a redirect followed within the site (up to five), a 4xx or no such path
    /// allows everything, a 5xx or a fault disallows everything. (Its fetch is not timed.)
    pub fn robots_txt(&self) -> RobotsTxt {
        let mut path = "/robots.txt".to_string();
        for _ in 0..=shared::hosts::ROBOTS_REDIRECTS {
            match self.resources.get(&path) {
                None => return RobotsTxt::allow_all(),
                Some(Resource::Page { status: 200..=299, body, .. }) => {
                    return RobotsTxt::parse(body);
                }
                Some(Resource::Page { status: 500..=599, .. }) => return RobotsTxt::disallow_all(),
                Some(Resource::Page { .. }) => return RobotsTxt::allow_all(),
                Some(Resource::Redirect { location, .. }) => {
                    let base = Url::parse("http://127.0.0.1/").expect("valid URL");
                    match base.join(location) {
                        Ok(next) => path = crate::path_of(&next),
                        Err(_) => return RobotsTxt::allow_all(),
                    }
                }
                Some(Resource::Fault(_)) => return RobotsTxt::disallow_all(),
            }
        }
        RobotsTxt::allow_all() // more than five redirects: as a 4xx
    }

    /// What `path` answers to a crawler with `config`'s timeout and tries.
    fn answer<'a>(&'a self, path: &str, config: &Config) -> Answer<'a> {
        let Some(resource) = self.get(path) else {
            return Answer::Body { status: 404, content_type: Some("text/html"), links: &[] };
        };
        let mut resource = resource;
        loop {
            return match resource {
                Resource::Page { status, content_type, links, .. } => {
                    Answer::Body { status: *status, content_type: content_type.as_deref(), links }
                }
                Resource::Redirect { status, location } => {
                    Answer::Redirect { status: *status, location }
                }
                Resource::Fault(Fault::Huge { .. }) => Answer::Body {
                    status: 200,
                    content_type: Some("application/octet-stream"),
                    links: &[],
                },
                Resource::Fault(Fault::GzipBomb { .. }) => {
                    Answer::Body { status: 200, content_type: Some("text/html"), links: &[] }
                }
                Resource::Fault(Fault::Trickle { len, chunk, interval }) => {
                    let takes = *interval * (len.div_ceil((*chunk).max(1)) as u32);
                    if takes * 2 < config.timeout() {
                        Answer::Body { status: 200, content_type: Some("text/html"), links: &[] }
                    } else {
                        assert!(
                            takes > config.timeout() * 2,
                            "a trickle this close to the timeout has no one right answer"
                        );
                        Answer::Fail
                    }
                }
                Resource::Fault(Fault::FlakyClose { failures, then }) => {
                    if (config.max_tries() as usize) > *failures {
                        resource = then;
                        continue;
                    }
                    Answer::Fail
                }
                Resource::Fault(
                    Fault::Reset
                    | Fault::CloseMidBody { .. }
                    | Fault::NeverAnswer
                    | Fault::Garbage
                    | Fault::CorruptGzip,
                ) => Answer::Fail,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Latency, SiteSpec};

    fn config(max_redirect: u32) -> Config {
        Config::builder(["http://127.0.0.1:9/"]).max_redirect(max_redirect).build().unwrap()
    }

    /// The polite ideal: with `--delay`, one host's starts are spaced, and another host's go on
    /// meanwhile; with `--max-per-host 1` and latency, one host's fetches are in series.
    #[test]
    fn polite_ideal() {
        let spec = SiteSpec {
            hosts: vec!["http://127.0.0.1:9".into(), "http://127.0.0.1:10".into()],
            not_found: 0.0,
            redirects: 0.0,
            redirect_chains: 0.0,
            non_html: 0.0,
            deep_chain: 0,
            ..SiteSpec::with_pages(41)
        };
        let site = spec.generate();
        let crawl = |tweak: &dyn Fn(&mut shared::ConfigBuilder)| {
            let mut builder = Config::builder(["http://127.0.0.1:9/"]);
            builder.max_tasks(8);
            tweak(&mut builder);
            let config = builder.build().unwrap();
            assert_eq!(site.expected(&config).len(), 41, "every page, on its own port");
            site.ideal_for(&config)
        };
        assert_eq!(crawl(&|_| {}), 0.0, "no latency, no delay");
        // 21 pages on one port, 20 on the other: 20 delays after the root on the first.
        let spaced = crawl(&|b| {
            b.delay(Duration::from_millis(100));
        });
        assert!((spaced - 2.0).abs() < 1e-9, "{spaced}");
        let site =
            SiteSpec { latency: Latency::Fixed(Duration::from_millis(10)), ..spec }.generate();
        let mut builder = Config::builder(["http://127.0.0.1:9/"]);
        builder.max_tasks(8).max_per_host(1);
        let serial = site.ideal_for(&builder.build().unwrap());
        assert!((0.21..0.25).contains(&serial), "about 21 fetches of 10 ms in series: {serial}");
    }

    /// The chapter's redirect join: foo and bar redirect to baz, which is fetched once.
    #[test]
    fn redirect_join() {
        let site = Site::new()
            .page("/", &["/foo", "/bar"])
            .redirect("/foo", "/baz", 302)
            .redirect("/bar", "/baz", 302)
            .page("/baz", &[]);
        let urls: Vec<String> = site.expected(&config(10)).into_iter().map(|e| e.url).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:9/",
                "http://127.0.0.1:9/bar",
                "http://127.0.0.1:9/baz",
                "http://127.0.0.1:9/foo"
            ]
        );
    }

    /// The ideal is the event-by-event schedule: a root and 200 leaves at 10 ms, 100 slots,
    /// take three latencies (the root, then the leaves in two batches of 100), where the old
    /// bounds said about two (two rounds; 201 × 10 ms ÷ 100). One slot takes all 201 in turn.
    #[test]
    fn ideal_is_the_schedule() {
        let leaves: Vec<String> = (0..200).map(|i| format!("/leaf/{i}")).collect();
        let links: Vec<&str> = leaves.iter().map(String::as_str).collect();
        let mut site = Site::new().page("/", &links);
        for leaf in &links {
            site = site.page(leaf, &[]);
        }
        let site = site.with_latency(Latency::Fixed(Duration::from_millis(10)));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(site.ideal_secs(100), 0.030), "{}", site.ideal_secs(100));
        assert!(close(site.ideal_secs(200), 0.020), "{}", site.ideal_secs(200));
        assert!(close(site.ideal_secs(1), 2.010), "{}", site.ideal_secs(1));
    }

    /// A redirect limit of 0 stops at the first redirect.
    #[test]
    fn redirect_limit() {
        let site = Site::new().page("/", &["/foo"]).redirect("/foo", "/bar", 302).page("/bar", &[]);
        assert_eq!(site.expected(&config(0)).len(), 2);
        assert_eq!(site.expected(&config(1)).len(), 3);
    }

    /// Every generated page is reachable, and the ideal time is bounded by both terms.
    #[test]
    fn generated_site_is_reachable() {
        let spec = SiteSpec {
            latency: Latency::Fixed(Duration::from_millis(10)),
            ..SiteSpec::with_pages(500)
        };
        let site = spec.generate();
        let expected = site.expected(&config(10));
        let pages = expected.iter().filter(|e| e.url.contains("/p/")).count();
        assert_eq!(pages, 499);
        let ideal = site.ideal_secs(10);
        assert!(ideal >= expected.len() as f64 * 0.010 / 10.0 - 1e-9);
        assert!(site.ideal_secs(1) > ideal);
    }
}
