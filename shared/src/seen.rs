//! [`Seen`]: the seen-set and the admission rules (`--max-pages`, `--max-depth`, the redirect
//! budget), and [`step`], the one outcome step every model runs after a fetch. Plain data: each
//! model decides how to share the set ([`CriticalSection`]: a field, a `Mutex`, a `RefCell`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use url::Url;

use crate::links::Link;
use crate::page::{Outcome, interpret};
use crate::robots::RobotsTxt;
use crate::{Config, FetchStatistic, NetError, Policy, Response};

/// One unit of work in a crawler's queue: a URL, the redirects it may still follow, and its link
/// distance from a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The URL to fetch, in normal form.
    pub url: Url,
    /// Redirects this URL may still follow (the chapter's `max_redirect` in the queue tuple).
    pub max_redirect: u32,
    /// Links from a root to here; a redirect adds none.
    pub depth: u32,
    /// `Some(origin)` when this job fetches the robots.txt of `origin` (its ASCII form) for
    /// `--robots`, not a page: it has no record, and its answer goes to the host schedule.
    pub robots_of: Option<Arc<str>>,
}

impl Job {
    /// The job that fetches the robots.txt of `url`'s origin (`origin`), following up to
    /// `max_redirect` redirects.
    pub fn robots(url: &Url, origin: Arc<str>, max_redirect: u32) -> Job {
        let mut robots = url.clone();
        robots.set_path("/robots.txt");
        robots.set_query(None);
        Job { url: robots, max_redirect, depth: 0, robots_of: Some(origin) }
    }
}

/// What [`Seen::admit`] decided about a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Not seen before: now marked seen; the caller must enqueue it.
    New,
    /// Already seen: nothing to do.
    Seen,
    /// Refused by `--max-pages` or `--max-depth`; *not* marked seen.
    Refused,
}

/// The set of URLs ever enqueued, with the crawl's caps.
///
/// `admit` is the check-and-insert the chapter warns about: a model must make each call atomic
/// with respect to every other (one critical section), or two workers can both find a URL new.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The URLs' texts: a page's links are checked without parsing them.
    urls: HashSet<String>,
    max_pages: Option<usize>,
    max_depth: Option<u32>,
    max_redirect: u32,
}

impl Seen {
    /// The seen-set of a new crawl, with the roots already in it, and the roots' jobs.
    pub fn new(config: &Config) -> (Seen, Vec<Job>) {
        let seen = Seen {
            urls: config.roots().iter().map(|url| url.as_str().to_owned()).collect(),
            max_pages: config.max_pages(),
            max_depth: config.max_depth(),
            max_redirect: config.max_redirect(),
        };
        let jobs = config
            .roots()
            .iter()
            .map(|url| Job {
                url: url.clone(),
                max_redirect: config.max_redirect(),
                depth: 0,
                robots_of: None,
            })
            .collect();
        (seen, jobs)
    }

    /// Whether `url` was ever enqueued.
    pub fn contains(&self, url: impl AsRef<str>) -> bool {
        self.urls.contains(url.as_ref())
    }

    /// URLs ever enqueued, roots included.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Whether nothing was ever enqueued (never true once a crawl has roots).
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// Checks the caps for a URL at `depth`, and marks it seen if it is new and allowed.
    pub fn admit(&mut self, url: impl AsRef<str>, depth: u32) -> Admit {
        let url = url.as_ref();
        if self.urls.contains(url) {
            return Admit::Seen;
        }
        if self.max_depth.is_some_and(|max| depth > max)
            || self.max_pages.is_some_and(|max| self.urls.len() >= max)
        {
            return Admit::Refused;
        }
        self.urls.insert(url.to_owned());
        Admit::New
    }

