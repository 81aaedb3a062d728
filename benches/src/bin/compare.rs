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
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use benches::ScenarioName;
use benches::{CompareOptions, Error, MEASURE_FLAG, Model, NGINX_FLAG, SERVE_FLAG};
use clap::Parser;
use clap::error::ErrorKind;

/// Run every crawler model on the same scenarios, each run in its own process, checked against
/// the test site's oracle, and print the medians.
#[derive(Debug, Parser)]
// Named here: clap would name it after its package, `benches`.
#[command(name = "compare", version)]
struct Cli {
    /// The scenario.
    #[arg(long, value_enum, default_value_t = ScenarioName::FewActive)]
    scenario: ScenarioName,
    /// Runs per model (interleaved); the table shows medians.
    #[arg(long, default_value = "3")]
    runs: NonZeroUsize,
    /// Only these contenders, comma-separated (a peer named here must be installed).
    #[arg(long, value_name = "A,B", value_enum, value_delimiter = ',', num_args = 1)]
    models: Option<Vec<Model>>,
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

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    match args.get(1).and_then(|a| a.to_str()) {
        Some(MEASURE_FLAG) => return benches::measure_main(&args[1..]),
        Some(SERVE_FLAG) => return benches::serve_main(&args[1..]),
        Some(NGINX_FLAG) => return benches::nginx_main(&args[1..]),
        _ => {}
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        // One line, as the crawlers print a bad flag.
        Err(e) => {
            eprintln!("{}", shared::cli::usage_error_line(&e));
            return ExitCode::from(shared::cli::EXIT_USAGE);
        }
    };
    let options = CompareOptions {
        scenario: cli.scenario,
        runs: cli.runs,
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
    use benches::ScenarioName;
    use clap::{CommandFactory, Parser, ValueEnum};

    use super::Cli;

    /// `compare --help` names every scenario and every contender there is.
    #[test]
    fn help_names_everything() {
        let help = Cli::command().render_long_help().to_string();
        for scenario in ScenarioName::value_variants() {
            let name = scenario.to_possible_value().unwrap();
            assert!(help.contains(name.get_name()), "--help leaves out {}", name.get_name());
        }
        for model in benches::CONTENDERS {
            assert!(help.contains(model.name), "--help leaves out {}", model.name);
        }
    }

    /// Lists are clap's: a comma-separated `--models`, a bad name refused, `--runs 0` refused.
    #[test]
    fn parsed_by_clap() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["compare"], args].concat());
        let cli = parse(&["--models", "callback,wget2", "--scenario", "c10k"]).unwrap();
        let names: Vec<&str> = cli.models.unwrap().iter().map(|m| m.name).collect();
        assert_eq!(names, ["callback", "wget2"]);
        assert_eq!(cli.scenario, ScenarioName::C10k);
        assert_eq!(cli.runs.get(), 3);
        assert!(parse(&["--models", "fibers"]).is_err());
        assert!(parse(&["--scenario", "nope"]).is_err());
        assert!(parse(&["--runs", "0"]).is_err());
    }

    /// `compare --version` names the binary, not the `benches` package it is built from.
    #[test]
    fn version_names_compare() {
        let version = Cli::command().render_version();
        assert_eq!(version, format!("compare {}\n", env!("CARGO_PKG_VERSION")));
    }
}
