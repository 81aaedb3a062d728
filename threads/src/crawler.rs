//! [`Crawler`]: `max_tasks` worker threads take URLs from a [`JoinableQueue`], fetch them with
//! blocking I/O, and put the new links they find back; the main thread waits in `join`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Seen, Step, Tries, step};

use crate::http::{Client, Http};
use crate::queue::JoinableQueue;
use crate::seen::{SeenMode, SeenSet};

/// The thread-pool crawler: the shared state of its workers.
///
/// Everything here is shared by `max_tasks` threads, so everything is `Sync`: the queue
/// synchronizes itself, the seen-set and the records sit behind locks, the HTTP client's pool is
/// thread-safe. That is the price the chapter names: every piece of shared state needs its lock,
/// and forgetting one (see [`SeenMode::Racy`]) is a bug the compiler cannot see.
#[derive(Debug)]
pub struct Crawler {
    config: Config,
    policy: Policy,
    client: Client,
    queue: JoinableQueue<Job>,
    seen: SeenSet,
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
    Crawler::with_http(config, SeenMode::Locked, http).crawl()
}

impl Crawler {
    /// A crawler for `config` whose workers add links in `mode` and fetch with ureq, its roots
    /// already queued.
    pub fn new(config: &Config, mode: SeenMode) -> Arc<Crawler> {
        Crawler::with_http(config, mode, Http::Ureq)
    }

    /// [`Crawler::new`] on the HTTP stack `http`.
    pub fn with_http(config: &Config, mode: SeenMode, http: Http) -> Arc<Crawler> {
        let (seen, roots) = Seen::new(config);
        let crawler = Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            client: Client::new(http, config),
            queue: JoinableQueue::new(),
            seen: SeenSet::new(seen, mode),
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
        // Todo is what was still waiting in the queue (Python's `qsize`); fetches in flight when
        // Ctrl-C came are in neither Todo nor Done.
        let todo = self.queue.len();
        let done = std::mem::take(&mut *self.done.lock().unwrap_or_else(PoisonError::into_inner));
        Report::new(done, todo, t0.elapsed(), self.config.max_tasks(), interrupted)
    }

    /// If no thread could be started, the calling thread works until the queue is empty.
    fn work_here(&self) {
        while self.queue.unfinished() > 0 {
            match self.queue.get() {
                Some(job) => self.process(&job, || self.fetch(&job)),
                None => return,
            }
        }
    }

    /// The worker loop: take a URL, fetch it, mark it done, until the queue is closed.
    pub fn work(&self) {
        while let Some(job) = self.queue.get() {
            self.process(&job, || self.fetch(&job));
        }
    }

    /// Runs `fetch` for one job, records the URL, puts the jobs it leads to, and marks it done.
    ///
    /// The record is made here, after `fetch` has returned, never inside it: a panic in `fetch`
    /// (a bug: no input should cause one) then leaves no record behind, and becomes exactly one
    /// failed record. A `task_done` follows whatever happened, and the worker lives on: a lost
    /// `task_done` would leave `join` waiting forever, and a dead worker its share undone.
    fn process(&self, job: &Job, fetch: impl FnOnce() -> Step) {
        self.config.progress().started();
        let step = catch_unwind(AssertUnwindSafe(fetch)).unwrap_or_else(|_| {
            tracing::error!("bug: fetching {} panicked", job.url);
            Step::failed(&job.url, NetError::Other)
        });
        // Record, then put: the links are queued only once their page is on record.
        self.record(step.stat);
        self.config.progress().queued(step.jobs.len());
        for next in step.jobs {
            self.queue.put(next);
        }
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
                Err(e) if tries.again(&job.url, e) => continue,
                fetched => break fetched,
            }
        };
        step(&self.policy, job, fetched, &self.seen)
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
        let crawler = Crawler::new(&config, SeenMode::Locked);
        let job = crawler.queue.get().unwrap();
        crawler.process(&job, || panic!("injected"));
        crawler.queue.join();
        let done = crawler.done.lock().unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].exception.as_deref(), Some("Other: network error"));
    }
}
