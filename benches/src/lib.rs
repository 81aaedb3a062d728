//! The benchmark harness: every crawler model run on the same scenarios, each in a process of
//! its own, every run checked against the test site's oracle, the medians in one table per
//! scenario (binary `compare`, the workspace's default run); and criterion benches for
//! in-process timing (`benches/`).
//!
//! # How it works
//! 1. A `Scenario` is data: a site (generated from a seeded spec, or the Rust documentation),
//!    the `--max-tasks` levels, and the ceiling its runs are held against.
//! 2. [`SiteProcess`] starts the test site in its own process (the `testsite` binary, port 0)
//!    and reads the URL it prints.
//! 3. Each run of a [`Model`] is a child of `compare --measure`, a process in between that reads
//!    the model's wall time, CPU, peak RSS and peak threads from the OS (`measure`); the
//!    model's JSON Lines report is checked URL by URL against the oracle (`check`).
//! 4. Runs are interleaved by round; `Summary` takes the medians; `Table` prints them
//!    fixed-width or as Markdown, `chart` draws the SVG, `record` writes the raw numbers.
//!
//! # Layout
//! - `compare.rs`: [`compare()`], the whole run, and the tables and charts of its outcomes.
//! - `harness.rs`: `run_scenario`: rounds, baselines, the ceiling, the checks.
//! - `scenario.rs`: `Scenario` and [`ScenarioName`], the scenarios and their sizes (constants).
//! - `models.rs`: [`Model`] and [`CONTENDERS`], the table of contenders: [`MODELS`], then
//!   [`PEERS`].
//! - `site.rs`: [`SiteProcess`]; `serve.rs`: `compare --serve-site`, for a page size the
//!   `testsite` binary has no flag for.
//! - `measure.rs`: `compare --measure`, the measuring process, and [`Usage`].
//! - `runner.rs`: `run_model`, one run through the measuring process.
//! - `check.rs`: a report against the oracle (or against another model's report).
//! - `ceiling.rs`: [`fetch_only`], the fetch-only pass.
//! - `stats.rs`: `median`, `fit` and `Summary`; `record.rs`: `RunRecord` and `--json`.
//! - `table.rs`: `Table`; `chart`: the SVG; `machine.rs`: `Machine`, the header;
//!   `progress.rs`: `RunProgress`; `error.rs`: [`Error`].
//!
//! # Compare with
//! The models' own tests run the conformance suite in-process (`testsite::conformance`); this
//! crate runs their binaries, as a user does, and measures them from outside.

// Only what the `compare` binary, the tests and the criterion benches use is public: the rest
// is the harness's own (`cargo doc --document-private-items` shows it).
mod ceiling;
mod chart;
mod check;
mod compare;
mod error;
mod fresh;
mod harness;
mod machine;
mod measure;
mod models;
mod nginx;
mod progress;
mod record;
mod runner;
mod scenario;
mod serve;
mod site;
mod stats;
mod table;

pub use ceiling::fetch_only;
pub use compare::{CompareOptions, compare};
pub use error::Error;
pub use harness::FETCH_ONLY_PASSES;
pub use measure::{MARKER, MEASURE_FLAG, Usage, measure_main, split_usage};
pub use models::{CONTENDERS, MODELS, Model, PEERS, Program};
pub use nginx::{NGINX_FLAG, nginx_main};
pub use scenario::ScenarioName;
pub use serve::{SERVE_FLAG, serve_main};
pub use site::{SiteCommand, SiteProcess, StopBy};
