//! [`Crawler`]: `max_tasks` worker tasks take URLs from a [`JoinableQueue`], fetch them, and put
//! the new links back; `crawl` awaits the queue's `join`, then cancels the workers. Written once
//! for the three runtimes, over [`Mode`]: what the crawler needs from a runtime, defined here
//! beside it (the runtimes, in `runtimes.rs`, implement it).

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Seen, SeenCell, Step, Stop};
use shared::{Tries, step};

use crate::parts::{Exclusive, Http, HttpClient, Queue};

/// What the crawler needs from a runtime, beside [`Exclusive`]: a queue, a client, tasks, timeouts.
/// [`Crawler`] is written once over it; each runtime says how, and nothing else.
pub trait Mode: Sized + fmt::Debug + 'static {
    /// How state shared by the workers is guarded.
    type Cell<T>: Exclusive<T>;
    /// How the workers share the crawler: an `Rc` on one thread, an `Arc` across threads.
    type Ptr<T>: Clone + Deref<Target = T>;
    /// The joinable queue of URLs.
    type Queue: Queue<Job>;
    /// The HTTP client.
    type Client: HttpClient + fmt::Debug;
    /// A running worker task.
    type Worker;

    /// The client of a crawl with `config`, on the HTTP stack `http`.
    fn client(config: &Config, http: Http) -> Self::Client;

    /// Shares `value` between tasks.
    fn share<T>(value: T) -> Self::Ptr<T>;

    /// Starts one worker task running [`Crawler::work`].
    fn spawn(crawler: Self::Ptr<Crawler<Self>>) -> Self::Worker;

    /// Cancels the workers and waits until every one is gone.
    fn cancel(workers: Vec<Self::Worker>) -> impl Future<Output = ()>;

    /// `future`'s output, or `None` if `duration` passes first.
    ///
    /// The future is lent, pinned where the caller keeps it, not handed over: an async fn that
    /// takes a future by value keeps it twice in its state (as its argument, and again where
    /// it pins it), and a fetch's future is in the state of every waiting fetch.
    fn timeout<F: Future>(
        duration: Duration,
        future: Pin<&mut F>,
    ) -> impl Future<Output = Option<F::Output>>;

    /// Builds this runtime and runs `future` on it to the end.
    fn block_on<F: Future>(future: F) -> io::Result<F::Output>;
}

/// The coroutine crawler: the state its worker tasks share.
///
/// `M::Cell` is a `RefCell` on the current-thread runtime and a `Mutex` on the multi-thread one;
/// nothing else differs.
pub struct Crawler<M: Mode> {
    config: Config,
    policy: Policy,
    client: M::Client,
    queue: M::Queue,
    /// The seen-set. See [`Crawler::fetch`] for why a `RefCell` is enough on one thread.
    seen: M::Cell<Seen>,
    /// The records of URLs done.
    done: M::Cell<Vec<FetchStatistic>>,
}

impl<M: Mode> std::fmt::Debug for Crawler<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("client", &self.client)
            .field("queued", &self.queue.len())
            .field("seen", &self.seen.with(|seen| seen.len()))
            .field("done", &self.done.with(|done| done.len()))
            .finish_non_exhaustive()
    }
}

