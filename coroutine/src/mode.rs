//! [`Mode`]: all that differs between the runtimes (tokio's current-thread and multi-thread, and
//! the hand-made one): how the shared state is guarded ([`Exclusive`]: a `RefCell` or a `Mutex`),
//! which queue and client, how a worker task is spawned and cancelled, how a timeout is set, and
//! how the runtime is built. The crawler itself is written once, over `M: Mode`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use shared::{Config, Job, NetError, Response};
use tokio::task::JoinHandle;
use url::Url;

use crate::client::{Client, Http};
use crate::crawler::Crawler;
use crate::handmade;
use crate::queue::JoinableQueue;
use crate::shared_http::SharedHttp;

/// Exclusive access to a value shared by tasks, for the length of a closure (which cannot
/// `.await`, so the access never spans a suspension point).
pub trait Exclusive<T> {
    /// Wraps `value`.
    fn new(value: T) -> Self;
    /// Runs `f` with the value, with no other access in between.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// One thread: a `RefCell` checks at run time that no two borrows overlap, and none can, since
/// a task is only ever suspended at an `.await` and `f` has none.
impl<T> Exclusive<T> for RefCell<T> {
    fn new(value: T) -> Self {
        RefCell::new(value)
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // Cannot panic: the borrow lives for `f` only, and `f` never yields to another task.
        f(&mut self.borrow_mut())
    }
}

/// Several threads: tasks run in parallel, so the value needs a lock, as in the thread model.
impl<T> Exclusive<T> for Mutex<T> {
    fn new(value: T) -> Self {
        Mutex::new(value)
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // A panic inside `f` cannot leave the value half-updated: each use is one insert or push.
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

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

    /// `future`'s output, or `None` if `duration` passes first (the future is then dropped).
    fn timeout<F: Future>(duration: Duration, future: F)
    -> impl Future<Output = Option<F::Output>>;

    /// Builds this runtime and runs `future` on it to the end.
    fn block_on<F: Future>(future: F) -> io::Result<F::Output>;
}

/// asyncio's `Queue`, as the crawler uses it (see [`JoinableQueue`](crate::JoinableQueue)).
pub trait Queue<T> {
    /// An empty queue.
    fn new() -> Self;
    /// Adds an item and one unfinished task; never waits.
    fn put_nowait(&self, item: T);
    /// Takes the oldest item, waiting for one.
    fn get(&self) -> impl Future<Output = T>;
    /// Marks a task taken with `get` as finished.
    fn task_done(&self);
    /// Waits until every item put has been marked done.
    fn join(&self) -> impl Future<Output = ()>;
    /// Items waiting to be taken.
    fn len(&self) -> usize;
}

/// The [`Queue`] of a runtime's joinable queue: each has the same methods; this says so to the
/// crawler, which is written over `Queue`.
macro_rules! queue_of {
    ($queue:ty) => {
        impl<T> Queue<T> for $queue {
            fn new() -> Self {
                <$queue>::new()
            }

            fn put_nowait(&self, item: T) {
                <$queue>::put_nowait(self, item);
            }

            async fn get(&self) -> T {
                <$queue>::get(self).await
            }

            fn task_done(&self) {
                <$queue>::task_done(self);
            }

            async fn join(&self) {
                <$queue>::join(self).await;
            }

            fn len(&self) -> usize {
                <$queue>::len(self)
            }
        }
    };
}

queue_of!(JoinableQueue<T>);
queue_of!(handmade::JoinableQueue<T>);

/// An HTTP client: one GET, whatever the stack.
pub trait HttpClient {
    /// GETs `url` once: `Err` for a network failure of any kind.
    fn get(&self, url: &Url) -> impl Future<Output = Result<Response, NetError>>;
}

/// Tokio's current-thread runtime, with the workers as local tasks on a `LocalSet`: one thread,
/// the chapter's asyncio. Nothing is `Send`, and nothing needs to be.
#[derive(Debug, Clone, Copy)]
pub struct CurrentThread;

impl Mode for CurrentThread {
    type Cell<T> = RefCell<T>;
    type Ptr<T> = Rc<T>;
    type Queue = JoinableQueue<Job>;
    type Client = Client<Self>;
    type Worker = JoinHandle<()>;

