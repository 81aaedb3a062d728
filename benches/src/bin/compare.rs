//! `compare`: runs every crawler model on the same scenarios and prints one table per scenario.
//!
//! ```text
//! cargo build --release --workspace
//! cargo run --release -- --scenario all --markdown --svg compare.svg
//! ```
//!
//! Two hidden first arguments make it a helper process of its own run instead:
//! `--measure -- CMD...` (the measuring process) and `--serve-site ...` (a site server).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use benches::{CompareOptions, Error, MEASURE_FLAG, SERVE_FLAG, scenario};
use clap::Parser;

/// Run every crawler model on the same scenarios, each run in its own process, checked against
/// the test site's oracle, and print the medians.
#[derive(Debug, Parser)]
// Named here: clap would name it after its package, `benches`.
#[command(name = "compare", version, after_help = after_help())]
struct Cli {
    /// The scenario: cpu-bound, few-active, handshakes, sleepy, c10k, sweep, polite, docs, tiny,
    /// or all
    /// (all but tiny).
    #[arg(long, default_value = scenario::DEFAULT_SCENARIO)]
    scenario: String,
    /// Runs per model (interleaved); the table shows medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Only these models, comma-separated (see below).
    #[arg(long, value_name = "A,B")]
    models: Option<String>,
    /// Print Markdown tables instead of fixed-width text.
    #[arg(long)]
    markdown: bool,
    /// Write every run's raw numbers to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Draw the charts into FILE as SVG.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Also run the real crawlers installed here: wget2 (C, threads) and the chapter's crawler
    /// in Python (asyncio and aiohttp, benches/peers/crawl.py). A peer that is not installed is
    /// skipped with a note; a peer's report that differs is shown, but fails nothing.
    #[arg(long)]
    peers: bool,
    /// Serve every scenario's site over TLS (https, a CA generated for the run and given to
    /// every crawler with --ca-file), so that each model pays for TLS as it would on the web.
    #[arg(long)]
    tls: bool,
    /// Run every scenario plain, then over TLS, and add a table of what TLS costs each model:
    /// CPU per page and memory per in-flight fetch, each way.
    #[arg(long, conflicts_with = "tls")]
    tls_cost: bool,
}

/// The models, listed under `--help`.
fn after_help() -> String {
    let peers: Vec<&str> = benches::models::PEERS.iter().map(|m| m.name).collect();
    format!(
        "Models: {}\nPeers (--peers): {}",
        benches::models::names().join(", "),
        peers.join(", ")
    )
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    match args.get(1).and_then(|a| a.to_str()) {
        Some(MEASURE_FLAG) => return benches::measure_main(&args[1..]),
        Some(SERVE_FLAG) => return benches::serve_main(&args[1..]),
        _ => {}
    }
    let cli = Cli::parse();
    let options = CompareOptions {
        scenario: cli.scenario,
        runs: cli.runs as usize,
        models: cli.models,
        markdown: cli.markdown,
        json: cli.json,
        svg: cli.svg,
        peers: cli.peers,
        tls: cli.tls,
        tls_cost: cli.tls_cost,
    };
    match benches::compare(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("MISMATCH: some runs did not report what the oracle expects (details above)");
            ExitCode::FAILURE
        }
        Err(e @ (Error::MissingBinary { .. } | Error::Usage(_))) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// `compare --help` names every scenario there is.
    #[test]
    fn help_names_every_scenario() {
        let help = Cli::command().render_help().to_string();
        for scenario in benches::scenario::scenarios() {
            assert!(help.contains(scenario.name), "--help leaves out {}", scenario.name);
        }
    }

    /// `compare --version` names the binary, not the `benches` package it is built from.
    #[test]
    fn version_names_compare() {
        let version = Cli::command().render_version();
        assert_eq!(version, format!("compare {}\n", env!("CARGO_PKG_VERSION")));
    }
}