impl<M: Mode> Crawler<M> {
    /// A crawler for `config` on the HTTP stack `http`, its roots queued.
    pub fn new(config: &Config, http: Http) -> Crawler<M> {
        let (seen, roots) = Seen::new(config);
        let crawler: Crawler<M> = Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            client: M::client(config, http),
            queue: M::Queue::new(),
            seen: Exclusive::new(seen),
            done: Exclusive::new(Vec::new()),
        };
        config.progress().queued(roots.len());
        for job in roots {
            crawler.queue.put_nowait(job);
        }
        crawler
    }

    /// Builds the runtime, crawls on it, and reports.
    pub(crate) fn run(config: &Config, http: Http) -> Report {
        let t0 = Instant::now();
        let crawled = M::block_on(async {
            // Created inside the runtime: the clients' sockets and timers belong to it.
            Crawler::<M>::crawl(M::share(Crawler::new(config, http))).await
        });
        crawled.unwrap_or_else(|e| {
            tracing::error!("cannot start the tokio runtime: {e}");
            let failed =
                config.roots().iter().map(|u| FetchStatistic::failed(u.as_str(), NetError::Other));
            Report::new(failed.collect(), 0, t0.elapsed(), config.max_tasks(), false)
        })
    }

    /// Runs the crawl to the end (or to Ctrl-C) and reports: the chapter's `crawl`.
    ///
    /// 1. Start `max_tasks` workers at once: they are cheap (a task is a few hundred bytes).
    /// 2. Await `queue.join()` (or Ctrl-C).
    /// 3. Cancel the workers, idle in `get().await` (or, after Ctrl-C, mid-fetch), and wait until
    ///    every one is gone: no task outlives `crawl`.
    ///
    /// `crawler` is shared with the workers: an `Rc` or an `Arc`, as the runtime needs.
    pub async fn crawl(crawler: M::Ptr<Self>) -> Report {
        let t0 = Instant::now();
        let max_tasks = crawler.config.max_tasks();
        let workers: Vec<_> = (0..max_tasks).map(|_| M::spawn(crawler.clone())).collect();
        first_of(crawler.queue.join(), stopped(crawler.config.stop())).await;
        M::cancel(workers).await;
        let interrupted = crawler.config.stop().is_triggered();
        let done = crawler.done.with(std::mem::take);
        Report::new(done, crawler.queue.len(), t0.elapsed(), max_tasks, interrupted)
    }

    /// The worker loop: take a URL, fetch it, record it and put its links, mark it done; until
    /// cancelled while waiting in `get`.
    ///
    /// A panic in `fetch` (a bug: no input should cause one) becomes a failed record, and the
    /// worker goes on: a lost `task_done` would leave `join` waiting forever.
    pub async fn work(&self) {
        loop {
            let job = self.queue.get().await;
            self.config.progress().started();
            // Boxed: the fetch's state lives on the heap only while it runs, so a worker idle in
            // `get` (ten thousand of them at C10K) is not the size of a fetch in flight.
            let step = CatchUnwind(Box::pin(self.fetch(&job))).await.unwrap_or_else(|| {
                tracing::error!("bug: fetching {} panicked", job.url);
                Step::failed(&job.url, NetError::Other)
            });
            self.done.with(|done| done.push(step.stat));
            self.config.progress().queued(step.jobs.len());
            for next in step.jobs {
                self.queue.put_nowait(next);
            }
            self.config.progress().done();
            self.queue.task_done();
        }
    }

    /// Fetches one URL, retrying network errors up to `max_tries` requests in all, each bounded
    /// by `--timeout` (body included), and returns its record and the jobs it leads to.
    pub async fn fetch(&self, job: &Job) -> Step {
        let mut tries = Tries::new(self.config.max_tries());
        let fetched = loop {
            // The request's future is pinned here and lent to the timeout (see `Mode::timeout`).
            let got = M::timeout(self.config.timeout(), pin!(self.client.get(&job.url))).await;
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

/// Waits for whichever of `a` and `b` finishes first (`a` if both are ready), dropping the other.
async fn first_of(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Resolves once `stop` fires (Ctrl-C). The signal fires on another thread: its hook wakes
/// whichever task last waited here, through that task's `Waker`, which any runtime's wakers
/// allow from any thread.
async fn stopped(stop: &Stop) {
    let waiting: Arc<Mutex<Option<Waker>>> = Arc::default();
    let hook = waiting.clone();
    // Registered while this future lives: dropped with it when the crawl ends first.
    let _on_stop = stop.on_stop(move || {
        if let Some(waker) = hook.lock().unwrap_or_else(PoisonError::into_inner).take() {
            waker.wake();
        }
    });
    poll_fn(|cx| {
        // The waker is stored before the flag is read: a trigger in between finds it and wakes.
        *waiting.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if stop.is_triggered() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
}

/// The seen-set's guard as the outcome step wants it: the one critical section.
struct Critical<'a, G>(&'a G);

impl<G: Exclusive<Seen>> SeenCell for Critical<'_, G> {
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
