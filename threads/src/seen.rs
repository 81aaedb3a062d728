//! [`SharedSeen`]: the seen-set shared by the worker threads, and the two ways to check-and-insert
//! a link that the chapter's lesson compares: one critical section (correct) or two (racy).

use std::sync::PoisonError;
use std::time::Duration;

use shared::links::Link;
use shared::{Admit, CriticalSection, Job, Seen};

// Under `--cfg loom` the lock is loom's, so that the model checker in `tests/loom.rs` can
// interleave two workers at every point where the real scheduler could.
#[cfg(loom)]
use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Mutex, MutexGuard};

/// How workers add links to the seen-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckAndInsert {
    /// Check and insert in one critical section: a link is enqueued exactly once.
    #[default]
    Locked,
    /// Check under one lock, insert under another, with a `window` between them: free of data
    /// races, yet two workers can both find a link new and both enqueue it.
    Racy {
        /// How long the worker pauses between the check and the insert (zero: not at all), to
        /// widen the window the race needs, as a preemption at that point would.
        window: Duration,
    },
}

/// The seen-set behind a `Mutex`, shared by every worker.
#[derive(Debug)]
pub struct SharedSeen {
    /// A std `Mutex`: held only for a hash-set operation, never across I/O.
    inner: Mutex<Seen>,
    mode: CheckAndInsert,
}

impl SharedSeen {
    /// Wraps a crawl's seen-set.
    pub fn new(seen: Seen, mode: CheckAndInsert) -> SharedSeen {
        SharedSeen { inner: Mutex::new(seen), mode }
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        // A panic while holding the lock cannot leave the set half-updated: `admit` is one insert.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the links of `job`'s page: `num_new_urls` and the jobs to enqueue.
    pub fn add_links(&self, job: &Job, links: &[Link]) -> (usize, Vec<Job>) {
        match self.mode {
            CheckAndInsert::Locked => self.add_links_locked(job, links),
            CheckAndInsert::Racy { window } => self.add_links_racy(job, links, window),
        }
    }

    /// The correct way: every link is checked and inserted while the lock is held, so no other
    /// worker can slip in between the check and the insert.
    pub fn add_links_locked(&self, job: &Job, links: &[Link]) -> (usize, Vec<Job>) {
        self.lock().add_links(job, links)
    }

    /// The racy way, the chapter's warning made real. The shape is the chapter's own:
    /// `new = links - seen` under one lock, the lock released, then `seen |= new` under another.
    /// Another worker holding the same links can run in the gap; both find them new and both
    /// enqueue them. No data race (every access is locked), so the compiler has no objection.
    pub fn add_links_racy(&self, job: &Job, links: &[Link], window: Duration) -> (usize, Vec<Job>) {
        // Check: which links are new? The guard is dropped at the end of the statement.
        let new: Vec<&Link> = {
            let seen = self.lock();
            links.iter().filter(|link| !seen.contains(link)).collect()
        };
        // The gap. Another worker may run here, check the same links, and find them new too.
        #[cfg(not(loom))]
        if !window.is_zero() {
            std::thread::sleep(window);
        }
        #[cfg(loom)]
        let _ = window;
        // Insert, under a second lock. `admit` answering `Seen` (another worker got there
        // first) is ignored: acting on the stale check is exactly the check-then-act race.
        let mut seen = self.lock();
        let mut jobs = Vec::new();
        for link in &new {
            if seen.admit(link, job.depth + 1) != Admit::Refused {
                jobs.push(seen.link_job(link, job));
            }
        }
        (new.len(), jobs)
    }
}

/// The outcome step reaches the seen-set through this: a redirect in one critical section, a
/// page's links in one or two, as the mode says.
impl CriticalSection for &SharedSeen {
    fn with<R>(self, f: impl FnOnce(&mut Seen) -> R) -> R {
        f(&mut self.lock())
    }

    fn add_links(self, job: &Job, links: &[Link]) -> (usize, Vec<Job>) {
        SharedSeen::add_links(self, job, links)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use shared::Config;

    fn setup() -> (Seen, Job, Vec<Link>) {
        let config = Config::builder(["http://h/"]).max_pages(Some(3)).build().unwrap();
        let (seen, roots) = Seen::new(&config);
        let links = ["http://h/", "http://h/a", "http://h/b", "http://h/c"]
            .map(|u| Link::of(&u.parse().unwrap()).unwrap())
            .to_vec();
        (seen, roots[0].clone(), links)
    }

    /// On one thread there is nobody to race with: both ways give the same answer, caps included.
    #[test]
    fn racy_and_locked_agree_without_contention() {
        let (seen, job, links) = setup();
        let locked = SharedSeen::new(seen.clone(), CheckAndInsert::Locked);
        let racy = SharedSeen::new(seen, CheckAndInsert::Racy { window: Duration::ZERO });
        let (a, b) = (locked.add_links(&job, &links), racy.add_links(&job, &links));
        assert_eq!(a, b);
        assert_eq!(a.0, 3, "three links were new");
        assert_eq!(a.1.len(), 2, "--max-pages 3 lets two of them in beside the root");
        assert_eq!(locked.add_links(&job, &links).1, vec![]);
        assert_eq!(racy.add_links(&job, &links).1, vec![]);
    }
}
