//! Everything the three crawlers share, so that they differ only in how they schedule work: plain
//! synchronous functions on plain data, with no threads, no runtime and no sockets.
//!
//! # How it works
//! 1. A [`Config`] says what to crawl (with the `cli` feature, `Args` parses it from the one
//!    command line of every binary).
//! 2. [`http`] is everything a fetch does but wait: where to connect (names resolved once), an
//!    idle connection to reuse, and one exchange per request that writes the GET, parses the
//!    answer into a [`Response`] and applies the keep-alive rule, whatever socket the bytes
//!    travel on; a model with its own HTTP client converts its answer to one.
//! 3. [`page::interpret`] turns a response into an [`Outcome`] (a redirect, a page with its
//!    allowed [`links`], or a plain record), with no lock held: parsing is the expensive part.
//! 4. [`step`] is the outcome step: it interprets what the fetch gave, touches the [`Seen`] set
//!    once (the one critical section, which each model enters its own way through [`CriticalSection`]:
//!    a `Mutex`, a `RefCell`, a plain field), and returns the [`FetchStatistic`] and the [`Job`]s
//!    to put. [`Tries`] says whether a failed fetch is retried.
//! 5. [`Report`] prints the records as text or JSON Lines; `cli::main` is every binary's `main`.
//!
//! # Layout
//! - [`config`]: [`Config`]; `args` (feature `cli`): `Args`, the command line.
//! - [`error`]: [`Error`] and [`NetError`].
//! - [`policy`]: root domains, strict and lenient hosts, `--exclude`.
//! - [`links`]: charset decoding and link extraction.
//! - [`http`]: the sans-IO HTTP client core (parser, exchange, pool) and [`Response`].
//! - [`page`]: the pure interpretation of a response.
//! - [`seen`]: the seen-set, [`Job`], the caps, and the outcome step.
//! - [`hosts`]: politeness: `--max-per-host`, `--delay`, `--robots`, as a schedule each model
//!   asks before a fetch and waits on in its own way.
//! - [`robots`]: robots.txt as RFC 9309 reads it.
//! - [`report`]: [`FetchStatistic`] and [`Report`].
//! - [`stop`]: [`Stop`], the Ctrl-C signal.
//! - [`progress`]: [`Progress`], the counts behind the progress line.
//! - `cli` (feature `cli`): the shared `main` of the crawler binaries.
//!
//! The local test site, its oracle and the conformance suite are in the `testsite` crate beside
//! this one, a dev-dependency of the models.
//!
//! # Compare with
//! The models' crates each expose `crawl(&Config) -> Report` built from these pieces:
//! `callback::crawl`, `threads::crawl`, `coroutine::crawl`.

#[cfg(feature = "cli")]
pub mod args;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod error;
pub mod hosts;
pub mod http;
pub mod links;
pub mod page;
pub mod policy;
pub mod progress;
pub mod report;
pub mod robots;
pub mod seen;
pub mod stop;

#[cfg(feature = "cli")]
pub use args::Args;
pub use config::{Config, ConfigBuilder};
pub use error::{Error, NetError};
pub use http::Response;
pub use page::Outcome;
pub use policy::Policy;
pub use progress::Progress;
pub use report::{FetchStatistic, Report};
pub use seen::{Admit, CriticalSection, Job, Seen, Step, Tries, step};
pub use stop::{OnStop, Stop};
