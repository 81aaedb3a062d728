//! Everything the three crawlers share, so that they differ only in how they schedule work.
//!
//! # How it works
//! 1. [`Args`] parses the one command line of every binary into a [`Config`].
//! 2. [`Policy`] says which links a crawl may follow; [`links`] finds them in a page.
//! 3. [`page::interpret`] turns one HTTP response into an [`Outcome`]: a redirect, a page with
//!    links, or a plain record.
//! 4. [`Seen`] is the seen-set with the crawl's caps; each model shares it in its own way.
//! 5. [`Report`] prints the [`FetchStatistic`]s as text or JSON Lines; [`cli`] is every binary's
//!    `main`.
//! 6. [`site`] is the local test site and its oracle; [`conformance`] the scenarios every model
//!    must pass against it.
//!
//! # Layout
//! - [`config`]: [`Args`] and [`Config`].
//! - [`error`]: [`Error`] and [`NetError`].
//! - [`policy`]: root domains, strict and lenient hosts, `--exclude`.
//! - [`links`]: charset decoding and link extraction with scraper.
//! - [`page`]: the pure interpretation of a response.
//! - [`seen`]: the seen-set, [`Job`], `--max-pages` and `--max-depth`.
//! - [`report`]: [`FetchStatistic`] and [`Report`].
//! - [`stop`]: [`Stop`], the Ctrl-C signal.
//! - [`cli`]: the shared `main` of the crawler binaries.
//! - [`site`]: the test site, its server and its oracle.
//! - [`conformance`]: the shared test suite.
//!
//! # Compare with
//! The models' crates each expose `crawl(&Config) -> Report` built from these pieces:
//! `callback::crawl`, `threads::crawl`, `coroutine::crawl`.

pub mod cli;
pub mod config;
pub mod error;
pub mod links;
pub mod page;
pub mod policy;
pub mod report;
pub mod seen;
pub mod stop;

// The test site and the suite need tokio's sockets, which tokio leaves out under `--cfg loom`
// (the loom model of `threads` checks the seen-set alone and needs neither).
#[cfg(not(loom))]
pub mod conformance;
#[cfg(not(loom))]
pub mod site;

pub use config::{Args, Config};
pub use error::{Error, NetError};
pub use page::Outcome;
pub use policy::Policy;
pub use report::{FetchStatistic, Report};
pub use seen::{Admit, Job, Seen};
pub use stop::Stop;