    /// Adds the links of the page of `job`: returns how many were new (`num_new_urls`) and the
    /// jobs to enqueue, in document order. One call is one check-and-insert for every link.
    pub fn add_links(&mut self, job: &Job, links: &[Link]) -> (usize, Vec<Job>) {
        let mut num_new = 0;
        let mut jobs = Vec::new();
        for link in links {
            match self.admit(link, job.depth + 1) {
                Admit::Seen => {}
                Admit::Refused => num_new += 1,
                Admit::New => {
                    num_new += 1;
                    jobs.push(self.link_job(link, job));
                }
            }
        }
        (num_new, jobs)
    }

    /// The job of a link found on the page of `from`: a fresh redirect budget, one hop deeper.
    pub fn link_job(&self, link: &Link, from: &Job) -> Job {
        Job {
            url: link.to_url(),
            max_redirect: self.max_redirect,
            depth: from.depth + 1,
            robots_of: None,
        }
    }

    /// Follows a redirect of `job` to `target` (already allowed by the policy): the next job, or
    /// `None` if the target was seen, the redirect budget is spent, or a cap refuses it.
    pub fn add_redirect(&mut self, job: &Job, target: &Url) -> Option<Job> {
        if self.contains(target) {
            return None;
        }
        if job.max_redirect == 0 {
            tracing::warn!("redirect limit reached for {target} from {}", job.url);
            return None;
        }
        match self.admit(target, job.depth) {
            Admit::New => Some(Job {
                url: target.clone(),
                max_redirect: job.max_redirect - 1,
                depth: job.depth,
                robots_of: None,
            }),
            Admit::Seen | Admit::Refused => None,
        }
    }
}

/// What one fetch leads to: the record of its URL, and the jobs to put on the queue, in document
/// order. A model records `stat`, puts every job, and only then marks the fetched job done.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The record of the URL fetched (`None` for a robots.txt fetched for `--robots`).
    pub stat: Option<FetchStatistic>,
    /// The new URLs it leads to: its new links, or its redirect target.
    pub jobs: Vec<Job>,
    /// What a robots.txt fetch found, for [`Hosts::ended`](crate::hosts::Hosts::ended); `None`
    /// for a page, and while a robots.txt's redirects are being followed.
    pub robots: Option<RobotsTxt>,
}

impl Step {
    /// The step of a URL whose every try failed: its failed record, and nowhere to go. (A
    /// robots.txt that cannot be fetched disallows its whole origin.)
    pub fn failed(job: &Job, error: NetError) -> Step {
        if job.robots_of.is_some() {
            tracing::warn!("{} failed: {error}; obeying it as disallowing everything", job.url);
            return Step { stat: None, jobs: Vec::new(), robots: Some(RobotsTxt::disallow_all()) };
        }
        Step {
            stat: Some(FetchStatistic::failed(job.url.as_str(), error)),
            jobs: Vec::new(),
            robots: None,
        }
    }

    fn record(stat: FetchStatistic, jobs: Vec<Job>) -> Step {
        Step { stat: Some(stat), jobs, robots: None }
    }
}

/// How a model shares its seen-set: the critical section the outcome step's check-and-insert
/// runs in. The three ways of the three models are implemented here.
///
/// - `&mut Seen`: one thread owns the set (the callback model's plain field). Nothing else can
///   run while a callback runs, so there is nothing to guard against.
/// - `&RefCell<Seen>`: one thread, shared by tasks (coroutines on a current-thread runtime). A
///   task is only ever interrupted at an `.await`, and there is none inside.
/// - `&Mutex<Seen>`: several threads (the thread pool, a multi-thread runtime). The lock makes
///   the check and the insert one step that no other thread can split.
pub trait CriticalSection: Sized {
    /// Runs `f` on the seen-set with no other access to it in between.
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R;

    /// Checks and inserts the links of `job`'s page: `num_new_urls` and the jobs to put. One
    /// critical section by default; the thread model's racy demonstration overrides it.
    fn add_links(self, job: &Job, links: &[Link]) -> (usize, Vec<Job>) {
        self.with(|seen| seen.add_links(job, links))
    }
}

impl CriticalSection for &mut Seen {
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R {
        f(self)
    }
}

