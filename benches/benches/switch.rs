//! What one switch costs each model: a bucket brigade. [`WORKERS`] workers stand in a ring, each
//! with a joinable queue of its own; a token goes round, each worker taking it from its queue
//! and putting it in the next one's, [`HANDOFFS`] times. Only one worker can run at a time, so
//! every handoff is one worker going to sleep and another waking: a thread switch for the
//! thread model, a task switch for the coroutines.
//!
//! ```text
//! cargo bench -p benches --bench switch
//! taskset -c 0 cargo bench -p benches --bench switch    # everything on one core
//! ```
//!
//! Each model uses its own queue, as its crawl does: `threads::JoinableQueue` (a crossbeam
//! channel and a `Condvar`), `coroutine::JoinableQueue` on tokio's two runtimes, and the
//! hand-made runtime's `coroutine::handmade::JoinableQueue`. The time per element is the time
//! per handoff.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/runtime.rs"]
mod support;
use support::runtime;

/// Workers in the ring.
const WORKERS: usize = 8;
/// Handoffs per iteration: the token's trips from one worker to the next.
const HANDOFFS: usize = 10_000;

fn switch(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("switch/{WORKERS}_workers"));
    group.throughput(Throughput::Elements(HANDOFFS as u64));
    threads(&mut group);
    bare_threads(&mut group);
    for (id, multi_thread) in [("tokio-current-thread", false), ("tokio-multi-thread", true)] {
        tokio_tasks(&mut group, id, multi_thread);
    }
    handmade(&mut group);
    group.finish();
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// One thread per worker, each blocked in its queue's `get` until the token comes.
fn threads(group: &mut Group<'_>) {
    let queues: Arc<Vec<threads::JoinableQueue<usize>>> =
        Arc::new((0..WORKERS).map(|_| threads::JoinableQueue::new()).collect());
    let done = Arc::new(threads::JoinableQueue::new());
    let ring: Vec<_> = (0..WORKERS)
        .map(|i| {
            let (queues, done) = (queues.clone(), done.clone());
            std::thread::spawn(move || {
                while let Some(left) = queues[i].get() {
                    queues[i].task_done();
                    match left {
                        0 => done.put(()),
                        _ => queues[(i + 1) % WORKERS].put(left - 1),
                    }
                }
            })
        })
        .collect();
    group.bench_function("threads", |b| {
        b.iter(|| {
            queues[0].put(HANDOFFS);
            done.get();
            done.task_done();
        })
    });
    for queue in queues.iter() {
        queue.close();
    }
    for worker in ring {
        // A worker only panics if its queue does: let the bench fail loudly then.
        worker.join().expect("worker thread");
    }
}

/// The same ring of threads on bare `std::sync::mpsc` channels, no joinable queue: the floor
/// the operating system's switch puts under the thread model.
fn bare_threads(group: &mut Group<'_>) {
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..WORKERS).map(|_| std::sync::mpsc::channel::<usize>()).unzip();
    let (done_sender, done) = std::sync::mpsc::channel();
    // The senders form a ring, so none is ever dropped first: `STOP` goes round instead, each
    // worker passing it on before it ends.
    const STOP: usize = usize::MAX;
    let ring: Vec<_> = receivers
        .into_iter()
        .enumerate()
        .map(|(i, receiver)| {
            let next = senders[(i + 1) % WORKERS].clone();
            let done = done_sender.clone();
            std::thread::spawn(move || {
                while let Ok(left) = receiver.recv() {
                    // A send fails only once the next worker has ended, after `STOP`.
                    let _ = match left {
                        STOP => next.send(STOP).map_err(drop),
                        0 => done.send(()).map_err(drop),
                        _ => next.send(left - 1).map_err(drop),
                    };
                    if left == STOP {
                        break;
                    }
                }
            })
        })
        .collect();
    let first = senders[0].clone();
    drop(senders);
    group.bench_function("threads-bare-channels", |b| {
        b.iter(|| {
            // The ring's threads live until `STOP` goes round: the send cannot fail.
            first.send(HANDOFFS).expect("the ring is running");
            done.recv().expect("the ring answers");
        })
    });
    // The ring is running: the send cannot fail.
    first.send(STOP).expect("the ring is running");
    for worker in ring {
        worker.join().expect("worker thread");
    }
}

/// One tokio task per worker, each parked in its queue's `get().await` until the token comes.
fn tokio_tasks(group: &mut Group<'_>, id: &str, multi_thread: bool) {
    let runtime = runtime(multi_thread);
    let queues: Arc<Vec<coroutine::JoinableQueue<usize>>> =
        Arc::new((0..WORKERS).map(|_| coroutine::JoinableQueue::new()).collect());
    let done = Arc::new(coroutine::JoinableQueue::new());
    for i in 0..WORKERS {
        let (queues, done) = (queues.clone(), done.clone());
        // On the current-thread runtime these run while `block_on` below drives it.
        runtime.spawn(async move {
            loop {
                let left = queues[i].get().await;
                queues[i].task_done();
                match left {
                    0 => done.put_nowait(()),
                    _ => queues[(i + 1) % WORKERS].put_nowait(left - 1),
                }
            }
        });
    }
    group.bench_function(id, |b| {
        b.iter(|| {
            runtime.block_on(async {
                queues[0].put_nowait(HANDOFFS);
                done.get().await;
                done.task_done();
            })
        })
    });
    // Dropping the runtime cancels the workers parked in `get().await`.
}

/// The hand-made runtime: one task per worker on its executor, started for each iteration
/// (eight spawns beside ten thousand handoffs), and dropped when the main future ends.
fn handmade(group: &mut Group<'_>) {
    use coroutine::handmade::{JoinableQueue, run_until_complete, spawn};
    group.bench_function("handmade", |b| {
        b.iter(|| {
            run_until_complete(async {
                let queues: Rc<Vec<JoinableQueue<usize>>> =
                    Rc::new((0..WORKERS).map(|_| JoinableQueue::new()).collect());
                let done = Rc::new(JoinableQueue::new());
                for i in 0..WORKERS {
                    let (queues, done) = (queues.clone(), done.clone());
                    spawn(async move {
                        loop {
                            let left = queues[i].get().await;
                            queues[i].task_done();
                            match left {
                                0 => done.put_nowait(()),
                                _ => queues[(i + 1) % WORKERS].put_nowait(left - 1),
                            }
                        }
                    });
                }
                queues[0].put_nowait(HANDOFFS);
                done.get().await;
                done.task_done();
            })
            // The executor only fails to start if the event loop cannot be made.
            .expect("the hand-made runtime")
        })
    });
}

/// Short warm-up and measurement: the whole file runs in well under a minute.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = switch
}
criterion_main!(benches);
