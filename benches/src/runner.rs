//! [`run_model`]: one run of one model, in its own process, through `compare --measure`: its
//! JSON Lines report on stdout, its [`Usage`] on stderr.

use std::path::Path;
use std::process::{Command, Stdio};

use shared::FetchStatistic;
use url::Url;

use crate::measure::{MEASURE_FLAG, Usage, split_usage};
use crate::{Error, Model};

/// What one run gave.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The model's cost, as the measuring process read it; `None` if it printed none.
    pub usage: Option<Usage>,
    /// The report's records, in the order printed.
    pub records: Vec<FetchStatistic>,
    /// What went wrong with the run itself (a bad exit status, a line that is not a record):
    /// any of these makes the run a MISMATCH, as a wrong record does.
    pub problems: Vec<String>,
    /// What the model wrote on stderr, shown when the run is a MISMATCH.
    pub stderr: String,
}

/// The model's command line: the root, the contract's flags of the scenario, then the model's
/// own. `-q` keeps its log to errors: a benchmark is not the place to read warnings.
pub fn model_args(
    model: &Model,
    root: &Url,
    max_tasks: usize,
    max_pages: Option<usize>,
) -> Vec<String> {
    let mut args = vec![root.to_string(), "--max-tasks".into(), max_tasks.to_string()];
    if let Some(max) = max_pages {
        args.extend(["--max-pages".into(), max.to_string()]);
    }
    args.extend(["--json".into(), "-q".into()]);
    args.extend(model.args.iter().map(|a| a.to_string()));
    args
}

/// Runs `model` on the site at `root` once, measured by `compare --measure` (`compare` is the
/// harness's own executable), and reads its report.
pub fn run_model(
    compare: &Path,
    bin_dir: &Path,
    model: &Model,
    root: &Url,
    max_tasks: usize,
    max_pages: Option<usize>,
) -> Result<RunOutput, Error> {
    let output = Command::new(compare)
        .args([MEASURE_FLAG, "--"])
        .arg(bin_dir.join(model.binary))
        .args(model_args(model, root, max_tasks, max_pages))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("cannot run {}", model.name), e))?;
    let (usage, stderr) = split_usage(&String::from_utf8_lossy(&output.stderr));
    let (records, mut problems) = parse_report(&String::from_utf8_lossy(&output.stdout));
    match usage.map(|u| u.exit_code) {
        None => problems.insert(0, "the measuring process printed no numbers".into()),
        Some(Some(0)) => {}
        Some(Some(code)) => problems.insert(0, format!("exited with status {code}")),
        Some(None) => problems.insert(0, "killed by a signal".into()),
    }
    Ok(RunOutput { usage, records, problems, stderr })
}

/// The records of a JSON Lines report, and a problem for each line that is not one.
pub fn parse_report(stdout: &str) -> (Vec<FetchStatistic>, Vec<String>) {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in stdout.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<FetchStatistic>(line) {
            Ok(record) => records.push(record),
            Err(e) => {
                problems.push(format!("report line {} is not a record ({e}): {line:.120}", i + 1))
            }
        }
    }
    (records, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::MODELS;

    /// The contract's flags come first, then the model's own; `--max-pages` only when asked.
    #[test]
    fn command_line() {
        let root = Url::parse("http://127.0.0.1:9/").unwrap();
        let coroutine = MODELS.iter().find(|m| m.name == "coroutine-mt-shared").unwrap();
        assert_eq!(
            model_args(coroutine, &root, 10, Some(1)),
            [
                "http://127.0.0.1:9/",
                "--max-tasks",
                "10",
                "--max-pages",
                "1",
                "--json",
                "-q",
                "--runtime",
                "multi-thread",
                "--http",
                "shared"
            ]
        );
        assert!(!model_args(&MODELS[0], &root, 1, None).contains(&"--max-pages".to_string()));
    }

    /// A line that is not a record is a problem, not a panic and not silently dropped.
    #[test]
    fn bad_report_lines_are_problems() {
        let good = r#"{"url":"http://h/","next_url":null,"status":200,"exception":null,"size":1,"content_type":"text/html","encoding":"utf-8","num_urls":0,"num_new_urls":0}"#;
        let (records, problems) = parse_report(&format!("{good}\n\nnot json\n"));
        assert_eq!(records.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("report line 3"), "{}", problems[0]);
    }
}
