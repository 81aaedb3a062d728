//! [`Mode`]: all that differs between the current-thread and the multi-thread runtime: how the
//! shared state is guarded ([`Guard`]: a `RefCell` or a `Mutex`), how a worker task is
//! spawned, and how the runtime is built. The crawler itself is written once, over `M: Mode`.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::task::JoinHandle;

use crate::crawler::Crawler;

/// Exclusive access to a value shared by tasks, for the length of a closure (which cannot
/// `.await`, so the access never spans a suspension point).
pub trait Guard<T> {
    /// Wraps `value`.
    fn new(value: T) -> Self;
    /// Runs `f` with the value, with no other access in between.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// One thread: a `RefCell` checks at run time that no two borrows overlap, and none can, since
/// a task is only ever suspended at an `.await` and `f` has none.
impl<T> Guard<T> for RefCell<T> {
    fn new(value: T) -> Self {
        RefCell::new(value)
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // Cannot panic: the borrow lives for `f` only, and `f` never yields to another task.
        f(&mut self.borrow_mut())
    }
}

/// Several threads: tasks run in parallel, so the value needs a lock, as in the thread model.
impl<T> Guard<T> for Mutex<T> {
    fn new(value: T) -> Self {
        Mutex::new(value)
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // A panic inside `f` cannot leave the value half-updated: each use is one insert or push.
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A runtime flavour, and what it implies for the crawler's shared state.
pub trait Mode: Sized + std::fmt::Debug + 'static {
    /// How state shared by the workers is guarded.
    type Cell<T>: Guard<T>;

    /// Starts one worker task running [`Crawler::work`].
    fn spawn(crawler: Arc<Crawler<Self>>) -> JoinHandle<()>;

    /// Builds this runtime and runs `future` on it to the end.
    fn block_on<F: Future>(future: F) -> io::Result<F::Output>;
}

/// Tokio's current-thread runtime, with the workers as local tasks on a `LocalSet`: one thread,
/// the chapter's asyncio. Nothing is `Send`, and nothing needs to be.
#[derive(Debug, Clone, Copy)]
pub struct CurrentThread;

impl Mode for CurrentThread {
    type Cell<T> = RefCell<T>;

    fn spawn(crawler: Arc<Crawler<Self>>) -> JoinHandle<()> {
        // A local task: it may hold the `RefCell`s (not `Sync`), and it never leaves this thread.
        tokio::task::spawn_local(async move { crawler.work().await })
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

    fn spawn(crawler: Arc<Crawler<Self>>) -> JoinHandle<()> {
        tokio::spawn(async move { crawler.work().await })
    }

    fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        Ok(runtime.block_on(future))
    }
}
