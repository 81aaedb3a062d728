//! [`SeenSet`]: the seen-set shared by the worker threads, and the two ways to check-and-insert
//! a link that the chapter's lesson compares: one critical section (correct) or two (racy).

use std::sync::{Mutex, MutexGuard, PoisonError};

use shared::{Admit, Job, Seen};
use url::Url;

/// How workers add links to the seen-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeenMode {
    /// Check and insert in one critical section: a link is enqueued exactly once.
    #[default]
    Locked,
    /// Check under one lock, insert under another, with an optional `window` between them:
    /// free of data races, yet two workers can both find a link new and both enqueue it.
    Racy {
        /// Yields of the thread between the check and the insert (0: none), to widen the window
        /// the race needs.
        window: u32,
    },
}

/// The seen-set behind a `Mutex`, shared by every worker.
#[derive(Debug)]
pub struct SeenSet {
    /// A std `Mutex`: held only for a hash-set operation, never across I/O.
    inner: Mutex<Seen>,
    mode: SeenMode,
}

impl SeenSet {
    /// Wraps a crawl's seen-set.
    pub fn new(seen: Seen, mode: SeenMode) -> SeenSet {
        SeenSet { inner: Mutex::new(seen), mode }
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        // A panic while holding the lock cannot leave the set half-updated: `admit` is one insert.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the links of `job`'s page: `num_new_urls` and the jobs to enqueue.
    pub fn add_links(&self, job: &Job, links: &[Url]) -> (usize, Vec<Job>) {
        match self.mode {
            SeenMode::Locked => self.add_links_locked(job, links),
            SeenMode::Racy { window } => self.add_links_racy(job, links, window),
        }
    }

    /// The correct way: every link is checked and inserted while the lock is held, so no other
    /// worker can slip in between the check and the insert.
    pub fn add_links_locked(&self, job: &Job, links: &[Url]) -> (usize, Vec<Job>) {
        self.lock().add_links(job, links)
    }

    /// The racy way, the chapter's warning made real: `contains` under one lock, then the lock is
    /// released, then the insert under another. Another worker holding the same link can run in
    /// that gap; both find it new and both enqueue it.
    pub fn add_links_racy(&self, job: &Job, links: &[Url], window: u32) -> (usize, Vec<Job>) {
        let mut num_new = 0;
        let mut jobs = Vec::new();
        for link in links {
            let unseen = !self.lock().contains(link); // lock released at the end of this line
            for _ in 0..window {
                std::thread::yield_now();
            }
            if unseen {
                num_new += 1;
                // Whether `admit` now says `Seen` (another worker got there first) is ignored:
                // that is exactly the check-then-act race.
                if self.lock().admit(link, job.depth + 1) != Admit::Refused {
                    jobs.push(self.lock().link_job(link, job));
                }
            }
        }
        (num_new, jobs)
    }

    /// Follows a redirect, in one critical section.
    pub fn add_redirect(&self, job: &Job, target: &Url) -> Option<Job> {
        self.lock().add_redirect(job, target)
    }
}
