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

mod executor;
mod io;
mod queue;

pub use executor::{JoinHandle, run_until_complete, spawn};
pub use io::{Sleep, TcpStream, sleep, timeout};
pub use queue::{Get, JoinableQueue};