impl CriticalSection for &RefCell<Seen> {
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R {
        // Cannot panic: the borrow ends with `f`, which never yields or calls back into a model.
        f(&mut self.borrow_mut())
    }
}

impl CriticalSection for &Mutex<Seen> {
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R {
        // A panic inside `f` cannot leave the set half-updated: each `admit` is one insert.
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The outcome step: what the fetch of `job` gave (the response, or the network error of its
/// last try) becomes the URL's record and the jobs to put.
///
/// The response is interpreted first, outside any critical section (parsing a page is the
/// expensive part); then the seen-set is touched once, through `seen`: the page's links are
/// checked and inserted, or the redirect target is. Every model calls this, so the three differ
/// only in what `seen` is.
///
/// # Examples
/// ```
/// use std::sync::Mutex;
/// use shared::http::{Header, Response};
/// use shared::{Config, Policy, Seen, seen::step};
/// let config = Config::new(["http://h/"]).unwrap();
/// let (seen, roots) = Seen::new(&config);
/// let seen = Mutex::new(seen); // as the thread model shares it
/// let html = Header { name: "Content-Type".into(), value: b"text/html".to_vec() };
/// let body = br#"<a href="/a">a</a> <a href="/">home</a>"#.to_vec();
/// let page = Response { status: 200, headers: vec![html], body, ..Response::default() };
/// let step = step(&Policy::new(&config), &roots[0], Ok(page), &seen);
/// let stat = step.stat.unwrap();
/// assert_eq!((stat.num_urls, stat.num_new_urls), (2, 1));
/// assert_eq!(step.jobs[0].url.as_str(), "http://h/a");
/// ```
pub fn step(
    policy: &Policy,
    job: &Job,
    fetched: Result<Response, NetError>,
    seen: impl CriticalSection,
) -> Step {
    let url = &job.url;
    let response = match fetched {
        Ok(response) => response,
        Err(e) => return Step::failed(job, e),
    };
    if job.robots_of.is_some() {
        return robots_step(policy, job, &response);
    }
    // Interpretation is where the page's bytes are parsed: a bug there (a panic) is this URL's
    // failure, in every model, never a dead worker or a crawl ended on the event loop.
    let interpreted = catch_unwind(AssertUnwindSafe(|| interpret(policy, url, &response)));
    let Ok(outcome) = interpreted else {
        tracing::error!("bug: interpreting {url} panicked");
        return Step::failed(job, NetError::Other);
    };
    match outcome {
        Outcome::Redirect { stat, target, allowed } => {
            let next = if allowed {
                seen.with(|seen| seen.add_redirect(job, &target))
            } else {
                tracing::debug!("not following redirect to {target}: not allowed");
                None
            };
            if next.is_some() {
                tracing::info!("redirect to {target} from {url}");
            }
            Step::record(stat, next.into_iter().collect())
        }
        Outcome::Page { mut stat, links } => {
            let (num_new, jobs) = seen.add_links(job, &links);
            stat.num_new_urls = num_new;
            Step::record(stat, jobs)
        }
        Outcome::Record { stat } => Step::record(stat, Vec::new()),
    }
}

/// The step of a robots.txt fetched for `--robots` (RFC 9309, section 2.3.1): a 2xx is parsed;
/// a redirect is followed (up to [`ROBOTS_REDIRECTS`](crate::hosts::ROBOTS_REDIRECTS); after
/// that it counts as a 4xx); a 4xx (or anything else) allows everything; a 5xx disallows
/// everything. No record, and the seen-set is not touched.
fn robots_step(policy: &Policy, job: &Job, response: &Response) -> Step {
    let robots = match response.status {
        200..=299 => RobotsTxt::parse(&response.body),
        500..=599 => RobotsTxt::disallow_all(),
        _ => match interpret(policy, &job.url, response) {
            Outcome::Redirect { target, .. } if job.max_redirect > 0 => {
                let next = Job {
                    url: target,
                    max_redirect: job.max_redirect - 1,
                    depth: 0,
                    robots_of: job.robots_of.clone(),
                };
                return Step { stat: None, jobs: vec![next], robots: None };
            }
            _ => RobotsTxt::allow_all(),
        },
    };
    tracing::debug!("{} answered {}", job.url, response.status);
    Step { stat: None, jobs: Vec::new(), robots: Some(robots) }
}

/// Counts the tries of one URL: `--max-tries` requests in all, the chapter's retry loop.
///
/// # Examples
/// ```
/// use shared::{NetError, Tries};
/// let url = url::Url::parse("http://h/").unwrap();
/// let mut tries = Tries::new(3);
/// assert!(tries.again(&url, NetError::Timeout)); // 1 of 3 failed: try again
/// assert!(tries.again(&url, NetError::Timeout)); // 2 of 3
/// assert!(!tries.again(&url, NetError::Timeout)); // 3 of 3: give up
/// assert_eq!(tries.count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Tries {
    count: u32,
    max: u32,
}

impl Tries {
    /// Before the first try of a URL, with `max_tries` requests allowed (at least one is made).
    pub fn new(max_tries: u32) -> Tries {
        Tries { count: 0, max: max_tries.max(1) }
    }

    /// After a try of `url` failed with `error`: whether to try again. Logs the failed try, or,
    /// when none is left, the final failure. (`error` is anything that says what went wrong: a
    /// [`NetError`], or a model's error that also says in which step.)
    pub fn again(&mut self, url: &Url, error: impl std::fmt::Display) -> bool {
        self.count += 1;
        if self.count < self.max {
            tracing::info!("try {} for {url} raised {error}", self.count);
            true
        } else {
            tracing::error!("{url} failed after {} tries: {error}", self.count);
            false
        }
    }

    /// Tries that have failed so far.
    pub fn count(&self) -> u32 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(s: &str) -> Link {
        // The tests' URLs are valid http URLs.
        Link::of(&url(s)).unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// Roots are seen from the start; a link is new once, then seen.
    #[test]
    fn check_and_insert() {
        let config = Config::new(["http://h/"]).unwrap();
        let (mut seen, jobs) = Seen::new(&config);
        assert_eq!(jobs.len(), 1);
        let links = [link("http://h/"), link("http://h/a"), link("http://h/b")];
        let (num_new, next) = seen.add_links(&jobs[0], &links);
        assert_eq!(num_new, 2);
        assert_eq!(
            next.iter().map(|j| j.url.as_str()).collect::<Vec<_>>(),
            ["http://h/a", "http://h/b"]
        );
        assert_eq!((next[0].depth, next[0].max_redirect), (1, 10));
        assert_eq!(seen.add_links(&next[0], &links), (0, vec![]));
    }

    /// --max-pages counts roots; refused links stay unseen but count as new.
    #[test]
    fn max_pages() {
        let config = Config::builder(["http://h/"]).max_pages(Some(2)).build().unwrap();
        let (mut seen, jobs) = Seen::new(&config);
        let links = [link("http://h/a"), link("http://h/b")];
        let (num_new, next) = seen.add_links(&jobs[0], &links);
        assert_eq!((num_new, next.len()), (2, 1));
        assert!(!seen.contains(&links[1]));
        assert_eq!(seen.len(), 2);
    }

    /// --max-depth refuses links deeper than N; a redirect keeps the depth.
    #[test]
    fn max_depth() {
        let config = Config::builder(["http://h/"]).max_depth(Some(1)).build().unwrap();
        let (mut seen, jobs) = Seen::new(&config);
        let (_, next) = seen.add_links(&jobs[0], &[link("http://h/a")]);
        let (num_new, deeper) = seen.add_links(&next[0], &[link("http://h/b")]);
        assert_eq!((num_new, deeper.len()), (1, 0));
        let redirected = seen.add_redirect(&next[0], &url("http://h/c")).unwrap();
        assert_eq!((redirected.depth, redirected.max_redirect), (1, 9));
    }

    /// A redirect is followed once, and not at all when the budget is spent.
    #[test]
    fn redirect_budget() {
        let config = Config::builder(["http://h/"]).max_redirect(0).build().unwrap();
        let (mut seen, jobs) = Seen::new(&config);
        assert_eq!(seen.add_redirect(&jobs[0], &url("http://h/x")), None);
        assert!(!seen.contains(url("http://h/x")));
        let job = Job { max_redirect: 1, ..jobs[0].clone() };
        assert!(seen.add_redirect(&job, &url("http://h/x")).is_some());
        assert_eq!(seen.add_redirect(&job, &url("http://h/x")), None);
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let headers = headers
            .iter()
            .map(|(n, v)| crate::http::Header { name: n.to_string(), value: v.as_bytes().to_vec() })
            .collect();
        Response { status, headers, body: body.into(), ..Response::default() }
    }

    /// The outcome step, on each kind of fetch: a page's new links become jobs in document order
    /// and `num_new_urls` counts them; a redirect is followed once; a failure and a 404 lead
    /// nowhere; and the three ways of sharing the set give the same answers.
    #[test]
    fn outcome_step() {
        let config = Config::new(["http://h/"]).unwrap();
        let policy = Policy::new(&config);
        let (plain, roots) = Seen::new(&config);
        let root = &roots[0];
        let page = || {
            let html = [("content-type", "text/html")];
            Ok(response(
                200,
                &html,
                "<a href=/b>b</a><a href=/a>a</a><a href=/>r</a><a href=/b>b</a>",
            ))
        };
        let redirect = || Ok(response(301, &[("location", "/moved")], ""));
        let mutex = Mutex::new(plain.clone());
        let cell = RefCell::new(plain.clone());
        let mut plain = plain;
        for steps in [
            [step(&policy, root, page(), &mut plain), step(&policy, root, page(), &mut plain)],
            [step(&policy, root, page(), &mutex), step(&policy, root, page(), &mutex)],
            [step(&policy, root, page(), &cell), step(&policy, root, page(), &cell)],
        ] {
            let [first, again] = steps;
            let jobs: Vec<&str> = first.jobs.iter().map(|j| j.url.as_str()).collect();
            assert_eq!(jobs, ["http://h/b", "http://h/a"]);
            assert_eq!(
                (first.stat.as_ref().unwrap().num_urls, first.stat.as_ref().unwrap().num_new_urls),
                (3, 2)
            );
            assert_eq!((again.stat.as_ref().unwrap().num_new_urls, again.jobs.len()), (0, 0));
        }
        let moved = step(&policy, root, redirect(), &mut plain);
        assert_eq!(moved.stat.as_ref().unwrap().next_url.as_deref(), Some("http://h/moved"));
        assert_eq!(moved.jobs[0].max_redirect, config.max_redirect() - 1);
        assert!(step(&policy, root, redirect(), &mut plain).jobs.is_empty(), "seen now");
        let failed = step(&policy, root, Err(NetError::Timeout), &mut plain);
        assert_eq!(failed.stat.as_ref().unwrap().exception.as_deref(), Some("Timeout: timed out"));
        assert!(failed.jobs.is_empty());
        let missing = step(&policy, root, Ok(response(404, &[], "<a href=/z>")), &mut plain);
        assert_eq!((missing.stat.as_ref().unwrap().status, missing.jobs.len()), (Some(404), 0));
        let foreign = Ok(response(302, &[("location", "http://elsewhere.org/")], ""));
        assert!(step(&policy, root, foreign, &mut plain).jobs.is_empty(), "not allowed");
    }

    /// `--max-tries N` is N requests: `again` says yes N - 1 times.
    #[test]
    fn tries_count_requests() {
        let url = url("http://h/");
        for max in [1, 2, 4] {
            let mut tries = Tries::new(max);
            let retries = std::iter::from_fn(|| Some(tries.again(&url, NetError::Timeout)))
                .take_while(|&again| again)
                .count();
            assert_eq!(retries as u32 + 1, max);
        }
        assert!(!Tries::new(0).again(&url, NetError::Timeout), "at least one, and no more");
    }
}
