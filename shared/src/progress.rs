//! [`Progress`]: how far a crawl has got, counted by the model as it goes and read by whoever
//! draws the progress line (the binaries do, on a terminal).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts of a crawl under way: URLs put in the queue, taken from it, and done.
///
/// Every model makes the same three calls, at the same three points of the chapter's loop:
/// [`queued`](Progress::queued) when it puts URLs (the roots, then each page's new links),
/// [`started`](Progress::started) when a worker takes one, and [`done`](Progress::done) when its
/// record is made. Cloning gives another handle on the same counts, as [`Config`](crate::Config)
/// does; the counters are relaxed atomics, three increments per URL, so counting costs nothing
/// next to a fetch, whether anyone reads them or not.
///
/// # Examples
/// ```
/// let progress = shared::Progress::new();
/// progress.queued(1); // the root
/// progress.started();
/// progress.queued(2); // its two links
/// progress.done();
/// let now = progress.snapshot();
/// assert_eq!((now.done, now.in_flight, now.queued), (1, 0, 2));
/// ```
#[derive(Clone, Default)]
pub struct Progress {
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    queued: AtomicUsize,
    started: AtomicUsize,
    done: AtomicUsize,
}

/// The counts at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// URLs with a record.
    pub done: usize,
    /// URLs taken from the queue and not yet done: fetches under way.
    pub in_flight: usize,
    /// URLs waiting in the queue.
    pub queued: usize,
}

impl Progress {
    /// Counts at zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// `n` URLs were put in the queue.
    pub fn queued(&self, n: usize) {
        self.counts.queued.fetch_add(n, Ordering::Relaxed);
    }

    /// A URL was taken from the queue to be fetched.
    pub fn started(&self) {
        self.counts.started.fetch_add(1, Ordering::Relaxed);
    }

    /// A URL's record was made.
    pub fn done(&self) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now. Read while the crawl runs, the three are not one atomic picture, so the
    /// differences saturate at zero rather than wrap.
    pub fn snapshot(&self) -> Snapshot {
        let done = self.counts.done.load(Ordering::Relaxed);
        let started = self.counts.started.load(Ordering::Relaxed);
        let queued = self.counts.queued.load(Ordering::Relaxed);
        Snapshot {
            done,
            in_flight: started.saturating_sub(done),
            queued: queued.saturating_sub(started),
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Progress").field(&self.snapshot()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clones share the counts; a reader that sees `started` before its `queued` (possible
    /// between threads) gets zero, not a wrapped number.
    #[test]
    fn clones_share_and_differences_saturate() {
        let a = Progress::new();
        let b = a.clone();
        b.started();
        assert_eq!(a.snapshot(), Snapshot { done: 0, in_flight: 1, queued: 0 });
        a.done();
        a.done();
        assert_eq!(b.snapshot(), Snapshot { done: 2, in_flight: 0, queued: 0 });
    }
}
