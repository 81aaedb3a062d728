//! [`RunRecord`]: the raw numbers of one run, as `--json FILE` writes them (every run, not only
//! the medians), and the file itself.

use std::path::Path;

use serde::Serialize;

use crate::Error;
use crate::machine::Machine;
use crate::measure::Usage;

/// What a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A crawl of the whole site.
    Run,
    /// A crawl with `--max-pages 1` at the same `--max-tasks`: the model's memory with its
    /// workers started and nothing in flight, subtracted for "RSS per in-flight fetch".
    Baseline,
    /// The fetch-only pass that is the ceiling of a scenario with no latency (in-process: only
    /// its wall time is measured).
    FetchOnly,
}

/// One run's raw numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// The scenario's name.
    pub scenario: String,
    /// `--max-tasks`.
    pub max_tasks: usize,
    /// The model's name (`fetch-only` for the ceiling pass).
    pub model: String,
    /// What the run was.
    pub kind: Kind,
    /// The round, from 1 (runs are interleaved: every model's round 1, then round 2...).
    pub round: usize,
    /// Wall time in seconds.
    pub wall_secs: f64,
    /// What the OS measured (`None` for the fetch-only pass, or a run that printed no numbers).
    pub usage: Option<Usage>,
    /// Records in the report (URLs fetched, for the fetch-only pass).
    pub pages: usize,
    /// Whether the run's report is right (the oracle or the reference run agrees).
    pub ok: bool,
    /// What is wrong with it, if anything.
    pub problems: Vec<String>,
}

/// The `--json` file: the machine, then every run.
#[derive(Debug, Serialize)]
struct JsonFile<'a> {
    machine: &'a Machine,
    runs: &'a [RunRecord],
}

/// Writes every run's numbers to `path` as one JSON document.
pub fn write_json(path: &Path, machine: &Machine, runs: &[RunRecord]) -> Result<(), Error> {
    // Cannot fail: the records hold only strings, numbers and options of them.
    let text = serde_json::to_string_pretty(&JsonFile { machine, runs }).expect("serializable");
    std::fs::write(path, text + "\n")
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
