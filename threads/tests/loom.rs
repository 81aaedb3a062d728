//! The check-then-add race, proven without timing luck: the loom model checker runs two workers
//! adding the same link under every interleaving the memory model allows.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p threads --test loom
//! ```
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use loom::sync::Arc;
use loom::thread;
use shared::links::Link;
use shared::{Config, Seen};
use threads::{CheckAndInsert, SharedSeen};

/// Runs the model: two workers, both parsing a page that links to `/a`, add it with `mode`.
/// Returns the fewest and the most times `/a` was queued over all interleavings.
fn queued_over_all_interleavings(mode: CheckAndInsert) -> (usize, usize) {
    let config = Config::new(["http://h/"]).expect("valid root");
    let (seen, roots) = Seen::new(&config);
    let page = roots[0].clone();
    let link = Link::of(&"http://h/a".parse().expect("valid URL")).expect("an http URL");
    // std atomics, outside loom's view: they collect results across the model's iterations.
    let fewest = std::sync::Arc::new(AtomicUsize::new(usize::MAX));
    let most = std::sync::Arc::new(AtomicUsize::new(0));
    let (f, m) = (fewest.clone(), most.clone());
    loom::model(move || {
        let set = Arc::new(SharedSeen::new(seen.clone(), mode));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (set, page, link) = (set.clone(), page.clone(), link.clone());
                thread::spawn(move || set.add_links(&page, &[link]).1.len())
            })
            .collect();
        let queued: usize = workers.into_iter().map(|w| w.join().expect("worker")).sum();
        f.fetch_min(queued, Ordering::SeqCst);
        m.fetch_max(queued, Ordering::SeqCst);
    });
    (fewest.load(Ordering::SeqCst), most.load(Ordering::SeqCst))
}

/// Racy (check and insert in two critical sections): loom finds the interleaving in which both
/// workers see the link as new and both queue it. This test passes only while the race is real.
#[test]
fn racy_version_queues_a_link_twice_in_some_interleaving() {
    let (fewest, most) =
        queued_over_all_interleavings(CheckAndInsert::Racy { window: Duration::ZERO });
    assert_eq!(most, 2, "loom must find the interleaving that queues the link twice");
    assert_eq!(fewest, 1, "and the ones where the race is lost harmlessly");
}

/// Locked (check and insert in one critical section): in every interleaving the link is queued
/// exactly once.
#[test]
fn locked_version_queues_a_link_once_in_every_interleaving() {
    let (fewest, most) = queued_over_all_interleavings(CheckAndInsert::Locked);
    assert_eq!((fewest, most), (1, 1));
}