    fn client(config: &Config, http: Http) -> Self::Client {
        Client::new(config, http)
    }

    fn share<T>(value: T) -> Rc<T> {
        Rc::new(value)
    }

    fn spawn(crawler: Rc<Crawler<Self>>) -> JoinHandle<()> {
        // A local task: it may hold the `RefCell`s (not `Sync`), and it never leaves this thread.
        tokio::task::spawn_local(async move { crawler.work().await })
    }

    async fn cancel(workers: Vec<JoinHandle<()>>) {
        abort_all(workers).await;
    }

    async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(duration, future).await.ok()
    }

    fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(tokio::task::LocalSet::new().block_on(&runtime, future))
    }
}

/// Tokio's multi-thread runtime: tasks move between worker threads and run in parallel. The
/// compiler demands that a spawned task be `Send`, which a `RefCell` shared between tasks is
/// not: the locks come back.
#[derive(Debug, Clone, Copy)]
pub struct MultiThread;

impl Mode for MultiThread {
    type Cell<T> = Mutex<T>;
    type Ptr<T> = Arc<T>;
    type Queue = JoinableQueue<Job>;
    type Client = Client<Self>;
    type Worker = JoinHandle<()>;

    fn client(config: &Config, http: Http) -> Self::Client {
        Client::new(config, http)
    }

    fn share<T>(value: T) -> Arc<T> {
        Arc::new(value)
    }

    fn spawn(crawler: Arc<Crawler<Self>>) -> JoinHandle<()> {
        tokio::spawn(async move { crawler.work().await })
    }

    async fn cancel(workers: Vec<JoinHandle<()>>) {
        abort_all(workers).await;
    }

    async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(duration, future).await.ok()
    }

    fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        Ok(runtime.block_on(future))
    }
}

/// The hand-made runtime ([`handmade`]): one thread, so `RefCell`s and `Rc`, as on tokio's
/// current-thread runtime; always the shared HTTP client core, over the runtime's own sockets
/// (reqwest needs tokio). The runtime knows nothing of the crawler: this is where the two meet.
#[derive(Debug, Clone, Copy)]
pub struct Handmade;

impl Mode for Handmade {
    type Cell<T> = RefCell<T>;
    type Ptr<T> = Rc<T>;
    type Queue = handmade::JoinableQueue<Job>;
    type Client = SharedHttp<Self, handmade::TcpStream>;
    type Worker = handmade::JoinHandle;

    fn client(config: &Config, http: Http) -> Self::Client {
        // `Options::new` refuses reqwest on this runtime: nothing else can come here.
        debug_assert_eq!(http, Http::Shared);
        SharedHttp::new(config.timeout(), config.max_tasks())
    }

    fn share<T>(value: T) -> Rc<T> {
        Rc::new(value)
    }

    fn spawn(crawler: Rc<Crawler<Self>>) -> handmade::JoinHandle {
        handmade::spawn(async move { crawler.work().await })
    }

    async fn cancel(workers: Vec<handmade::JoinHandle>) {
        for worker in &workers {
            worker.abort();
        }
        for worker in workers {
            worker.await;
        }
    }

    fn timeout<F: Future>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Option<F::Output>> {
        handmade::timeout(duration, future)
    }

    fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
        handmade::run_until_complete(future)
    }
}

/// Aborts tokio tasks, then waits for each: an aborted task stops at its `.await` and is gone
/// once its handle resolves.
async fn abort_all(workers: Vec<JoinHandle<()>>) {
    for worker in &workers {
        worker.abort();
    }
    for worker in workers {
        // `Err(cancelled)` is the expected end of a worker; a panic was caught in `work`.
        let _ = worker.await;
    }
}
