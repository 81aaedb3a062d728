//! [`Hosts`]: politeness, sans-IO. Per host, the fetches in flight, the last start and the URLs
//! waiting; per origin, its robots.txt. A model asks "may this URL start now?" and is told yes,
//! no (robots.txt), or "it waits here; wake me at this instant": how it waits is its own idiom.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use crate::robots::RobotsTxt;
use crate::{Config, Job};

/// Redirects followed when fetching a robots.txt (RFC 9309 asks for at least five).
pub const ROBOTS_REDIRECTS: u32 = 5;

/// The host schedule of a crawl: `--max-per-host`, `--delay` and `--robots`.
///
/// A URL that may not start yet is parked here, not in a worker: it holds no task while it
/// waits. It is handed back to the model ([`Released::again`]) when its host has room, and the
/// model puts it back in its queue, where it is still one of the unfinished tasks (it was never
/// marked done), so the crawl cannot end while URLs wait here.
///
/// The model's part: call [`ask`](Self::ask) before a fetch, [`retry`](Self::retry) before each
/// retry, [`ended`](Self::ended) after it, and [`due`](Self::due) when an alarm it was asked to
/// set goes off (or, for threads, when [`next_wake`](Self::next_wake) has passed).
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// use shared::hosts::{Ask, Hosts};
/// use shared::{Config, Seen};
/// let config = Config::builder(["http://h/"]).delay(Duration::from_secs(1)).build().unwrap();
/// let (_, roots) = Seen::new(&config);
/// let (mut hosts, t0) = (Hosts::new(&config), Instant::now());
/// let first = roots[0].clone();
/// let mut second = first.clone();
/// second.url = url::Url::parse("http://h/b").unwrap();
/// assert!(matches!(hosts.ask(first, t0), Ask::Go(..)));
/// // One second between two starts on one host: the second URL waits, and an alarm is asked for.
/// let Ask::Wait { alarm: Some(at), .. } = hosts.ask(second, t0) else { panic!() };
/// assert_eq!(at, t0 + Duration::from_secs(1));
/// assert!(hosts.due(t0 + Duration::from_millis(999)).again.is_empty());
/// assert_eq!(hosts.due(at).again[0].url.as_str(), "http://h/b"); // put it back: it may start
/// ```
#[derive(Debug)]
pub struct Hosts {
    max_per_host: usize,
    delay: Duration,
    robots: bool,
    /// Whether any rule is in force. When none is (the default), every answer is "go" and no
    /// host is even looked up: politeness costs nothing when it is off.
    active: bool,
    /// Per host and port (`--max-per-host` counts per host:port, as a server sees it).
    hosts: HashMap<String, Host>,
    /// Hosts with URLs waiting: the only ones an alarm can concern.
    waiting_hosts: HashSet<String>,
    /// Per origin (scheme, host, port): its robots.txt, or the URLs waiting for it.
    origins: HashMap<Arc<str>, Origin>,
    /// URLs parked here now.
    parked: usize,
    /// URLs never fetched because robots.txt disallows them.
    disallowed: usize,
    /// The earliest alarm the model was asked to set and that has not gone off yet.
    alarm: Option<Instant>,
}

/// One host's schedule.
#[derive(Debug)]
struct Host {
    in_flight: usize,
    /// The last request started (a retry's included): the next may start `delay` later.
    last_start: Option<Instant>,
    /// `--delay`, or the host's `Crawl-delay` if that is longer.
    delay: Duration,
    /// URLs waiting for a turn, oldest first.
    waiting: VecDeque<Job>,
    /// URLs handed back to the model and not yet asked again: their turn is kept for them.
    released: Vec<Url>,
    /// URLs between two tries, waiting for the delay: they go before any waiting URL.
    retrying: Vec<Url>,
}

#[derive(Debug)]
enum Origin {
    /// Its robots.txt is being fetched; these URLs wait for it.
    Fetching(Vec<Job>),
    /// Its robots.txt is known.
    Known(RobotsTxt),
}

/// The answer to [`Hosts::ask`].
#[derive(Debug)]
pub enum Ask {
    /// Fetch it now: its start is recorded. If an instant is given, set an alarm for it (the
    /// host's next turn, for URLs waiting behind this one).
    Go(Job, Option<Instant>),
    /// The URL waits here, still unfinished: the model marks nothing done.
    Wait {
        /// A new job to put in the queue: the robots.txt the URL waits for.
        put: Option<Job>,
        /// Set an alarm for this instant, then call [`Hosts::due`].
        alarm: Option<Instant>,
    },
    /// robots.txt disallows it: it is done, with no record.
    Disallowed(Job),
}

