//! The local test site every model is tested and measured against, its oracle, and the
//! conformance suite: a dev-dependency of the models, never a dependency of their libraries.
//!
//! # How it works
//! 1. A [`Site`] is a set of resources (pages, redirects, faults) with a latency; build one by
//!    hand ([`Site::page`], [`Site::redirect`], [`Site::fault`]), generate one from a seeded
//!    [`SiteSpec`], or read a folder of real files with [`Site::from_dir`].
//! 2. [`Site::serve`] starts a hyper server on 127.0.0.1 on its own tokio runtime; its
//!    [`ServerHandle`] counts requests per path and connections.
//! 3. [`Site::expected`] is the oracle (what a correct crawl reports) and [`Site::ideal_secs`] the
//!    fastest crawl possible.
//! 4. [`conformance`] holds the scenarios every model must pass; a model's
//!    `tests/conformance.rs` is one line, `testsite::conformance_tests!(threads::crawl);`.
//!
//! # Layout
//! - `site.rs`: [`Site`], [`Resource`], [`Fault`], [`Latency`], [`Site::from_dir`].
//! - `generate.rs`: [`SiteSpec`], the seeded generator.
//! - `body.rs`: [`SiteBody`], bodies generated as they are sent.
//! - [`oracle`]: [`Expected`], [`Site::expected`], [`Site::ideal_secs`].
//! - [`server`]: the hyper server and [`ServerHandle`]; `faulty.rs`, the misbehaving streams.
//! - [`compress`]: gzip and br bodies, the gzip bomb and the corrupt stream.
//! - [`tls`]: the site over TLS, its generated [`tls::Authority`] and [`tls::TlsFault`]s.
//! - [`conformance`]: the shared test suite.
//! - `bin/testsite.rs`: the `testsite` binary.
//!
//! # Compare with
//! The crawlers' own code is in `shared` (what they share) and in each model's crate; nothing
//! here is linked into a crawler binary.

mod body;
pub mod compress;
pub mod conformance;
mod faulty;
mod generate;
pub mod oracle;
pub mod server;
mod site;
pub mod tls;

pub use body::SiteBody;
pub use generate::SiteSpec;
pub use oracle::Expected;
pub use server::{ServerHandle, Start, bind_ports};
pub use site::{Fault, Latency, Resource, Site, path_of};

/// Raises this process's soft limit on open files (RLIMIT_NOFILE) to its hard limit, and returns
/// the new soft limit: a test or a server holding thousands of sockets needs more than the usual
/// default of 1,024.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}
