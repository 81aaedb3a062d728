//! The executor: tasks in a slab, a run queue of woken task ids, a waker that puts its task
//! back on it, and `run_until_complete`, which alternates running woken tasks with one turn of
//! the event loop (`callback::EventLoop`, the reactor).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use callback::EventLoop;
use mio::Events;

/// The id the main future (the one `run_until_complete` was given) is woken with.
const MAIN: usize = usize::MAX;

/// A task: a future that runs to its end, one `step` at a time, each time its waker fires. The
/// chapter's `Task`, which steps a generator with `send()` whenever its future resolves.
struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
    join: Rc<RefCell<JoinState>>,
}

/// What a [`JoinHandle`] watches: whether the task has ended, and who waits for it.
#[derive(Debug, Default)]
struct JoinState {
    finished: bool,
    waiter: Option<Waker>,
}

impl JoinState {
    /// The task ended (returned, or was cancelled): tell whoever waits.
    fn finish(&mut self) {
        self.finished = true;
        if let Some(waiter) = self.waiter.take() {
            waiter.wake();
        }
    }
}

/// The ids of woken tasks, shared with their wakers. A `Waker` must be `Send + Sync` (it may be
/// woken from any thread: Ctrl-C's handler does), so this part alone is behind a `Mutex`; the
/// tasks themselves never leave the executor's thread.
struct RunQueue {
    woken: Mutex<VecDeque<usize>>,
    /// The executor's thread: a wake from another thread must also interrupt the poll.
    home: ThreadId,
    poll_waker: Arc<mio::Waker>,
}

/// The waker of one task: waking it queues its id.
struct TaskWaker {
    id: usize,
    queue: Arc<RunQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.queue.woken.lock().unwrap_or_else(PoisonError::into_inner).push_back(self.id);
        if thread::current().id() != self.queue.home {
            // The executor may be asleep in the poll; only its own thread never is when waking.
            let _ = self.queue.poll_waker.wake();
        }
    }
}

/// The executor of the running `run_until_complete`, on this thread.
pub(crate) struct Executor {
    tasks: RefCell<Vec<Option<Task>>>,
    free: RefCell<Vec<usize>>,
    queue: Arc<RunQueue>,
    /// The event loop the leaf futures register their sockets and timers with.
    pub(crate) reactor: RefCell<EventLoop<()>>,
}

thread_local! {
    /// The executor running on this thread, if any: what `spawn` and the leaf futures use, as
    /// asyncio's functions use the running loop.
    static CURRENT: RefCell<Option<Rc<Executor>>> = const { RefCell::new(None) };
}

/// Runs `f` with the executor running on this thread.
///
/// # Panics
/// Outside [`run_until_complete`]: a task, a socket or a timer of this runtime exists only
/// inside it.
pub(crate) fn with_executor<R>(f: impl FnOnce(&Executor) -> R) -> R {
    let executor = CURRENT.with(|current| current.borrow().clone());
    f(&executor.expect("used outside handmade::run_until_complete"))
}

/// Like [`with_executor`], but does nothing outside one (a socket dropped after the loop ended).
pub(crate) fn if_executor(f: impl FnOnce(&Executor)) {
    if let Some(executor) = CURRENT.with(|current| current.borrow().clone()) {
        f(&executor);
    }
}

/// Runs `future` to its end on a new executor, with the event loop as its reactor, and returns
/// its output: the chapter's `loop.run_until_complete`.
///
/// The loop: run every woken task one step; when the main future is done, stop (the chapter
/// stops the loop from the main future's done-callback, raising `StopError`); otherwise let the
/// event loop wait for sockets and timers (not at all if tasks are still woken), whose callbacks
/// wake the tasks waiting on them. Tasks still alive at the end are dropped.
pub fn run_until_complete<F: Future>(future: F) -> io::Result<F::Output> {
    let reactor = EventLoop::new()?;
    let queue = Arc::new(RunQueue {
        woken: Mutex::new(VecDeque::from([MAIN])),
        home: thread::current().id(),
        poll_waker: reactor.waker(),
    });
    let executor = Rc::new(Executor {
        tasks: RefCell::new(Vec::new()),
        free: RefCell::new(Vec::new()),
        queue: queue.clone(),
        reactor: RefCell::new(reactor),
    });
    let previous = CURRENT.with(|current| current.replace(Some(executor.clone())));
    let output = executor.run(pin!(future));
    // Drop what is left while the reactor is still current: a task's sockets deregister.
    let tasks = std::mem::take(&mut *executor.tasks.borrow_mut());
    drop(tasks);
    CURRENT.with(|current| current.replace(previous));
    output
}