/// URLs whose host has room now, and the next alarm to set.
#[derive(Debug, Default)]
pub struct Released {
    /// Parked URLs to put back in the queue: still unfinished, so put back, not put anew.
    pub again: Vec<Job>,
    /// Set an alarm for this instant, then call [`Hosts::due`].
    pub alarm: Option<Instant>,
}

impl Hosts {
    /// The schedule of a crawl with `config`'s `--max-per-host`, `--delay` and `--robots`.
    pub fn new(config: &Config) -> Hosts {
        Hosts {
            max_per_host: config.max_per_host(),
            delay: config.delay(),
            robots: config.robots(),
            active: config.max_per_host() < config.max_tasks()
                || !config.delay().is_zero()
                || config.robots(),
            hosts: HashMap::new(),
            waiting_hosts: HashSet::new(),
            origins: HashMap::new(),
            parked: 0,
            disallowed: 0,
            alarm: None,
        }
    }

    /// May `job` start now? See [`Ask`]. With `--robots`, the first URL of an origin waits for
    /// the origin's robots.txt, whose job is handed out to be put in the queue.
    pub fn ask(&mut self, job: Job, now: Instant) -> Ask {
        if !self.active {
            return Ask::Go(job, None);
        }
        if self.robots && job.robots_of.is_none() {
            let origin: Arc<str> = job.url.origin().ascii_serialization().into();
            match self.origins.get_mut(&origin) {
                Some(Origin::Known(robots)) => {
                    if !robots.allowed(&job.url) {
                        tracing::info!("robots.txt disallows {}", job.url);
                        self.disallowed += 1;
                        return Ask::Disallowed(job);
                    }
                }
                Some(Origin::Fetching(waiting)) => {
                    waiting.push(job);
                    self.parked += 1;
                    return Ask::Wait { put: None, alarm: None };
                }
                None => {
                    let robots = Job::robots(&job.url, origin.clone(), ROBOTS_REDIRECTS);
                    self.origins.insert(origin, Origin::Fetching(vec![job]));
                    self.parked += 1;
                    return Ask::Wait { put: Some(robots), alarm: None };
                }
            }
        }
        let key = host_key(&job.url);
        let (max, delay) = (self.max_per_host, self.delay);
        let host = self.hosts.entry(key.clone()).or_insert_with(|| Host::new(delay));
        let was_released = host.take(&job.url);
        let may_start = if was_released {
            host.in_flight < max && host.time_ok(now)
        } else {
            host.waiting.is_empty() && host.retrying.is_empty() && host.has_room(max, now)
        };
        if may_start {
            host.in_flight += 1;
            host.last_start = Some(now);
            return Ask::Go(job, self.arm());
        }
        if was_released {
            host.waiting.push_front(job);
        } else {
            host.waiting.push_back(job);
        }
        self.parked += 1;
        self.waiting_hosts.insert(key);
        Ask::Wait { put: None, alarm: self.arm() }
    }

    /// Before a retry of `url` (which holds its host's slot between tries): `None` if it may
    /// start now (its start is recorded), else the instant to wait for before asking again.
    /// A retry goes before every URL waiting for the host.
    pub fn retry(&mut self, url: &Url, now: Instant) -> Option<Instant> {
        if !self.active {
            return None;
        }
        let host = self.hosts.get_mut(&host_key(url))?;
        host.retrying.retain(|u| u != url);
        if host.time_ok(now) {
            host.last_start = Some(now);
            return None;
        }
        host.retrying.push(url.clone());
        host.last_start.map(|last| last + host.delay)
    }

    /// After the fetch of `job` (all its tries): its host has one more free slot, and the URLs
    /// that may now start are released. For a robots.txt fetch, `robots` is what it said (none
    /// while redirects are still being followed), and the URLs waiting for it are released.
    pub fn ended(&mut self, job: &Job, robots: Option<RobotsTxt>, now: Instant) -> Released {
        let mut released = Released::default();
        if !self.active {
            return released;
        }
        let key = host_key(&job.url);
        if let Some(host) = self.hosts.get_mut(&key) {
            host.in_flight = host.in_flight.saturating_sub(1);
        }
        if let (Some(origin), Some(robots)) = (&job.robots_of, robots) {
            let origin_host = Url::parse(origin).map(|u| host_key(&u)).unwrap_or_default();
            if let Some(crawl_delay) = robots.crawl_delay().filter(|d| *d > self.delay) {
                let delay = self.delay;
                let host = self.hosts.entry(origin_host).or_insert_with(|| Host::new(delay));
                host.delay = crawl_delay;
            }
            let before = self.origins.insert(origin.clone(), Origin::Known(robots));
            if let Some(Origin::Fetching(waiting)) = before {
                self.parked -= waiting.len();
                released.again.extend(waiting);
            }
        }
        self.release(&key, now, &mut released.again);
        released.alarm = self.arm();
        released
    }

