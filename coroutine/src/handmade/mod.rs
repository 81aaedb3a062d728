//! The chapter's own machinery, built in Rust: a single-threaded executor of tasks, leaf futures
//! on the `callback` crate's event loop, a joinable queue, and cancellation, running the same
//! crawler as the tokio runtimes (`coroutine --runtime handmade`). No tokio.
//!
//! # How it works
//! 1. [`run_until_complete`] makes an executor and an event loop (`callback::EventLoop`, the
//!    reactor), and runs the main future.
//! 2. [`spawn`] makes a task: a boxed future and a waker that, when woken, puts the task's id on
//!    the run queue. The executor polls each woken task once (`step`).
//! 3. A leaf future ([`TcpStream::connect`], [`TcpStream::read`], [`TcpStream::write_all`],
//!    [`sleep`]) registers its socket or timer with the event loop, with a callback that records
//!    the readiness and wakes the task. When no task is woken, the executor lets the event loop
//!    wait in `epoll` for the next one.
//! 4. [`JoinHandle::abort`] cancels a task by dropping its future: it stops at its `.await`, and
//!    its destructors run (its sockets close).
//!
//! # The chapter's pieces, and what plays their part here
//!
//! | the chapter (Python) | here (Rust) | where Rust differs |
//! |---|---|---|
//! | `Future`: a pending result | a leaf future's `Readiness` (`io.rs`), polled through [`std::future::Future`] | no result object is passed around: `poll` returns `Ready(value)` |
//! | `Future.add_done_callback(fn)` | the waker a leaf future stores when it returns `Pending` | one waker, not a list of callbacks: the executor, not the future, decides what runs next |
//! | `Future.set_result(value)` | the event loop's callback recording readiness and calling `waker.wake()` (`io.rs`) | the value is read by the next `poll`, not pushed into the coroutine |
//! | `Task(coro)` | [`spawn`], a `Task` in the executor's slab (`executor.rs`) | a task is polled when woken, instead of registering `step` as the future's callback |
//! | `Task.step()`: `coro.send(result)` | `Executor::step`: `future.poll(cx)` once | the compiler's state machine replaces the generator |
//! | `StopIteration` (the coroutine returned) | `Poll::Ready(())` from the task's future | |
//! | `loop.run_until_complete(coro)` | [`run_until_complete`] | |
//! | `StopError`, raised by the main future's done-callback to stop the loop | the executor's loop returning when the main future is `Ready` | no exception: the loop checks the main future itself |
//! | `Queue.join()`: a future resolved when the count reaches zero | [`JoinableQueue::join`], whose waker `task_done` wakes at zero | |
//! | `Queue.task_done()` | [`JoinableQueue::task_done`] | |
//! | `task.cancel()` | [`JoinHandle::abort`] | nothing is thrown: the future is dropped |
//! | `CancelledError`, thrown at the `yield from` | `Drop`: destructors run where the future was suspended | no handler in the coroutine can refuse it; cleanup is in destructors |
//!
//! # Layout
//! - `executor.rs`: tasks, wakers, the run queue, [`run_until_complete`], [`spawn`],
//!   [`JoinHandle`].
//! - `io.rs`: [`TcpStream`], [`sleep`], [`timeout`]: the leaf futures on the event loop.
//! - `queue.rs`: [`JoinableQueue`].
//! - here: [`Handmade`], the crawler's [`Mode`] on this runtime.

mod executor;
mod io;
mod queue;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use shared::{Config, Job};

pub use executor::{JoinHandle, run_until_complete, spawn};
pub use io::{Sleep, TcpStream, sleep, timeout};
pub use queue::{Get, JoinableQueue};

use crate::client::Http;
use crate::crawler::Crawler;
use crate::mode::Mode;
use crate::shared_http::{Conn, SharedHttp};

/// The hand-made runtime as the crawler's [`Mode`]: one thread, so `RefCell`s and `Rc`; the
/// shared HTTP codec over [`TcpStream`] (reqwest needs tokio).
#[derive(Debug, Clone, Copy)]
pub struct Handmade;

impl Mode for Handmade {
    type Cell<T> = RefCell<T>;
    type Ptr<T> = Rc<T>;
    type Queue = JoinableQueue<Job>;
    type Client = SharedHttp<Self, TcpStream>;
    type Worker = JoinHandle;

    fn client(config: &Config, _http: Http) -> Self::Client {
        SharedHttp::new(config.timeout(), config.max_tasks())
    }

    fn share<T>(value: T) -> Rc<T> {
        Rc::new(value)
    }

    fn spawn(crawler: Rc<Crawler<Self>>) -> JoinHandle {
        spawn(async move { crawler.work().await })
    }

    async fn cancel(workers: Vec<JoinHandle>) {
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
        timeout(duration, future)
    }

    fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
        run_until_complete(future)
    }
}

/// The hand-made socket, for the shared codec.
impl Conn for TcpStream {
    async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
        TcpStream::resolve(host, port)
    }

    async fn connect(addr: std::net::SocketAddr) -> std::io::Result<Self> {
        TcpStream::connect(addr).await
    }

    async fn ready(&mut self, wait: shared::http::Wait) -> std::io::Result<()> {
        match wait {
            shared::http::Wait::Readable => self.readable().await,
            shared::http::Wait::Writable => self.writable().await,
        }
        Ok(())
    }

    fn try_read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        TcpStream::try_read(self, buf)
    }

    fn try_write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        TcpStream::try_write(self, bytes)
    }
}
