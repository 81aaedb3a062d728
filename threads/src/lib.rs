//! The crawler as a pool of threads: `max_tasks` workers doing blocking I/O, coordinated by a
//! synchronized joinable queue and a locked seen-set (the chapter's "traditional approach").
//!
//! # How it works
//! 1. The roots go into a [`JoinableQueue`]; [`Crawler::crawl`] starts exactly `max_tasks`
//!    worker threads and blocks in [`JoinableQueue::join`].
//! 2. Each worker ([`Crawler::work`]) takes a URL and fetches it ([`Crawler::fetch`]): a GET with
//!    a shared `ureq::Agent` (the thread blocks for the whole request), retried as
//!    [`shared::Tries`] says, then [`shared::step`], which interprets the answer with no lock
//!    held and checks-and-inserts the new links into the [`SharedSeen`] under one lock.
//! 3. The worker records the URL, `put`s the new jobs, and only then calls `task_done`.
//! 4. When the unfinished count reaches zero, `join` returns, the queue is closed, and the idle
//!    workers' `get` returns `None`: they exit and are joined.
//!
//! # The race the chapter warns about
//! A worker that checks whether a link is in the seen-set under one lock and inserts it under
//! another can be overtaken in between by a worker holding the same link: both find it new, both
//! queue it. [`SharedSeen`] has that racy way ([`SharedSeen::add_links_racy`]) beside the correct one
//! ([`SharedSeen::add_links_locked`]), and a [`Crawler`] can be built on either with [`CheckAndInsert`].
//!
//! | step | thread A | thread B | seen-set | queue |
//! |---|---|---|---|---|
//! | 1 | lock, `/leaf/0` not in seen: new, unlock | | `{}` | |
//! | 2 | | lock, `/leaf/0` not in seen: new, unlock | `{}` | |
//! | 3 | lock, insert, unlock, `put` | | `{/leaf/0}` | `/leaf/0` |
//! | 4 | | lock, insert (already there), unlock, `put` | `{/leaf/0}` | `/leaf/0` twice |
//!
//! The compiler accepts this: every access is locked, so there is no *data* race. The bug is a
//! *logic* race, a decision taken under one lock and acted on under another. On an event loop
//! the same code is safe, because nothing else runs between two `.await`s (see the `coroutine`
//! crate). `examples/race_demo.rs` shows the duplicates on every run; `tests/loom.rs` proves the
//! interleaving exists with the loom model checker. The crate's README walks through it.
//!
//! # Layout
//! - `queue.rs`: [`JoinableQueue`], Python's `queue.Queue` on crossbeam-channel.
//! - `seen.rs`: [`SharedSeen`] and [`CheckAndInsert`]: the locked check-and-insert and the racy one.
//! - `http.rs`: [`Http`], the blocking ureq client and its error mapping.
//! - `shared_http.rs`: the shared codec over a blocking `std::net::TcpStream`
//!   (`threads --http shared`), to compare the models on one HTTP stack.
//! - `crawler.rs`: [`Crawler`], [`crawl`], `work`, `fetch`.
//!
//! # Compare with
//! - The event loop's single thread needs no lock at all: `callback::Crawler`.
//! - The coroutines' seen-set is a plain `RefCell` on one thread, because nothing can run between
//!   two `.await`s: `coroutine::Crawler`.

mod crawler;
mod http;
mod queue;
mod seen;
mod shared_http;

pub use crawler::{Crawler, crawl, crawl_with};
pub use http::Http;
pub use queue::JoinableQueue;
pub use seen::{CheckAndInsert, SharedSeen};