    /// An alarm went off (or the thread model's timed wait ran out): the URLs whose host's
    /// delay is over are released, and the next alarm is said.
    pub fn due(&mut self, now: Instant) -> Released {
        let mut released = Released::default();
        if self.alarm.is_some_and(|alarm| alarm <= now) {
            self.alarm = None;
        }
        let keys: Vec<String> = self.waiting_hosts.iter().cloned().collect();
        for key in keys {
            self.release(&key, now, &mut released.again);
        }
        released.alarm = self.arm();
        released
    }

    /// The earliest instant at which a waiting URL's host will have room, if one waits only for
    /// time (the others wait for a fetch to end, or for a robots.txt).
    pub fn next_wake(&self) -> Option<Instant> {
        self.waiting_hosts
            .iter()
            .filter_map(|key| self.hosts.get(key))
            .filter(|h| {
                h.retrying.is_empty() && h.released.is_empty() && h.in_flight < self.max_per_host
            })
            .filter_map(|h| h.last_start.map(|last| last + h.delay))
            .min()
    }

    /// URLs waiting here now (after Ctrl-C, they are part of the report's Todo).
    pub fn parked(&self) -> usize {
        self.parked
    }

    /// URLs robots.txt disallowed, roots included (the report's `robots_disallowed`).
    pub fn disallowed(&self) -> usize {
        self.disallowed
    }

    /// Moves the URLs `key`'s host has room for now from its waiting line to `again`.
    fn release(&mut self, key: &str, now: Instant, again: &mut Vec<Job>) {
        let Some(host) = self.hosts.get_mut(key) else {
            return;
        };
        while !host.waiting.is_empty()
            && host.retrying.is_empty()
            && host.in_flight + host.released.len() < self.max_per_host
            && host.time_ok(now)
            // With a delay, one turn at a time: the next is only known once this one starts.
            && (host.delay.is_zero() || host.released.is_empty())
        {
            let Some(job) = host.waiting.pop_front() else { break };
            host.released.push(job.url.clone());
            self.parked -= 1;
            again.push(job);
        }
        if host.waiting.is_empty() {
            self.waiting_hosts.remove(key);
        }
    }

    /// The alarm the model must set, if the next wake is earlier than every alarm set.
    fn arm(&mut self) -> Option<Instant> {
        let wake = self.next_wake()?;
        if self.alarm.is_some_and(|alarm| alarm <= wake) {
            return None;
        }
        self.alarm = Some(wake);
        Some(wake)
    }
}

impl Host {
    fn new(delay: Duration) -> Host {
        Host {
            in_flight: 0,
            last_start: None,
            delay,
            waiting: VecDeque::new(),
            released: Vec::new(),
            retrying: Vec::new(),
        }
    }

    /// Whether the delay since the last start is over.
    fn time_ok(&self, now: Instant) -> bool {
        self.last_start.is_none_or(|last| now >= last + self.delay)
    }

    /// Whether a new URL may start: a free slot beyond the turns kept for released URLs, and
    /// (with a delay) no released URL still to come.
    fn has_room(&self, max: usize, now: Instant) -> bool {
        self.in_flight + self.released.len() < max
            && self.time_ok(now)
            && (self.delay.is_zero() || self.released.is_empty())
    }

    /// Whether `url` was released (its kept turn is now used).
    fn take(&mut self, url: &Url) -> bool {
        let before = self.released.len();
        self.released.retain(|u| u != url);
        self.released.len() != before
    }
}