impl Executor {
    /// The loop of `run_until_complete`.
    fn run<F: Future>(&self, mut main: Pin<&mut F>) -> io::Result<F::Output> {
        let main_waker = Waker::from(Arc::new(TaskWaker { id: MAIN, queue: self.queue.clone() }));
        let mut events = Events::with_capacity(1024);
        loop {
            while let Some(id) = self.next_woken() {
                if id != MAIN {
                    self.step(id);
                } else if let Poll::Ready(output) =
                    main.as_mut().poll(&mut Context::from_waker(&main_waker))
                {
                    return Ok(output);
                }
            }
            // Nothing is woken: wait for the reactor (a callback, a timer, or a wake from
            // another thread through the poll waker) to wake something.
            self.reactor.borrow_mut().turn(&mut (), &mut events, true)?;
        }
    }

    fn next_woken(&self) -> Option<usize> {
        self.queue.woken.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }

    /// Polls task `id` once: the chapter's `Task.step`. Ready is its `StopIteration`: the task
    /// is over, its id is freed, and whoever joins it is told.
    fn step(&self, id: usize) {
        // Taken out while it runs, so that it may spawn or cancel other tasks meanwhile. A
        // stale id (a task already over, woken late) finds nothing.
        let Some(mut task) = self.tasks.borrow_mut().get_mut(id).and_then(Option::take) else {
            return;
        };
        match task.future.as_mut().poll(&mut Context::from_waker(&task.waker)) {
            Poll::Pending => self.tasks.borrow_mut()[id] = Some(task),
            Poll::Ready(()) => {
                task.join.borrow_mut().finish();
                self.free.borrow_mut().push(id);
            }
        }
    }

    /// Adds a task, woken at once so that it takes its first step.
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()>>>) -> JoinHandle {
        let id = self.free.borrow_mut().pop().unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        let waker = Waker::from(Arc::new(TaskWaker { id, queue: self.queue.clone() }));
        let join = Rc::new(RefCell::new(JoinState::default()));
        self.tasks.borrow_mut()[id] =
            Some(Task { future, waker: waker.clone(), join: join.clone() });
        waker.wake();
        JoinHandle { id, join }
    }

    /// Drops task `id`'s future, if it is the task of `join` and is not running: cancellation.
    fn cancel(&self, id: usize, join: &Rc<RefCell<JoinState>>) {
        let task = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(id) {
                Some(slot) if slot.as_ref().is_some_and(|t| Rc::ptr_eq(&t.join, join)) => {
                    slot.take()
                }
                _ => None,
            }
        };
        if let Some(task) = task {
            // The future stops at the `.await` it was suspended at; its destructors run now
            // (sockets close, timers are cancelled), outside the borrow of `tasks`.
            drop(task.future);
            task.join.borrow_mut().finish();
            self.free.borrow_mut().push(id);
        }
    }
}

/// Starts `future` as a task on the running executor: asyncio's `Task(coro)`.
///
/// # Panics
/// Outside [`run_until_complete`].
pub fn spawn(future: impl Future<Output = ()> + 'static) -> JoinHandle {
    with_executor(|executor| executor.spawn(Box::pin(future)))
}

/// A handle on a task: cancel it, or await its end.
#[derive(Debug)]
pub struct JoinHandle {
    id: usize,
    join: Rc<RefCell<JoinState>>,
}

impl JoinHandle {
    /// Cancels the task: its future is dropped where it is suspended, and its destructors run,
    /// before this returns. The Rust counterpart of asyncio's `cancel()`, which throws
    /// `CancelledError` into the coroutine at its `yield from`. A task that already ended, or
    /// that is the one calling, is left alone.
    pub fn abort(&self) {
        with_executor(|executor| executor.cancel(self.id, &self.join));
    }

    /// Whether the task has ended (returned or cancelled).
    pub fn is_finished(&self) -> bool {
        self.join.borrow().finished
    }
}

/// Awaiting a handle waits until the task has ended.
impl Future for JoinHandle {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut join = self.join.borrow_mut();
        if join.finished {
            Poll::Ready(())
        } else {
            join.waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
