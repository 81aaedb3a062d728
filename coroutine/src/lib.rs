//! The crawler as coroutines on tokio, shaped like the chapter's asyncio crawler: worker tasks
//! around an async joinable queue, with the efficiency of callbacks and the look of threads.
//!
//! # How it works
//! 1. `Crawler::new` puts the roots in a [`JoinableQueue`]; `Crawler::crawl` starts
//!    `max_tasks` worker tasks at once: a task costs a few hundred bytes, not a thread's stack.
//! 2. Each worker (`Crawler::work`) awaits `get`, then `Crawler::fetch`: the same loop of
//!    tries as the thread model's `fetch`, read top to bottom, but every wait is an `.await`
//!    where the task is suspended and the thread goes on with another.
//! 3. The response goes through [`shared::step`]: the links are checked-and-inserted into the
//!    seen-set, then put; only then does the worker call `task_done`.
//! 4. `crawl` awaits `join()`; then it cancels the idle workers (parked in `get().await`) and
//!    waits until they are gone. Ctrl-C ends the wait early.
//!
//! # The lesson: no lock on one thread, and the compiler knows it
//! On the current-thread runtime ([`Runtime::CurrentThread`], the default, the chapter's
//! asyncio) the workers are local tasks on one thread, and the seen-set is a `RefCell`. Nothing
//! guards the check-then-insert of a link, and nothing needs to: a task can only be suspended at
//! an `.await`, and the outcome step has none. Between the check and the insert no other task
//! runs: the race that the thread model shows (`threads::SharedSeen::add_links_racy`, in
//! `threads/src/seen.rs`) cannot happen. See the comment in `Crawler::fetch`.
//!
//! On the multi-thread runtime ([`Runtime::MultiThread`]) tasks run in parallel on several
//! threads, and `tokio::spawn` demands that a task be `Send`. A `RefCell` shared by tasks is not
//! `Sync`, so the compiler refuses it, and the lock comes back: the seen-set is a `Mutex`.
//! Everything else is the same code, written once over `Mode`, whose implementations say only
//! how state is guarded, which queue and client, how a task is spawned and cancelled, how a
//! timeout is set and how the runtime is built.
//!
//! # The hand-made runtime
//! [`Runtime::Handmade`] runs the same crawler on the chapter's own machinery, built in
//! [`handmade`]: an executor of tasks woken by wakers, leaf futures for sockets and timers on the
//! `callback` crate's event loop, a joinable queue, cancellation by drop. Its module docs map
//! each piece of the chapter (Future, Task.step, run_until_complete, cancel...) to its Rust
//! counterpart.
//!
//! # Two HTTP stacks
//! [`Http::Reqwest`] (the default) is what a tokio user would pick; [`Http::Shared`] is the
//! shared HTTP client core (`shared::http`) over the runtime's own sockets, the same core as
//! the callback and thread models drive, so that the models can be compared with the HTTP
//! stack held equal. [`Options::new`] is the one place that pairs a runtime with a stack.
//!
//! # Layout
//! - `queue.rs`: [`JoinableQueue`], asyncio's `Queue` on tokio's `Notify`.
//! - [`handmade`]: the hand-made runtime, on nothing but the `callback` crate's event loop and
//!   std: it knows nothing of the crawler.
//! - `parts.rs`: what a runtime hands the crawler, as traits: `Exclusive` (a `RefCell` or a
//!   `Mutex`), `Queue`, `HttpClient`; and [`Http`], the choice of stack.
//! - `crawler.rs`: `Crawler`, `work`, `fetch`, and `Mode`, what the crawler needs from a
//!   runtime.
//! - `shared_http.rs`: `SharedHttp`, the shared client core driven over any runtime's socket
//!   (`Conn`: tokio's and the hand-made one): it only awaits.
//! - `client.rs`: `Client`, and the reqwest stack with the keep-alive rule.
//! - `runtimes.rs`: the three `Mode`s, `CurrentThread`, `MultiThread` and `Handmade`, where the
//!   runtimes meet the crawler; [`Runtime`], [`Options`], [`crawl`], [`crawl_with`].
//!
//! Each module imports only those above it in this list.
//!
//! The crate's face is [`crawl`] and [`crawl_with`], and [`handmade`] for the chapter's
//! machinery; `cargo doc --document-private-items` shows the rest.
//!
//! # Compare with
//! - The same crawler with a thread per worker and a lock on the seen-set: `threads::Crawler`.
//! - The same state machine written by hand, with callbacks: `callback::Fetcher`.

mod client;
mod crawler;
pub mod handmade;
mod parts;
mod queue;
mod runtimes;
mod shared_http;

pub use parts::Http;
pub use queue::JoinableQueue;
pub use runtimes::{Options, Runtime, crawl, crawl_with};
