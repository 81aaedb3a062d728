//! Throughput of the two joinable queues, `threads::JoinableQueue` (a crossbeam channel and a
//! `Condvar`) and `coroutine::JoinableQueue` (a `Mutex` and tokio's `Notify`): what one URL's
//! trip through the queue costs each model.
//!
//! ```text
//! cargo bench -p benches --bench joinable_queue
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/runtime.rs"]
mod support;
use support::runtime;

/// Items put, taken and marked done per iteration.
const ITEMS: usize = 10_000;
/// Workers taking items at once in the `workers` group, as a crawl's `--max-tasks`.
const WORKERS: usize = 4;

/// One thread puts every item, then takes each and marks it done, then joins: the queue's own
/// cost, with no waiting and no contention.
fn sequential(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("sequential/{ITEMS}"));
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.bench_function("threads", |b| {
        b.iter(|| {
            let queue = threads::JoinableQueue::new();
            for i in 0..ITEMS {
                queue.put(i);
            }
            for _ in 0..ITEMS {
                black_box(queue.get());
                queue.task_done();
            }
            queue.join();
        })
    });
    // Set up outside `b.iter`: building a runtime is not the queue's cost.
    let runtime = runtime(false);
    group.bench_function("coroutine", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let queue = coroutine::JoinableQueue::new();
                for i in 0..ITEMS {
                    queue.put_nowait(i);
                }
                for _ in 0..ITEMS {
                    black_box(queue.get().await);
                    queue.task_done();
                }
                queue.join().await;
            })
        })
    });
    group.finish();
}

/// [`WORKERS`] workers, started once, take items as the caller puts them, and the caller joins:
/// a crawl's shape, with the wake-ups of waiting workers in the cost.
fn workers(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("workers_{WORKERS}/{ITEMS}"));
    group.throughput(Throughput::Elements(ITEMS as u64));

    let queue = Arc::new(threads::JoinableQueue::new());
    let pool: Vec<_> = (0..WORKERS)
        .map(|_| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                while let Some(item) = queue.get() {
                    black_box(item);
                    queue.task_done();
                }
            })
        })
        .collect();
    group.bench_function("threads", |b| {
        b.iter(|| {
            for i in 0..ITEMS {
                queue.put(i);
            }
            queue.join();
        })
    });
    queue.close();
    for worker in pool {
        // A worker only panics if the queue does: let the bench fail loudly then.
        worker.join().expect("worker thread");
    }

    for (id, multi_thread) in
        [("coroutine-current-thread", false), ("coroutine-multi-thread", true)]
    {
        let runtime = runtime(multi_thread);
        let queue = Arc::new(coroutine::JoinableQueue::new());
        for _ in 0..WORKERS {
            let queue = queue.clone();
            // On the current-thread runtime these run while `block_on` below drives it.
            runtime.spawn(async move {
                loop {
                    black_box(queue.get().await);
                    queue.task_done();
                }
            });
        }
        group.bench_function(id, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    for i in 0..ITEMS {
                        queue.put_nowait(i);
                    }
                    queue.join().await;
                })
            })
        });
        // Dropping the runtime cancels the workers parked in `get().await`.
    }
    group.finish();
}

/// Short warm-up and measurement, and 50 samples (an iteration takes about a millisecond, so
/// the default 100 do not fit in 3 s): the whole file runs in under a minute.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sequential, workers
}
criterion_main!(benches);
