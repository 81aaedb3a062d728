//! [`JoinableQueue`]: asyncio's `Queue` (`put_nowait`, `get().await`, `task_done`,
//! `join().await`) on tokio's `Notify`, the same on both runtimes.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// A FIFO whose `join` resolves once every item put has been marked done.
///
/// Every [`put_nowait`](Self::put_nowait) adds one to the count of unfinished tasks, every
/// [`task_done`](Self::task_done) takes one away, and [`join`](Self::join) waits for zero. A
/// worker calls `task_done` only after putting the links it found, so zero means the crawl is
/// over. Unlike the thread model's queue, nothing needs closing at the end: idle workers wait
/// in `get().await`, and the crawler cancels them there.
///
/// # Examples
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let q = coroutine::JoinableQueue::new();
/// q.put_nowait("a");
/// assert_eq!(q.get().await, "a");
/// q.task_done();
/// q.join().await; // resolves at once: nothing is unfinished
/// # });
/// ```
#[derive(Debug)]
pub struct JoinableQueue<T> {
    /// The items and the unfinished count. A std `Mutex`, held for a push or a pop and never
    /// across an `.await`, so it is never held while a task waits; on the current-thread runtime
    /// it is never even contended.
    state: Mutex<State<T>>,
    /// Wakes a task waiting in `get` when an item is put.
    item_put: Notify,
    /// Wakes the tasks waiting in `join` when the count reaches zero.
    all_done: Notify,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    unfinished: usize,
}

impl<T> Default for JoinableQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> JoinableQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        JoinableQueue {
            state: Mutex::new(State { items: VecDeque::new(), unfinished: 0 }),
            item_put: Notify::new(),
            all_done: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
        // No update leaves the state half-done: each is a push, a pop or a decrement.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an item and one unfinished task, and wakes one waiting `get`. Never waits: the queue
    /// is unbounded, so a worker putting a page's thousand links never blocks.
    pub fn put_nowait(&self, item: T) {
        {
            let mut state = self.state();
            state.items.push_back(item);
            state.unfinished += 1;
        }
        self.item_put.notify_one();
    }

    /// Takes the oldest item, waiting until there is one.
    ///
    /// Cancel-safe: a task cancelled while it waits here has taken nothing, and a wake-up meant
    /// for it passes to another waiting task (tokio's `Notify` forwards it).
    pub async fn get(&self) -> T {
        loop {
            let notified = self.item_put.notified();
            tokio::pin!(notified);
            // Registered before looking, so that a put between the look and the wait is seen.
            notified.as_mut().enable();
            if let Some(item) = self.state().items.pop_front() {
                return item;
            }
            notified.await;
        }
    }

    /// Marks one task taken with [`get`](Self::get) as finished.
    ///
    /// # Panics
    /// If called more times than items were put (asyncio raises `ValueError`): a bug in the
    /// caller, which would otherwise end `join` too early.
    pub fn task_done(&self) {
        let mut state = self.state();
        assert!(state.unfinished > 0, "task_done() called too many times");
        state.unfinished -= 1;
        if state.unfinished == 0 {
            self.all_done.notify_waiters();
        }
    }

    /// Waits until every item put has been marked done.
    pub async fn join(&self) {
        loop {
            let notified = self.all_done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state().unfinished == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Items waiting to be taken (asyncio's `qsize`).
    pub fn len(&self) -> usize {
        self.state().items.len()
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks put and not yet marked done.
    pub fn unfinished(&self) -> usize {
        self.state().unfinished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
    }

    /// `join` resolves only once every put is matched by a `task_done`, even when tasks put more
    /// tasks, and while workers sit idle in `get`.
    #[test]
    fn join_waits_for_every_task_done() {
        block_on(async {
            let q = Arc::new(JoinableQueue::new());
            q.put_nowait(0u32);
            let processed = Arc::new(Mutex::new(0));
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let (q, processed) = (q.clone(), processed.clone());
                    tokio::spawn(async move {
                        loop {
                            let depth = q.get().await;
                            if depth < 6 {
                                q.put_nowait(depth + 1);
                                q.put_nowait(depth + 1);
                            }
                            tokio::task::yield_now().await;
                            *processed.lock().unwrap() += 1;
                            q.task_done();
                        }
                    })
                })
                .collect();
            q.join().await;
            // A full binary tree of depth 6: 2^7 - 1 items, every one done before join resolved.
            assert_eq!(*processed.lock().unwrap(), 127);
            assert_eq!(q.unfinished(), 0);
            for w in workers {
                w.abort();
                assert!(w.await.unwrap_err().is_cancelled());
            }
        });
    }

    /// A `get` parked on an empty queue wakes when an item arrives.
    #[test]
    fn get_wakes_when_an_item_arrives() {
        block_on(async {
            let q = Arc::new(JoinableQueue::new());
            let getter = tokio::spawn({
                let q = q.clone();
                async move { q.get().await }
            });
            tokio::task::yield_now().await; // the getter parks in `get`
            assert!(!getter.is_finished());
            q.put_nowait("item");
            assert_eq!(getter.await.unwrap(), "item");
        });
    }

    /// A worker parked in `get` can be cancelled; the item put afterwards is not lost, and the
    /// next `get` has it.
    #[test]
    fn a_parked_get_can_be_cancelled() {
        block_on(async {
            let q = Arc::new(JoinableQueue::new());
            let parked = tokio::spawn({
                let q = q.clone();
                async move { q.get().await }
            });
            tokio::task::yield_now().await;
            parked.abort();
            assert!(parked.await.unwrap_err().is_cancelled());
            q.put_nowait(7);
            let got = tokio::time::timeout(Duration::from_secs(5), q.get()).await;
            assert_eq!(got, Ok(7));
            assert_eq!(q.len(), 0);
        });
    }

    /// `join` on a queue with unfinished work waits (it is still pending after the other tasks
    /// have run), and resolves at the last `task_done`.
    #[test]
    fn join_resolves_at_the_last_task_done() {
        block_on(async {
            let q = Arc::new(JoinableQueue::new());
            q.put_nowait(1);
            q.put_nowait(2);
            let joiner = tokio::spawn({
                let q = q.clone();
                async move { q.join().await }
            });
            let _ = (q.get().await, q.get().await);
            q.task_done();
            tokio::task::yield_now().await;
            assert!(!joiner.is_finished(), "one task is still unfinished");
            q.task_done();
            joiner.await.unwrap();
        });
    }

    /// Calling task_done more often than put is a bug and panics.
    #[test]
    #[should_panic(expected = "too many times")]
    fn task_done_too_often() {
        JoinableQueue::<u8>::new().task_done();
    }
}
