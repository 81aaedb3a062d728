//! [`JoinableQueue`]: Python's `queue.Queue` (put / get / task_done / join) for threads, on a
//! crossbeam channel, plus `close` to release the idle workers once `join` has returned.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, select_biased};

/// A multi-producer, multi-consumer FIFO that knows when all its work is finished.
///
/// Every [`put`](Self::put) adds one to the count of *unfinished tasks*; every
/// [`task_done`](Self::task_done) takes one away; [`join`](Self::join) blocks until the count is
/// zero. A worker calls `task_done` only after it has `put` the links it found, so the count can
/// only reach zero when there is truly nothing left: the crawl's end. Then [`close`](Self::close)
/// wakes the workers parked in [`get`](Self::get), which return `None` and exit.
///
/// # Examples
/// ```
/// use threads::JoinableQueue;
/// let q = JoinableQueue::new();
/// q.put("a");
/// assert_eq!(q.get(), Some("a"));
/// q.task_done();
/// q.join(); // returns at once: nothing is unfinished
/// q.close();
/// assert_eq!(q.get(), None);
/// ```
#[derive(Debug)]
pub struct JoinableQueue<T> {
    /// The items. Unbounded: a page with a thousand links must never block its worker.
    items: (Sender<T>, Receiver<T>),
    /// Dropping this sender is the close signal: `get` selects on its receiver too.
    closer: Mutex<Option<Sender<()>>>,
    closed: Receiver<()>,
    /// The count of unfinished tasks. Its own `Mutex` + `Condvar` because `join` must sleep until
    /// a condition on it holds, which a channel cannot express.
    unfinished: Mutex<Counts>,
    all_done: Condvar,
}

/// [`JoinableQueue::get_until`]'s deadline passed with nothing to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

#[derive(Debug, Default)]
struct Counts {
    unfinished: usize,
    closed: bool,
}

