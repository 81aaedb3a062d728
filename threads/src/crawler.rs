//! [`Crawler`]: `max_tasks` worker threads take URLs from a [`JoinableQueue`], fetch them with
//! blocking I/O, and put the new links they find back; the main thread waits in `join`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use shared::hosts::{Ask, Hosts};
use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Seen, Step, Tries, step};

use crate::http::{Client, Http};
use crate::queue::{JoinableQueue, TimedOut};
use crate::seen::{CheckAndInsert, SharedSeen};

/// The thread-pool crawler: the shared state of its workers.
///
/// Everything here is shared by `max_tasks` threads, so everything is `Sync`: the queue
/// synchronizes itself, the seen-set and the records sit behind locks, the HTTP client's pool is
/// thread-safe. That is the price the chapter names: every piece of shared state needs its lock,
/// and forgetting one (see [`CheckAndInsert::Racy`]) is a bug the compiler cannot see.
#[derive(Debug)]
pub struct Crawler {
    config: Config,
    policy: Policy,
    client: Client,
    queue: JoinableQueue<Job>,
    seen: SharedSeen,
    /// The host schedule (`--max-per-host`, `--delay`, `--robots`), asked before every fetch
    /// and told after it: one more piece of shared state, so one more lock.
    hosts: Mutex<Hosts>,
    /// The records of URLs done. A `Mutex<Vec>`: one push per URL, never contended for long.
    done: Mutex<Vec<FetchStatistic>>,
}

/// Crawls with the thread model (over ureq) and returns the report: the library face every model
/// shares.
pub fn crawl(config: &Config) -> Report {
    crawl_with(config, Http::Ureq)
}

/// Crawls with the thread model over the HTTP stack `http`.
pub fn crawl_with(config: &Config, http: Http) -> Report {
    Crawler::with_http(config, CheckAndInsert::Locked, http).crawl()
}

impl Crawler {
    /// A crawler for `config` whose workers add links in `mode` and fetch with ureq, its roots
    /// already queued.
    pub fn new(config: &Config, mode: CheckAndInsert) -> Arc<Crawler> {
        Crawler::with_http(config, mode, Http::Ureq)
    }

