//! The runtimes the crawler runs on, each a `Mode`: tokio's current-thread and multi-thread
//! runtimes and the hand-made one; and [`crawl_with`], which picks one. This is where the
//! crawler, its HTTP clients and the runtimes meet; none of them knows the others.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::{Config, Job, Report};
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::crawler::{Crawler, Mode, Task};
use crate::handmade;
use crate::parts::Http;
use crate::queue::JoinableQueue;
use crate::shared_http::SharedHttp;

/// Which tokio runtime runs the crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Runtime {
    /// One thread; the workers are local tasks and the seen-set a `RefCell`.
    #[default]
    CurrentThread,
    /// A worker thread per core; the seen-set is behind a `Mutex`.
    MultiThread,
    /// The hand-made executor on the `callback` crate's event loop (the `handmade` module);
    /// always over the shared HTTP codec.
    Handmade,
}

/// This crate's own options, beside the shared [`Config`]: a runtime and an HTTP stack that
/// can run on it.
///
/// # Examples
/// ```
/// use coroutine::{Http, Options, Runtime};
/// let options = Options::new(Runtime::Handmade, None).unwrap();
/// assert_eq!(options.http(), Http::Shared, "the hand-made runtime fetches with the shared core");
/// assert!(Options::new(Runtime::Handmade, Some(Http::Reqwest)).is_err(), "reqwest needs tokio");
/// assert_eq!(Options::new(Runtime::MultiThread, None).unwrap().http(), Http::Reqwest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    runtime: Runtime,
    http: Http,
}

impl Options {
    /// The `runtime` (`--runtime`) with the HTTP stack `http` (`--http`), or the runtime's
    /// default stack: reqwest on tokio, the shared core on the hand-made runtime, which cannot
    /// run reqwest (reqwest needs tokio). This is the one place that decides it.
    pub fn new(runtime: Runtime, http: Option<Http>) -> Result<Options, String> {
        let http = match (runtime, http) {
            (Runtime::Handmade, Some(Http::Reqwest)) => {
                return Err("--http reqwest needs tokio: --runtime handmade fetches with the \
                            shared HTTP client only"
                    .into());
            }
            (Runtime::Handmade, _) => Http::Shared,
            (_, http) => http.unwrap_or_default(),
        };
        Ok(Options { runtime, http })
    }

    /// The runtime.
    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// The HTTP stack.
    pub fn http(&self) -> Http {
        self.http
    }
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
        Runtime::Handmade => Crawler::<Handmade>::run(config, options.http),
    }
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

    fn spawn(crawler: Rc<Crawler<Self>>, task: Task) -> JoinHandle<()> {
        // A local task: it may hold the `RefCell`s (not `Sync`), and it never leaves this thread.
        tokio::task::spawn_local(async move { crawler.run_task(task).await })
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    async fn cancel(workers: Vec<JoinHandle<()>>) {
        abort_all(workers).await;
    }

    async fn timeout<F: Future>(duration: Duration, future: Pin<&mut F>) -> Option<F::Output> {
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

    fn spawn(crawler: Arc<Crawler<Self>>, task: Task) -> JoinHandle<()> {
        tokio::spawn(async move { crawler.run_task(task).await })
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    async fn cancel(workers: Vec<JoinHandle<()>>) {
        abort_all(workers).await;
    }

    async fn timeout<F: Future>(duration: Duration, future: Pin<&mut F>) -> Option<F::Output> {
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
        SharedHttp::new(config)
    }

    fn share<T>(value: T) -> Rc<T> {
        Rc::new(value)
    }

    fn spawn(crawler: Rc<Crawler<Self>>, task: Task) -> handmade::JoinHandle {
        handmade::spawn(async move { crawler.run_task(task).await })
    }

    async fn sleep(duration: Duration) {
        handmade::sleep(duration).await;
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
        future: Pin<&mut F>,
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

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;

    use testsite::SiteSpec;

    use super::*;

    /// No task outlives `crawl`: once it returns, every worker has been cancelled and dropped, so
    /// the crawler's only owner is the caller again (each worker held a clone). On both runtimes.
    #[test]
    fn no_worker_outlives_crawl() {
        let site = SiteSpec { seed: 3, ..SiteSpec::with_pages(50) }.generate();
        let server = site.serve("127.0.0.1:0").expect("test site starts");
        let config =
            Config::builder([server.url().as_str()]).max_tasks(20).build().expect("valid root");
        let owners = CurrentThread::block_on(async {
            let crawler = Rc::new(Crawler::<CurrentThread>::new(&config, Http::Shared));
            let report = Crawler::<CurrentThread>::crawl(crawler.clone()).await;
            assert!(report.stats.len() > 50);
            Rc::strong_count(&crawler)
        });
        assert_eq!(owners.unwrap(), 1, "current-thread: the 20 workers are gone");
        let owners = MultiThread::block_on(async {
            let crawler = Arc::new(Crawler::<MultiThread>::new(&config, Http::Reqwest));
            let report = Crawler::<MultiThread>::crawl(crawler.clone()).await;
            assert!(report.stats.len() > 50);
            Arc::strong_count(&crawler)
        });
        assert_eq!(owners.unwrap(), 1, "multi-thread: the 20 workers are gone");
    }
}
