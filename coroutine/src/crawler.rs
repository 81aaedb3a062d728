//! [`Crawler`]: `max_tasks` worker tasks take URLs from a [`JoinableQueue`], fetch them, and put
//! the new links back; `crawl` awaits the queue's `join`, then cancels the workers. Written once
//! for both runtimes, over `M: Mode`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Seen, SeenCell, Step};
use shared::{Tries, step};
use tokio::sync::Notify;

use crate::client::{Client, Http};
use crate::mode::{CurrentThread, Guard, Mode, MultiThread};
use crate::queue::JoinableQueue;

/// Which tokio runtime runs the crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Runtime {
    /// One thread; the workers are local tasks and the seen-set a `RefCell`.
    #[default]
    CurrentThread,
    /// A worker thread per core; the seen-set is behind a `Mutex`.
    MultiThread,
}

/// This crate's own options, beside the shared [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// The runtime (`--runtime`).
    pub runtime: Runtime,
    /// The HTTP stack (`--http`).
    pub http: Http,
}

/// Crawls with coroutines on the current-thread runtime over reqwest and returns the report:
/// the library face every model shares.
pub fn crawl(config: &Config) -> Report {
    crawl_with(config, Options::default())
}

/// Crawls with coroutines on the runtime and HTTP stack of `options`.
pub fn crawl_with(config: &Config, options: Options) -> Report {
    match options.runtime {
        Runtime::CurrentThread => Crawler::<CurrentThread>::run(config, options.http),
        Runtime::MultiThread => Crawler::<MultiThread>::run(config, options.http),
    }
}

/// The coroutine crawler: the state its worker tasks share.
///
/// `M::Cell` is a `RefCell` on the current-thread runtime and a `Mutex` on the multi-thread one;
/// nothing else differs.
pub struct Crawler<M: Mode> {
    config: Config,
    policy: Policy,
    client: Client<M>,
    queue: JoinableQueue<Job>,
    /// The seen-set. See [`Crawler::fetch`] for why a `RefCell` is enough on one thread.
    seen: M::Cell<Seen>,
    /// The records of URLs done.
    done: M::Cell<Vec<FetchStatistic>>,
}

impl<M: Mode> std::fmt::Debug for Crawler<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("client", &self.client)
            .field("queue", &self.queue)
            .field("seen", &self.seen.with(|seen| seen.len()))
            .field("done", &self.done.with(|done| done.len()))
            .finish_non_exhaustive()
    }
}

impl<M: Mode> Crawler<M> {
    /// A crawler for `config` on the HTTP stack `http`, its roots queued.
    pub fn new(config: &Config, http: Http) -> Crawler<M> {
        let (seen, roots) = Seen::new(config);
        let crawler = Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            client: Client::new(config, http),
            queue: JoinableQueue::new(),
            seen: Guard::new(seen),
            done: Guard::new(Vec::new()),
        };
        for job in roots {
            crawler.queue.put_nowait(job);
        }
        crawler
    }

    /// Builds the runtime, crawls on it, and reports.
    fn run(config: &Config, http: Http) -> Report {
        let t0 = Instant::now();
        let crawled = M::block_on(async {
            // Created inside the runtime: the clients' sockets and timers belong to it.
            Arc::new(Crawler::<M>::new(config, http)).crawl().await
        });
        crawled.unwrap_or_else(|e| {
            tracing::error!("cannot start the tokio runtime: {e}");
            let failed =
                config.roots.iter().map(|u| FetchStatistic::failed(u.as_str(), NetError::Other));
            Report::new(failed.collect(), 0, t0.elapsed(), config.max_tasks, false)
        })
    }

    /// Runs the crawl to the end (or to Ctrl-C) and reports: the chapter's `crawl`.
    ///
    /// 1. Start `max_tasks` workers at once: they are cheap (a task is a few hundred bytes).
    /// 2. Await `queue.join()` (or Ctrl-C).
    /// 3. Cancel the workers, idle in `get().await` (or, after Ctrl-C, mid-fetch), and wait until
    ///    every one is gone: no task outlives `crawl`.
    pub async fn crawl(self: Arc<Self>) -> Report {
        let t0 = Instant::now();
        // Ctrl-C fires on another thread; a `Notify` wakes this task from there. (A permit is
        // stored if it fires before the `select!` waits.)
        let stopped = Arc::new(Notify::new());
        let waker = stopped.clone();
        self.config.stop.on_stop(move || waker.notify_one());
        let workers: Vec<_> = (0..self.config.max_tasks).map(|_| M::spawn(self.clone())).collect();
        tokio::select! {
            () = self.queue.join() => {}
            () = stopped.notified() => {}
        }
        for worker in &workers {
            worker.abort();
        }
        for worker in workers {
            // `Err(cancelled)` is the expected end of a worker; a panic was caught in `work`.
            let _ = worker.await;
        }
        let interrupted = self.config.stop.is_triggered();
        let done = self.done.with(std::mem::take);
        Report::new(done, self.queue.len(), t0.elapsed(), self.config.max_tasks, interrupted)
    }

    /// The worker loop: take a URL, fetch it, record it and put its links, mark it done; until
    /// cancelled while waiting in `get`.
    ///
    /// A panic in `fetch` (a bug: no input should cause one) becomes a failed record, and the
    /// worker goes on: a lost `task_done` would leave `join` waiting forever.
    pub async fn work(&self) {
        loop {
            let job = self.queue.get().await;
            let step = CatchUnwind(Box::pin(self.fetch(&job))).await.unwrap_or_else(|| {
                tracing::error!("bug: fetching {} panicked", job.url);
                Step::failed(&job.url, NetError::Other)
            });
            self.done.with(|done| done.push(step.stat));
            for next in step.jobs {
                self.queue.put_nowait(next);
            }
            self.queue.task_done();
        }
    }

    /// Fetches one URL, retrying network errors up to `max_tries` requests in all, each bounded
    /// by `--timeout` (body included), and returns its record and the jobs it leads to.
    pub async fn fetch(&self, job: &Job) -> Step {
        let mut tries = Tries::new(self.config.max_tries);
        let fetched = loop {
            let got = tokio::time::timeout(self.config.timeout, self.client.get(&job.url)).await;
            match got.unwrap_or(Err(NetError::Timeout)) {
                Err(e) if tries.again(&job.url, e) => continue,
                fetched => break fetched,
            }
        };
        // The check-and-insert of the links, in the seen-set. On the current-thread runtime it
        // is a `RefCell`, and no lock is needed: `step` holds no `.await`, so once this task
        // runs it, no other task can run until it returns; nothing can come between checking a
        // link and inserting it. This is the line that answers the thread model's racy version
        // (`threads::SeenSet::add_links_racy`, in threads/src/seen.rs), where another thread
        // can run in exactly that gap. On the multi-thread runtime it is a `Mutex`: tasks run in
        // parallel there, as threads do.
        step(&self.policy, job, fetched, Critical(&self.seen))
    }
}

/// The seen-set's guard as the outcome step wants it: the one critical section.
struct Critical<'a, G>(&'a G);

impl<G: Guard<Seen>> SeenCell for Critical<'_, G> {
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R {
        self.0.with(f)
    }
}

/// A future that turns a panic while it is polled into `None`, so that one bad page cannot kill
/// a worker. (`futures::FutureExt::catch_unwind`, in a few lines.)
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Some(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}
