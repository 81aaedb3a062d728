//! The crawler as one thread and an event loop: non-blocking sockets, a loop that calls the
//! callback registered for each ready socket, and a fetcher per URL whose state lives in struct
//! fields (the chapter's "Programming With Callbacks").
//!
//! # How it works
//! 1. `Crawler::new` puts the roots in its queue; `Crawler::crawl` starts up to `max_tasks`
//!    fetches (`Crawler::work`), then runs the [`EventLoop`] until the unfinished count is zero.
//! 2. A `Fetcher` connects with a non-blocking socket (or takes an idle keep-alive one from
//!    the shared pool) and registers it, with itself as the callback, for reads and writes at
//!    once. The host name was resolved once, before the first connect: the one blocking call
//!    of the model.
//! 3. The loop waits in `epoll` (through mio) and calls the callback of each ready socket. The
//!    fetcher takes one step per event: connected, then the shared core's exchange writes the
//!    request and reads the head and the body as far as the socket allows. A deadline timer
//!    per try ends a fetch that takes longer than `--timeout`.
//! 4. When the response is complete, [`shared::step`] interprets it and checks-and-inserts its
//!    links into the seen-set, a plain field: no lock, because no other code can run until the
//!    callback returns. The new URLs are queued, the URL is done, and the next fetches start.
//! 5. Ctrl-C (on another thread) wakes the loop through a `mio::Waker`; it stops, and the report
//!    holds what is done.
//!
//! # Why this is spaghetti
//! The chapter's complaint about callbacks is that the fetch of one URL, which in the thread
//! model is one function read top to bottom (`threads::Crawler::fetch` in
//! `threads/src/crawler.rs`: a loop of tries around
//! a blocking `get`, then the outcome step), is here torn into pieces that run at different
//! times, from the loop, with nothing of the stack in between:
//!
//! - `Fetcher::fetch` and `Fetcher::connect` start a try and return at once;
//! - `Fetcher::connected` runs on a later event; `Fetcher::advance` on that one and on every
//!   later one, moving the exchange (TLS handshake, request, head, body) as far as the socket
//!   allows, as many times as the response needs;
//! - `Fetcher::settle` acts on what a step gave: wait, resend on a new connection, done, or a
//!   failed try;
//! - `Fetcher::on_event` routes each event by the `State` field, and turns a timer event into a
//!   failure of whatever step was under way;
//! - the retry loop is not a loop but `Fetcher::retry_or_give_up` deciding, from the `Tries`
//!   kept in a field, whether `Fetcher::start` begins again;
//! - the result reaches the crawler through the callback's closure (`Crawler::fetched`).
//!
//! Everything a function would keep in local variables (which try this is, how much of the
//! request is written, the parser, the deadline) is a field of `Fetcher`. An error has no stack
//! trace to say where it came from, so the fetcher carries its step and every failed try is
//! logged with it ("ConnectionReset: ... (while reading the body)").
//!
//! What the loop buys: one thread, no locks, no race, and the least memory per fetch of any
//! model. A waiting fetch is its `Fetcher` (about two hundred bytes, plus the body once it
//! arrives) and a socket; bytes are read into a buffer on the stack of the call that reads
//! them, so no fetch holds one while it waits.
//!
//! # Layout
//! - `event_loop.rs`: [`EventLoop`], callbacks by token, timers, the waker.
//! - `fetcher.rs`: `Fetcher`, the state machine of one URL.
//! - `crawler.rs`: `Crawler`, [`crawl`], `work`, `fetched`.
//!
//! # Compare with
//! - The same crawl as blocking threads, where each fetch keeps its state on its own stack:
//!   `threads::Crawler`.
//! - The same state machine written by the compiler from `async fn`s: `coroutine::Crawler`.

mod crawler;
mod event_loop;
mod fetcher;

pub use crawler::crawl;
pub use event_loop::{Callback, Event, EventLoop, TimerId};