/// The key of `url`'s host: host and port, default port included, as a server counts them.
fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: impl FnOnce(&mut crate::ConfigBuilder)) -> Config {
        let mut builder = Config::builder(["http://a/"]);
        builder.max_tasks(10);
        extra(&mut builder);
        builder.build().unwrap()
    }

    fn job(url: &str) -> Job {
        Job { url: Url::parse(url).unwrap(), max_redirect: 10, depth: 0, robots_of: None }
    }

    fn go(ask: Ask) -> Job {
        match ask {
            Ask::Go(job, _) => job,
            other => panic!("expected go, got {other:?}"),
        }
    }

    /// Off by default: every URL goes, and nothing is kept.
    #[test]
    fn off_by_default() {
        let mut hosts = Hosts::new(&config(|_| {}));
        let now = Instant::now();
        for i in 0..100 {
            go(hosts.ask(job(&format!("http://a/{i}")), now));
        }
        assert!(hosts.hosts.is_empty());
    }

    /// `--max-per-host 2`: the third URL of a host waits while other hosts go; it is released
    /// when one of the two ends.
    #[test]
    fn max_per_host() {
        let mut hosts = Hosts::new(&config(|b| {
            b.max_per_host(2);
        }));
        let now = Instant::now();
        let a1 = go(hosts.ask(job("http://a/1"), now));
        go(hosts.ask(job("http://a/2"), now));
        assert!(matches!(hosts.ask(job("http://a/3"), now), Ask::Wait { alarm: None, .. }));
        go(hosts.ask(job("http://b/1"), now));
        go(hosts.ask(job("http://a:8080/1"), now));
        assert!(matches!(hosts.ask(job("http://a/4"), now), Ask::Wait { .. }), "behind a/3");
        assert_eq!(hosts.parked(), 2);
        let released = hosts.ended(&a1, None, now);
        assert_eq!(released.again.len(), 1);
        assert_eq!(released.again[0].url.as_str(), "http://a/3");
        assert!(matches!(hosts.ask(job("http://a/5"), now), Ask::Wait { .. }), "a/3's turn");
        go(hosts.ask(released.again[0].clone(), now));
        assert_eq!(hosts.parked(), 2);
    }

    /// `--delay`: starts on one host are at least the delay apart; the waiting URL is released
    /// at the instant of the alarm, not before; a retry goes first.
    #[test]
    fn delay() {
        let d = Duration::from_millis(100);
        let mut hosts = Hosts::new(&config(|b| {
            b.delay(d);
        }));
        let t0 = Instant::now();
        let a1 = go(hosts.ask(job("http://a/1"), t0));
        let Ask::Wait { alarm: Some(at), .. } = hosts.ask(job("http://a/2"), t0) else { panic!() };
        assert_eq!(at, t0 + d);
        go(hosts.ask(job("http://b/1"), t0));
        assert!(hosts.due(t0 + d / 2).again.is_empty());
        assert_eq!(hosts.next_wake(), Some(t0 + d));
        // a/1 failed and retries: it waits for the delay too, and goes before a/2.
        assert_eq!(hosts.retry(&a1.url, t0 + d / 2), Some(t0 + d));
        assert!(hosts.due(t0 + d).again.is_empty(), "the retry's turn");
        assert_eq!(hosts.retry(&a1.url, t0 + d), None);
        let released = hosts.ended(&a1, None, t0 + d + d / 2);
        assert!(released.again.is_empty());
        assert_eq!(released.alarm, Some(t0 + 2 * d));
        let again = hosts.due(t0 + 2 * d).again;
        assert_eq!(again.len(), 1);
        let Ask::Go(_, None) = hosts.ask(again[0].clone(), t0 + 2 * d) else { panic!() };
    }

    /// `--robots`: the first URL of an origin waits for its robots.txt, fetched once; the
    /// answer releases the waiting URLs, and decides each one; Crawl-delay raises the delay.
    #[test]
    fn robots() {
        let mut hosts = Hosts::new(&config(|b| {
            b.robots(true);
        }));
        let t0 = Instant::now();
        let Ask::Wait { put: Some(robots), .. } = hosts.ask(job("http://a/x"), t0) else {
            panic!()
        };
        assert_eq!(robots.url.as_str(), "http://a/robots.txt");
        assert_eq!(robots.max_redirect, ROBOTS_REDIRECTS);
        assert!(matches!(hosts.ask(job("http://a/y"), t0), Ask::Wait { put: None, .. }));
        assert!(matches!(hosts.ask(job("https://a/y"), t0), Ask::Wait { put: Some(_), .. }));
        let robots = go(hosts.ask(robots, t0));
        let txt = RobotsTxt::parse(b"User-agent: *\nDisallow: /x\nCrawl-delay: 2\n");
        let released = hosts.ended(&robots, Some(txt), t0);
        assert_eq!(released.again.len(), 2);
        let mut answers = released.again.into_iter().map(|j| hosts.ask(j, t0));
        assert!(matches!(answers.next(), Some(Ask::Disallowed(_))));
        assert!(
            matches!(answers.next(), Some(Ask::Wait { .. })),
            "Crawl-delay: 2 after robots.txt"
        );
        drop(answers);
        assert_eq!(hosts.disallowed(), 1);
        assert_eq!(hosts.next_wake(), Some(t0 + Duration::from_secs(2)));
    }
}
