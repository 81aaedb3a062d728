//! The crawler as a pool of threads: `max_tasks` workers doing blocking I/O, coordinated by a
//! synchronized joinable queue and a locked seen-set (the chapter's "traditional approach").
//!
//! # How it works
//! 1. The roots go into a [`JoinableQueue`]; [`Crawler::crawl`] starts exactly `max_tasks`
//!    worker threads and blocks in [`JoinableQueue::join`].
//! 2. Each worker ([`Crawler::work`]) takes a URL, GETs it with a shared `ureq::Agent` (the
//!    thread blocks for the whole request), and lets [`shared::page::interpret`] read the answer.
//! 3. New links are checked-and-inserted into the [`SeenSet`] under one lock, then `put`; only
//!    then does the worker call `task_done`.
//! 4. When the unfinished count reaches zero, `join` returns, the queue is closed, and the idle
//!    workers' `get` returns `None`: they exit and are joined.
//!
//! # Layout
//! - [`queue`]: [`JoinableQueue`], Python's `queue.Queue` on crossbeam-channel.
//! - [`seen`]: [`SeenSet`] and [`SeenMode`]: the locked check-and-insert and the racy one.
//! - [`http`]: the blocking ureq client and its error mapping.
//! - [`crawler`]: [`Crawler`], `crawl`, `work`, `fetch`.
//!
//! # Compare with
//! - The event loop's single thread needs no lock at all: `callback::Crawler`.
//! - The coroutines' seen-set is a plain `RefCell` on one thread, because nothing can run between
//!   two `.await`s: `coroutine::Crawler`.

pub mod crawler;
pub mod http;
pub mod queue;
pub mod seen;

pub use crawler::{Crawler, crawl};
pub use queue::JoinableQueue;
pub use seen::{SeenMode, SeenSet};
