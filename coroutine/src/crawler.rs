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

use shared::hosts::{Ask, Hosts};
use shared::{Config, CriticalSection, FetchStatistic, Job, NetError, Policy, Report, Seen};
use shared::{Step, Stop, Tries, step};

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

    /// Starts one task running [`Crawler::run_task`] for `task`.
    fn spawn(crawler: Self::Ptr<Crawler<Self>>, task: Task) -> Self::Worker;

    /// Waits for `duration` on the runtime's timer.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;

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
    /// The host schedule (`--max-per-host`, `--delay`, `--robots`): URLs waiting for their
    /// host are parked in it, not in a worker.
    hosts: M::Cell<Hosts>,
    /// The earliest instant the host schedule asked to be woken at, for the task keeping time.
    alarm: M::Cell<Alarm>,
    /// The records of URLs done.
    done: M::Cell<Vec<FetchStatistic>>,
}

/// What a spawned task of the crawl does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A worker: [`Crawler::work`].
    Work,
    /// The host schedule's clock: [`Crawler::keep_time`].
    KeepTime,
}

/// The alarm the worker tasks set for the clock task: the instant, and the clock's waker.
#[derive(Debug, Default)]
pub(crate) struct Alarm {
    at: Option<Instant>,
    waker: Option<Waker>,
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
            hosts: Exclusive::new(Hosts::new(config)),
            alarm: Exclusive::new(Alarm::default()),
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
        let mut workers: Vec<_> =
            (0..max_tasks).map(|_| M::spawn(crawler.clone(), Task::Work)).collect();
        // One more task, cheap and asleep, keeps the host schedule's time.
        workers.push(M::spawn(crawler.clone(), Task::KeepTime));
        first_of(crawler.queue.join(), stopped(crawler.config.stop())).await;
        M::cancel(workers).await;
        let interrupted = crawler.config.stop().is_triggered();
        let done = crawler.done.with(std::mem::take);
        let (parked, disallowed) = crawler.hosts.with(|h| (h.parked(), h.disallowed()));
        // Todo: still in the queue, or waiting for its host.
        let todo = crawler.queue.len() + parked;
        Report::new(done, todo, t0.elapsed(), max_tasks, interrupted)
            .with_robots_disallowed(disallowed)
    }

    /// What a spawned task runs: see [`Task`].
    pub async fn run_task(&self, task: Task) {
        match task {
            Task::Work => self.work().await,
            Task::KeepTime => self.keep_time().await,
        }
    }

    /// The worker loop: take a URL, fetch it, record it and put its links, mark it done; until
    /// cancelled while waiting in `get`.
    ///
    /// A panic in `fetch` (a bug: no input should cause one) becomes a failed record, and the
    /// worker goes on: a lost `task_done` would leave `join` waiting forever.
    pub async fn work(&self) {
        loop {
            let job = self.queue.get().await;
            // A URL whose host is busy or inside its delay is parked in the host schedule, and
            // the worker takes the next URL: no worker waits for a host.
            let job = match self.hosts.with(|h| h.ask(job, Instant::now())) {
                Ask::Go(job, alarm) => {
                    self.set_alarm(alarm);
                    job
                }
                Ask::Wait { put, alarm } => {
                    self.set_alarm(alarm);
                    if let Some(robots) = put {
                        self.config.progress().queued(1);
                        self.queue.put_nowait(robots);
                    }
                    continue;
                }
                Ask::Disallowed(_) => {
                    self.config.progress().started();
                    self.config.progress().done();
                    self.queue.task_done();
                    continue;
                }
            };
            self.config.progress().started();
            // Boxed: the fetch's state lives on the heap only while it runs, so a worker idle in
            // `get` (ten thousand of them at C10K) is not the size of a fetch in flight.
            let mut step = CatchUnwind(Box::pin(self.fetch(&job))).await.unwrap_or_else(|| {
                tracing::error!("bug: fetching {} panicked", job.url);
                Step::failed(&job, NetError::Other)
            });
            let released = self.hosts.with(|h| h.ended(&job, step.robots.take(), Instant::now()));
            if let Some(stat) = step.stat {
                self.done.with(|done| done.push(stat));
            }
            self.config.progress().queued(step.jobs.len());
            for next in step.jobs {
                self.queue.put_nowait(next);
            }
            self.put_back(released.again);
            self.set_alarm(released.alarm);
            self.config.progress().done();
            self.queue.task_done();
        }
    }

    /// The host schedule's clock: sleeps until the alarm a worker set (or an earlier one set
    /// meanwhile), then puts the URLs whose host's delay is over back in the queue. One task
    /// for every host: a coroutine asleep costs a few hundred bytes, and no worker.
    pub async fn keep_time(&self) {
        loop {
            let at = poll_fn(|cx| {
                self.alarm.with(|alarm| match alarm.at {
                    Some(at) => Poll::Ready(at),
                    None => {
                        alarm.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                })
            })
            .await;
            let earlier = poll_fn(|cx| {
                self.alarm.with(|alarm| {
                    if alarm.at.is_some_and(|other| other < at) {
                        Poll::Ready(())
                    } else {
                        alarm.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                })
            });
            first_of(M::sleep(at.saturating_duration_since(Instant::now())), earlier).await;
            let now = Instant::now();
            if now < at {
                continue; // An earlier alarm was set: sleep until that one instead.
            }
            self.alarm.with(|alarm| alarm.at = alarm.at.filter(|at| *at > now));
            let due = self.hosts.with(|h| h.due(now));
            self.put_back(due.again);
            self.set_alarm(due.alarm);
        }
    }

    /// Asks the clock task to wake at `at` (if it is earlier than its alarm).
    fn set_alarm(&self, at: Option<Instant>) {
        let Some(at) = at else { return };
        let waker = self.alarm.with(|alarm| {
            if alarm.at.is_some_and(|set| set <= at) {
                return None;
            }
            alarm.at = Some(at);
            alarm.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Puts URLs the host schedule released back in the queue: each is put anew, and its
    /// first turn, which ended when it was parked, is marked done.
    fn put_back(&self, jobs: Vec<Job>) {
        for job in jobs {
            self.queue.put_nowait(job);
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
                Err(e) if tries.again(&job.url, e) => {
                    // The host's `--delay` counts retries too: the URL keeps its slot between
                    // tries, and sleeps here, on the runtime's timer.
                    while let Some(at) = self.hosts.with(|h| h.retry(&job.url, Instant::now())) {
                        M::sleep(at.saturating_duration_since(Instant::now())).await;
                    }
                }
                fetched => break fetched,
            }
        };
        // The check-and-insert of the links, in the seen-set. On the current-thread runtime it
        // is a `RefCell`, and no lock is needed: `step` holds no `.await`, so once this task
        // runs it, no other task can run until it returns; nothing can come between checking a
        // link and inserting it. This is the line that answers the thread model's racy version
        // (`threads::SharedSeen::add_links_racy`, in threads/src/seen.rs), where another thread
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

impl<G: Exclusive<Seen>> CriticalSection for Critical<'_, G> {
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
