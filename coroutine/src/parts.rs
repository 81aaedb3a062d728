//! The parts a runtime hands the crawler, each a trait the crawler is written over: exclusive
//! access to shared state ([`Exclusive`]: a `RefCell` or a `Mutex`), a joinable [`Queue`] (tokio's
//! or the hand-made one), an [`HttpClient`] (reqwest or the shared client core), and the choice
//! of HTTP stack ([`Http`]). They know nothing of the crawler; `crawler.rs` puts them together
//! as its `Mode`.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use shared::{NetError, Response};
use url::Url;

use crate::handmade;
use crate::queue::JoinableQueue;

/// The User-Agent of this model's requests.
pub(crate) const USER_AGENT: &str = concat!("crawler-models-coroutine/", env!("CARGO_PKG_VERSION"));

/// Which HTTP stack fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Http {
    /// One reqwest `Client` (hyper underneath): its pool, no redirects, no proxy.
    #[default]
    Reqwest,
    /// `shared::http` over the runtime's own sockets, with a small idle pool per host.
    Shared,
}

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
