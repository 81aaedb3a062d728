//! [`JoinableQueue`] for the hand-made runtime: asyncio's `Queue` on one thread, its waiters kept
//! as wakers: `get` waits for an item, `join` for the unfinished count to reach zero.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
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
    /// Tasks waiting in `get`, oldest first. A wait that ended (cancelled, or served another
    /// way) stays here, marked, until a `put` passes over it: no search through ten thousand
    /// waiting workers on the way.
    getters: VecDeque<Rc<RefCell<Waiting>>>,
    /// Tasks waiting in `join`.
    joiners: Vec<Waker>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            items: VecDeque::new(),
            unfinished: 0,
            getters: VecDeque::new(),
            joiners: Vec::new(),
        }
    }
}

impl<T> State<T> {
    /// Takes the oldest `get` still waiting off the list (passing over ended ones), and returns
    /// its waker, to be woken once the borrow of the state is over.
    fn wake_one(&mut self) -> Option<Waker> {
        while let Some(waiting) = self.getters.pop_front() {
            let mut waiting = waiting.borrow_mut();
            if waiting.queued {
                waiting.queued = false;
                return waiting.waker.take();
            }
        }
        None
    }
}

impl<T> JoinableQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        JoinableQueue { state: RefCell::new(State::default()) }
    }

    /// Adds an item and one unfinished task, and wakes the oldest waiting `get`.
    pub fn put_nowait(&self, item: T) {
        let mut state = self.state.borrow_mut();
        state.items.push_back(item);
        state.unfinished += 1;
        let waker = state.wake_one();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Takes the oldest item, waiting until there is one.
    ///
    /// A task cancelled while it waits here leaves the queue as if it had never asked: its
    /// waker is removed, and a wake-up already meant for it goes to the next waiting task.
    pub fn get(&self) -> Get<'_, T> {
        Get { queue: self, waiting: None }
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

/// A `get`'s place in the queue's list of waiting tasks, shared by the two.
#[derive(Debug)]
struct Waiting {
    /// Still in the list and waiting (a `put` has not taken it off, and it has not ended).
    queued: bool,
    waker: Option<Waker>,
}

/// The future of [`JoinableQueue::get`]. Dropping it (a cancelled task) ends its wait, and passes
/// on a wake-up that it was given and can no longer use.
#[derive(Debug)]
pub struct Get<'a, T> {
    queue: &'a JoinableQueue<T>,
    /// Its place in the list, once it has waited.
    waiting: Option<Rc<RefCell<Waiting>>>,
}

impl<T> Future for Get<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let queue = self.queue;
        let mut state = queue.state.borrow_mut();
        if let Some(item) = state.items.pop_front() {
            if let Some(waiting) = self.waiting.take() {
                waiting.borrow_mut().queued = false; // Served: its entry is passed over.
            }
            return Poll::Ready(item);
        }
        match &self.waiting {
            // Still in the list (a spurious wake-up): just keep the newest waker.
            Some(waiting) if waiting.borrow().queued => {
                waiting.borrow_mut().waker = Some(cx.waker().clone());
            }
            // First wait, or woken for an item that another task took first: queue again.
            _ => {
                let waiting = Rc::new(RefCell::new(Waiting {
                    queued: true,
                    waker: Some(cx.waker().clone()),
                }));
                state.getters.push_back(waiting.clone());
                self.waiting = Some(waiting);
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        let Some(waiting) = self.waiting.take() else { return };
        let was_woken = !std::mem::replace(&mut waiting.borrow_mut().queued, false);
        let mut state = self.queue.state.borrow_mut();
        // Woken for an item it will never take: pass the wake-up on.
        let next = if was_woken && !state.items.is_empty() { state.wake_one() } else { None };
        drop(state);
        if let Some(waker) = next {
            waker.wake();
        }
    }
}
