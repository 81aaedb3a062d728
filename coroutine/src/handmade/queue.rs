//! [`JoinableQueue`] for the hand-made runtime: asyncio's `Queue` on one thread, its waiters kept
//! as wakers: `get` waits for an item, `join` for the unfinished count to reach zero.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A FIFO whose `join` is woken when every item put has been marked done.
///
/// The chapter's `Queue.join` waits on a future that `task_done` resolves when the count reaches
/// zero; here `join` keeps its waker, and `task_done` wakes it at zero.
#[derive(Debug, Default)]
pub struct JoinableQueue<T> {
    /// One thread only, and no method holds a borrow across an `.await`: a `RefCell`.
    state: RefCell<State<T>>,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    unfinished: usize,
    /// Tasks waiting in `get`, by the id of their wait, oldest first.
    getters: VecDeque<(u64, Waker)>,
    next_getter: u64,
    /// Tasks waiting in `join`.
    joiners: Vec<Waker>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            items: VecDeque::new(),
            unfinished: 0,
            getters: VecDeque::new(),
            next_getter: 0,
            joiners: Vec::new(),
        }
    }
}

impl<T> JoinableQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        JoinableQueue { state: RefCell::new(State::default()) }
    }

    /// Adds an item and one unfinished task, and wakes the oldest waiting `get`.
    pub fn put_nowait(&self, item: T) {
        let getter = {
            let mut state = self.state.borrow_mut();
            state.items.push_back(item);
            state.unfinished += 1;
            state.getters.pop_front()
        };
        if let Some((_, waker)) = getter {
            waker.wake();
        }
    }

    /// Takes the oldest item, waiting until there is one.
    ///
    /// A task cancelled while it waits here leaves the queue as if it had never asked: its
    /// waker is removed, and a wake-up already meant for it goes to the next waiting task.
    pub fn get(&self) -> Get<'_, T> {
        Get { queue: self, id: None }
    }

    /// Marks one task taken with `get` as finished; at zero, wakes every `join`.
    ///
    /// # Panics
    /// If called more times than items were put.
    pub fn task_done(&self) {
        let joiners = {
            let mut state = self.state.borrow_mut();
            assert!(state.unfinished > 0, "task_done() called too many times");
            state.unfinished -= 1;
            if state.unfinished > 0 {
                return;
            }
            std::mem::take(&mut state.joiners)
        };
        for waker in joiners {
            waker.wake();
        }
    }

    /// Waits until every item put has been marked done.
    pub fn join(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            let mut state = self.state.borrow_mut();
            if state.unfinished == 0 {
                Poll::Ready(())
            } else {
                state.joiners.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    /// Items waiting to be taken.
    pub fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The future of [`JoinableQueue::get`]. Dropping it (a cancelled task) takes its waker out of
/// the queue.
#[derive(Debug)]
pub struct Get<'a, T> {
    queue: &'a JoinableQueue<T>,
    /// The id of its waker in the queue's `getters`, once it has waited.
    id: Option<u64>,
}

impl<T> Future for Get<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let queue = self.queue;
        let mut state = queue.state.borrow_mut();
        if let Some(item) = state.items.pop_front() {
            self.id = None;
            return Poll::Ready(item);
        }
        let id = match self.id {
            // Polled again without an item (a wake-up that another `get` won): drop the old
            // waker, if it is still queued, before queueing the new one.
            Some(id) => {
                state.getters.retain(|(other, _)| *other != id);
                id
            }
            None => {
                state.next_getter += 1;
                state.next_getter
            }
        };
        self.id = Some(id);
        state.getters.push_back((id, cx.waker().clone()));
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let next = {
            let mut state = self.queue.state.borrow_mut();
            let before = state.getters.len();
            state.getters.retain(|(other, _)| *other != id);
            let was_woken = state.getters.len() == before;
            // Woken for an item it will never take: pass the wake-up on.
            if was_woken && !state.items.is_empty() { state.getters.pop_front() } else { None }
        };
        if let Some((_, waker)) = next {
            waker.wake();
        }
    }
}

impl<T> crate::mode::Queue<T> for JoinableQueue<T> {
    fn new() -> Self {
        JoinableQueue::new()
    }

    fn put_nowait(&self, item: T) {
        JoinableQueue::put_nowait(self, item);
    }

    async fn get(&self) -> T {
        JoinableQueue::get(self).await
    }

    fn task_done(&self) {
        JoinableQueue::task_done(self);
    }

    async fn join(&self) {
        JoinableQueue::join(self).await;
    }

    fn len(&self) -> usize {
        JoinableQueue::len(self)
    }
}
