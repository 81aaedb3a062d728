//! The hand-made runtime's pieces on their own: tasks, timers, wakes from other threads,
//! cancellation by drop, and the joinable queue.

use std::cell::Cell;
use std::future::poll_fn;
use std::io::Read;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use coroutine::handmade::{JoinableQueue, TcpStream, run_until_complete, sleep, spawn, timeout};

/// Spawned tasks run, and awaiting a handle waits for the task's end; the main future's output
/// is what `run_until_complete` returns.
#[test]
fn tasks_run_and_are_joined() {
    let out = run_until_complete(async {
        let counter = Rc::new(Cell::new(0));
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let counter = counter.clone();
                spawn(async move {
                    sleep(Duration::from_millis(10 - i)).await;
                    counter.set(counter.get() + 1);
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        counter.get()
    });
    assert_eq!(out.unwrap(), 10);
}

/// A timer fires after its duration, not before; `timeout` gives up on a slower future and
/// drops it.
#[test]
fn sleep_and_timeout() {
    run_until_complete(async {
        let t0 = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert_eq!(timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await, None);
        assert_eq!(timeout(Duration::from_secs(60), async { 7 }).await, Some(7));
        assert!(t0.elapsed() < Duration::from_secs(10), "the long sleep was dropped");
    })
    .unwrap();
}

/// A waker woken from another thread (as Ctrl-C's handler does) interrupts the executor's wait
/// in the event loop, although no socket and no timer is due.
#[test]
fn a_wake_from_another_thread_reaches_the_task() {
    let shared: Arc<Mutex<(bool, Option<Waker>)>> = Arc::default();
    let done = run_until_complete(poll_fn(|cx| {
        let mut state = shared.lock().unwrap();
        if state.0 {
            return Poll::Ready(true);
        }
        if state.1.is_none() {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let mut state = shared.lock().unwrap();
                state.0 = true;
                state.1.take().unwrap().wake();
            });
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }));
    assert!(done.unwrap());
}

/// Cancelling a task drops its future where it waits, and its destructors run: the socket it
/// was reading from is closed, and the server reads the end of the stream.
#[test]
fn cancelling_a_task_closes_its_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 1];
        stream.read(&mut buf).unwrap() // 0: the client closed
    });
    run_until_complete(async {
        let connected = Rc::new(Cell::new(false));
        let task = spawn({
            let connected = connected.clone();
            async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                connected.set(true);
                let mut buf = [0u8; 16];
                let _ = stream.read(&mut buf).await; // the server never writes: parked here
                unreachable!("the task is cancelled while it reads");
            }
        });
        while !connected.get() {
            sleep(Duration::from_millis(1)).await;
        }
        task.abort();
        assert!(task.is_finished());
    })
    .unwrap();
    assert_eq!(server.join().unwrap(), 0, "the server saw the socket closed");
}

/// `join` resolves when the unfinished count reaches zero, not before.
#[test]
fn join_is_woken_at_zero() {
    run_until_complete(async {
        let queue = Rc::new(JoinableQueue::new());
        queue.put_nowait(1);
        queue.put_nowait(2);
        let joined = Rc::new(Cell::new(false));
        let joiner = spawn({
            let (queue, joined) = (queue.clone(), joined.clone());
            async move {
                queue.join().await;
                joined.set(true);
            }
        });
        let _ = (queue.get().await, queue.get().await);
        queue.task_done();
        sleep(Duration::from_millis(5)).await;
        assert!(!joined.get(), "one task is still unfinished");
        queue.task_done();
        joiner.await;
        assert!(joined.get());
    })
    .unwrap();
}

/// A `get` woken for an item and then cancelled before it could take it passes the wake-up on:
/// the other waiting `get` takes the item.
#[test]
fn a_cancelled_get_passes_its_wakeup_on() {
    run_until_complete(async {
        let queue = Rc::new(JoinableQueue::new());
        let got = Rc::new(Cell::new(None));
        let spawn_getter = |queue: Rc<JoinableQueue<u32>>, got: Rc<Cell<Option<u32>>>| {
            spawn(async move { got.set(Some(queue.get().await)) })
        };
        let first = spawn_getter(queue.clone(), Rc::new(Cell::new(None)));
        let second = spawn_getter(queue.clone(), got.clone());
        sleep(Duration::from_millis(5)).await; // both park in `get`, `first` first
        queue.put_nowait(42); // wakes `first`...
        first.abort(); // ...which is cancelled before it runs
        second.await;
        assert_eq!(got.get(), Some(42));
    })
    .unwrap();
}