    /// [`Crawler::new`] on the HTTP stack `http`.
    pub fn with_http(config: &Config, mode: CheckAndInsert, http: Http) -> Arc<Crawler> {
        let (seen, roots) = Seen::new(config);
        let crawler = Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            client: Client::new(http, config),
            queue: JoinableQueue::new(),
            seen: SharedSeen::new(seen, mode),
            hosts: Mutex::new(Hosts::new(config)),
            done: Mutex::new(Vec::new()),
        };
        crawler.config.progress().queued(roots.len());
        for job in roots {
            crawler.queue.put(job);
        }
        Arc::new(crawler)
    }

    /// Runs the crawl to the end (or to Ctrl-C) and reports.
    ///
    /// 1. Start exactly `max_tasks` worker threads, all running [`work`](Self::work).
    /// 2. Block in `queue.join()` until every URL put has been marked done.
    /// 3. Close the queue: the idle workers' `get` returns `None` and they exit; join them.
    ///
    /// On Ctrl-C the queue is closed early: `join` returns, the report holds what is done, and
    /// workers still inside a fetch finish it on their own, detached.
    pub fn crawl(self: &Arc<Self>) -> Report {
        let t0 = Instant::now();
        // Ctrl-C closes the queue, for as long as the crawl holds the registration. A weak
        // reference: workers still detached after an interrupt may outlive it.
        let weak: Weak<Crawler> = Arc::downgrade(self);
        let _on_stop = self.config.stop().on_stop(move || {
            if let Some(crawler) = weak.upgrade() {
                crawler.queue.close();
            }
        });
        let mut workers: Vec<JoinHandle<()>> = Vec::with_capacity(self.config.max_tasks());
        for i in 0..self.config.max_tasks() {
            let crawler = self.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || crawler.work());
            match spawned {
                Ok(worker) => workers.push(worker),
                Err(e) => {
                    // Out of threads: crawl with those we have (the first failure says it all).
                    tracing::error!("started {i} of {} workers: {e}", self.config.max_tasks());
                    break;
                }
            }
        }
        if workers.is_empty() {
            self.work_here();
        }
        self.queue.join();
        let interrupted = self.config.stop().is_triggered();
        self.queue.close();
        if !interrupted {
            for worker in workers {
                let _ = worker.join();
            }
        }
        // Todo is what was still waiting in the queue (Python's `qsize`) or for its host;
        // fetches in flight when Ctrl-C came are in neither Todo nor Done.
        let hosts = self.hosts();
        let todo = self.queue.len() + hosts.parked();
        let done = std::mem::take(&mut *self.done.lock().unwrap_or_else(PoisonError::into_inner));
        Report::new(done, todo, t0.elapsed(), self.config.max_tasks(), interrupted)
            .with_robots_disallowed(hosts.disallowed())
    }

    /// If no thread could be started, the calling thread works until nothing is unfinished.
    fn work_here(&self) {
        while self.queue.unfinished() > 0 && self.turn() {}
    }

    /// The worker loop: take a URL, fetch it, mark it done, until the queue is closed.
    pub fn work(&self) {
        while self.turn() {}
    }

    /// One turn of a worker: takes a URL (or wakes for the host schedule's next turn), and
    /// fetches it if its host allows. `false` once the queue is closed.
    ///
    /// A URL whose host is busy or inside its delay is parked in the host schedule, and the
    /// worker goes back to `get` for another host's URL: a thread is never spent waiting for
    /// one host. An idle worker waits in `get` only until the next instant a parked URL may
    /// start (a timed wait), then puts the URLs now due back in the queue.
    fn turn(&self) -> bool {
        let wake = self.hosts().next_wake();
        let job = match self.queue.get_until(wake) {
            Ok(Some(job)) => job,
            Ok(None) => return false,
            Err(TimedOut) => {
                let due = self.hosts().due(Instant::now());
                self.put_back(due.again);
                return true;
            }
        };
        // The answer is taken first: the lock must be released before the fetch.
        let asked = self.hosts().ask(job, Instant::now());
        match asked {
            Ask::Go(job, _) => self.process(&job, || self.fetch(&job)),
            Ask::Wait { put, .. } => {
                // Parked, still unfinished; `put` is the robots.txt it waits for.
                if let Some(robots) = put {
                    self.config.progress().queued(1);
                    self.queue.put(robots);
                }
            }
            Ask::Disallowed(_) => {
                self.config.progress().started();
                self.config.progress().done();
                self.queue.task_done();
            }
        }
        true
    }

    /// Puts URLs the host schedule released back in the queue: each is put anew, and its
    /// first turn, which ended when it was parked, is marked done.
    fn put_back(&self, jobs: Vec<Job>) {
        for job in jobs {
            self.queue.put(job);
            self.queue.task_done();
        }
    }

    /// The host schedule, locked.
    fn hosts(&self) -> std::sync::MutexGuard<'_, Hosts> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `fetch` for one job, records the URL, puts the jobs it leads to, and marks it done.
    ///
    /// The record is made here, after `fetch` has returned, never inside it: a panic in `fetch`
    /// (a bug: no input should cause one) then leaves no record behind, and becomes exactly one
    /// failed record. A `task_done` follows whatever happened, and the worker lives on: a lost
    /// `task_done` would leave `join` waiting forever, and a dead worker its share undone.
    fn process(&self, job: &Job, fetch: impl FnOnce() -> Step) {
        self.config.progress().started();
        let mut step = catch_unwind(AssertUnwindSafe(fetch)).unwrap_or_else(|_| {
            tracing::error!("bug: fetching {} panicked", job.url);
            Step::failed(job, NetError::Other)
        });
        // The host has a free slot again: URLs waiting for it may be released.
        let released = self.hosts().ended(job, step.robots.take(), Instant::now());
        // Record, then put: the links are queued only once their page is on record.
        if let Some(stat) = step.stat {
            self.record(stat);
        }
        self.config.progress().queued(step.jobs.len());
        for next in step.jobs {
            self.queue.put(next);
        }
        self.put_back(released.again);
        self.config.progress().done();
        self.queue.task_done();
    }

    /// Fetches one URL, retrying network errors up to `max_tries` requests in all, and returns
    /// its record and the jobs it leads to. The thread blocks in `get`; the only lock taken is
    /// the seen-set's, inside the outcome step.
    pub fn fetch(&self, job: &Job) -> Step {
        let mut tries = Tries::new(self.config.max_tries());
        let fetched = loop {
            match self.client.get(&job.url) {
                Err(e) if tries.again(&job.url, e) => self.wait_for_host(job),
                fetched => break fetched,
            }
        };
        step(&self.policy, job, fetched, &self.seen)
    }

    /// Before a retry: the host's `--delay` counts retries too. The thread holds the URL's
    /// slot between tries, so it sleeps here: the one wait of this model that keeps a thread.
    fn wait_for_host(&self, job: &Job) {
        loop {
            // Asked, and the lock released, before sleeping.
            let Some(at) = self.hosts().retry(&job.url, Instant::now()) else { return };
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
        }
    }

    fn record(&self, stat: FetchStatistic) {
        self.done.lock().unwrap_or_else(PoisonError::into_inner).push(stat);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A fetch that panics ends in exactly one failed record and one `task_done`, and the crawl
    /// can end: `join` returns.
    #[test]
    fn a_panicking_fetch_is_one_record() {
        let config = Config::new(["http://127.0.0.1:9/"]).unwrap();
        let crawler = Crawler::new(&config, CheckAndInsert::Locked);
        let job = crawler.queue.get().unwrap();
        crawler.process(&job, || panic!("injected"));
        crawler.queue.join();
        let done = crawler.done.lock().unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].exception.as_deref(), Some("Other: network error"));
    }
}
