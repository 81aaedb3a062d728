//! [`Crawler`]: `max_tasks` worker threads take URLs from a [`JoinableQueue`], fetch them with
//! blocking I/O, and put the new links they find back; the main thread waits in `join`.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use shared::page::{Outcome, interpret};
use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Seen};

use crate::http::Client;
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

/// Crawls with the thread model and returns the report: the library face every model shares.
pub fn crawl(config: &Config) -> Report {
    Crawler::new(config, SeenMode::Locked).crawl()
}

impl Crawler {
    /// A crawler for `config` whose workers add links in `mode`, its roots already queued.
    pub fn new(config: &Config, mode: SeenMode) -> Arc<Crawler> {
        let (seen, roots) = Seen::new(config);
        let crawler = Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            client: Client::new(config.timeout, config.max_tasks),
            queue: JoinableQueue::new(),
            seen: SeenSet::new(seen, mode),
            done: Mutex::new(Vec::new()),
        };
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
        // Ctrl-C closes the queue. A weak reference: the hook outlives the crawl in `config.stop`.
        let weak: Weak<Crawler> = Arc::downgrade(self);
        self.config.stop.on_stop(move || {
            if let Some(crawler) = weak.upgrade() {
                crawler.queue.close();
            }
        });
        let mut workers: Vec<JoinHandle<()>> = Vec::with_capacity(self.config.max_tasks);
        for i in 0..self.config.max_tasks {
            let crawler = self.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || crawler.work());
            match spawned {
                Ok(worker) => workers.push(worker),
                Err(e) => {
                    // Out of threads: crawl with those we have (the first failure says it all).
                    tracing::error!("started {i} of {} workers: {e}", self.config.max_tasks);
                    break;
                }
            }
        }
        if workers.is_empty() {
            self.work_here();
        }
        self.queue.join();
        let interrupted = self.config.stop.is_triggered();
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
        Report::new(done, todo, t0.elapsed(), self.config.max_tasks, interrupted)
    }

    /// If no thread could be started, the calling thread works until the queue is empty.
    fn work_here(&self) {
        while self.queue.unfinished() > 0 {
            match self.queue.get() {
                Some(job) => self.process(&job),
                None => return,
            }
        }
    }

    /// The worker loop: take a URL, fetch it, mark it done, until the queue is closed.
    pub fn work(&self) {
        while let Some(job) = self.queue.get() {
            self.process(&job);
        }
    }

    /// Fetches one job and marks it done. A panic in between (a bug: no input should cause one)
    /// still ends in a record and a `task_done`, and the worker lives on: a lost `task_done`
    /// would leave `join` waiting forever, and a dead worker would leave its share undone.
    fn process(&self, job: &Job) {
        let fetched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.fetch(job)));
        if fetched.is_err() {
            tracing::error!("bug: fetching {} panicked", job.url);
            self.record(FetchStatistic::failed(job.url.as_str(), NetError::Other));
        }
        self.queue.task_done();
    }

    /// Fetches one URL (retrying network errors up to `max_tries` requests), records it, and
    /// queues the links and redirect it leads to.
    pub fn fetch(&self, job: &Job) {
        let url = &job.url;
        let mut tries = 0;
        let response = loop {
            tries += 1;
            match self.client.get(url) {
                Ok(response) => break Ok(response),
                Err(e) if tries < self.config.max_tries => {
                    tracing::info!("try {tries} for {url} raised {e}");
                }
                Err(e) => break Err(e),
            }
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                tracing::error!("{url} failed after {tries} tries: {e}");
                return self.record(FetchStatistic::failed(url.as_str(), e));
            }
        };
        let outcome =
            interpret(&self.policy, url, response.status, response.header_pairs(), &response.body);
        match outcome {
            Outcome::Redirect { stat, target, allowed } => {
                self.record(stat);
                if allowed {
                    if let Some(next) = self.seen.add_redirect(job, &target) {
                        tracing::info!("redirect to {target} from {url}");
                        self.queue.put(next);
                    }
                } else {
                    tracing::debug!("not following redirect to {target}: not allowed");
                }
            }
            Outcome::Page { mut stat, links } => {
                let (num_new, jobs) = self.seen.add_links(job, &links);
                stat.num_new_urls = num_new;
                self.record(stat);
                for next in jobs {
                    self.queue.put(next);
                }
            }
            Outcome::Record { stat } => self.record(stat),
        }
    }

    fn record(&self, stat: FetchStatistic) {
        self.done.lock().unwrap_or_else(PoisonError::into_inner).push(stat);
    }
}