impl<T> Default for JoinableQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> JoinableQueue<T> {
    /// An empty, open queue.
    pub fn new() -> Self {
        let (closer, closed) = crossbeam_channel::bounded(0);
        JoinableQueue {
            items: crossbeam_channel::unbounded(),
            closer: Mutex::new(Some(closer)),
            closed,
            unfinished: Mutex::new(Counts::default()),
            all_done: Condvar::new(),
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // A panic elsewhere never leaves the counts half-updated: each update is one statement.
        self.unfinished.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an item and one unfinished task. After [`close`](Self::close) the item is dropped.
    pub fn put(&self, item: T) {
        let mut counts = self.counts();
        if counts.closed {
            return;
        }
        counts.unfinished += 1;
        // Cannot fail: the queue holds its own receiver, so the channel is never disconnected.
        self.items.0.send(item).expect("receiver alive");
    }

    /// Takes the oldest item, waiting for one; `None` once the queue is closed, always, even
    /// with items left in it (after Ctrl-C they are the report's Todo).
    pub fn get(&self) -> Option<T> {
        // Biased: when the queue is closed and items are waiting, both arms are ready, and a
        // plain `select!` picks one at random; the close must win, or a worker would start one
        // more fetch after Ctrl-C, a URL then in neither Todo nor Done. (`close` drops the
        // sender of `closed` before it returns, so after `close` this arm is always ready.)
        select_biased! {
            recv(self.closed) -> _ => None,
            recv(self.items.1) -> item => item.ok(),
        }
    }

    /// [`get`](Self::get), but only until `deadline`: `Err(TimedOut)` if nothing came by then
    /// (Python's `get(timeout=...)` raising `Empty`). `None` waits as long as `get`.
    pub fn get_until(&self, deadline: Option<Instant>) -> Result<Option<T>, TimedOut> {
        let Some(deadline) = deadline else {
            return Ok(self.get());
        };
        select_biased! {
            recv(self.closed) -> _ => Ok(None),
            recv(self.items.1) -> item => Ok(item.ok()),
            default(deadline.saturating_duration_since(Instant::now())) => Err(TimedOut),
        }
    }

    /// Marks one task taken with [`get`](Self::get) as finished.
    ///
    /// # Panics
    /// If called more times than items were put (Python raises `ValueError`): that is a bug in
    /// the caller, which would otherwise end `join` too early.
    pub fn task_done(&self) {
        let mut counts = self.counts();
        assert!(counts.unfinished > 0, "task_done() called too many times");
        counts.unfinished -= 1;
        if counts.unfinished == 0 {
            self.all_done.notify_all();
        }
    }

    /// Blocks until every item put has been marked done, or the queue is closed.
    pub fn join(&self) {
        let mut counts = self.counts();
        while counts.unfinished > 0 && !counts.closed {
            counts = self.all_done.wait(counts).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Closes the queue: `get` returns `None` from now on (waking every waiting worker), `put`
    /// drops its item, `join` returns. Used once `join` has returned, and by Ctrl-C.
    pub fn close(&self) {
        self.counts().closed = true;
        self.all_done.notify_all();
        self.closer.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// Items waiting to be taken (Python's `qsize`).
    pub fn len(&self) -> usize {
        self.items.1.len()
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.items.1.is_empty()
    }

    /// Tasks put and not yet marked done: waiting items plus those being worked on.
    pub fn unfinished(&self) -> usize {
        self.counts().unfinished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Items come out in the order they went in.
    #[test]
    fn fifo() {
        let q = JoinableQueue::new();
        for i in 0..5 {
            q.put(i);
        }
        assert_eq!(q.len(), 5);
        assert_eq!((0..5).map(|_| q.get().unwrap()).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(q.unfinished(), 5);
    }

    /// join returns only after every task is done, even when tasks put more tasks, and while
    /// workers sit idle in get: the crawler's termination rule.
    #[test]
    fn join_waits_for_spawned_work() {
        let q = Arc::new(JoinableQueue::new());
        let processed = Arc::new(AtomicUsize::new(0));
        q.put(0u32);
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (q, processed) = (q.clone(), processed.clone());
                std::thread::spawn(move || {
                    while let Some(depth) = q.get() {
                        if depth < 6 {
                            q.put(depth + 1);
                            q.put(depth + 1);
                        }
                        processed.fetch_add(1, Ordering::SeqCst);
                        q.task_done();
                    }
                })
            })
            .collect();
        q.join();
        // A full binary tree of depth 6: 2^7 - 1 nodes, all processed before join returned.
        assert_eq!(processed.load(Ordering::SeqCst), 127);
        assert_eq!(q.unfinished(), 0);
        q.close();
        for w in workers {
            w.join().unwrap();
        }
    }

    /// close releases workers blocked in get and a thread blocked in join.
    #[test]
    fn close_releases_waiters() {
        let q = Arc::new(JoinableQueue::<u8>::new());
        q.put(1);
        assert_eq!(q.get(), Some(1)); // taken, never marked done: join would block forever
        let getter = {
            let q = q.clone();
            std::thread::spawn(move || q.get())
        };
        let joiner = {
            let q = q.clone();
            std::thread::spawn(move || q.join())
        };
        q.close();
        assert_eq!(getter.join().unwrap(), None);
        joiner.join().unwrap();
        q.put(2);
        assert_eq!(q.unfinished(), 1, "a put after close is dropped");
    }

    /// After close, get returns None every time, although items are still waiting: a closed
    /// queue hands out no more work (with a random choice between the two ready channels, about
    /// half of these calls would return an item).
    #[test]
    fn get_after_close_is_always_none() {
        let q = JoinableQueue::new();
        for i in 0..200 {
            q.put(i);
        }
        q.close();
        for _ in 0..200 {
            assert_eq!(q.get(), None);
        }
        assert_eq!(q.len(), 200, "the items stay, for the report's Todo");
    }

    /// `get_until` takes what is there, gives up at its deadline when nothing is, and says
    /// `None` once the queue is closed, as `get` does.
    #[test]
    fn get_until_a_deadline() {
        let q = JoinableQueue::new();
        q.put(1);
        let past = Instant::now();
        assert_eq!(q.get_until(Some(past)), Ok(Some(1)));
        assert_eq!(q.get_until(Some(past)), Err(TimedOut));
        q.close();
        assert_eq!(q.get_until(Some(past + std::time::Duration::from_secs(60))), Ok(None));
    }

    /// Calling task_done more often than put is a bug and panics, as in Python.
    #[test]
    #[should_panic(expected = "too many times")]
    fn task_done_too_often() {
        let q = JoinableQueue::<u8>::new();
        q.task_done();
    }
}
