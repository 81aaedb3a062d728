//! [`run_model`]: one run of one model, in its own process, through `compare --measure`: its
//! JSON Lines report on stdout (for wget2, its per-URL statistics file), its [`Usage`] on
//! stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use shared::FetchStatistic;
use url::Url;

use crate::measure::{MEASURE_FLAG, Usage, split_usage};
use crate::models::{Program, SPIDER_PEER};
use crate::scenario::Polite;
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

/// The model's command line: the root, the contract's flags of the scenario (`--ca-file` for
/// a site over TLS), then the model's own. `-q` keeps its log to errors: a benchmark is not the
/// place to read warnings.
pub fn model_args(
    model: &Model,
    root: &Url,
    max_tasks: usize,
    max_pages: Option<usize>,
    ca_file: Option<&Path>,
    polite: Option<Polite>,
) -> Vec<String> {
    let mut args = vec![root.to_string(), "--max-tasks".into(), max_tasks.to_string()];
    args.extend(polite.iter().flat_map(Polite::args));
    if let Some(max) = max_pages {
        args.extend(["--max-pages".into(), max.to_string()]);
    }
    if let Some(file) = ca_file {
        args.extend(["--ca-file".into(), file.display().to_string()]);
    }
    args.extend(["--json".into(), "-q".into()]);
    args.extend(model.args.iter().map(|a| a.to_string()));
    args
}

/// Runs `model` on the site at `root` once, measured by `compare --measure` (`compare` is the
/// harness's own executable), and reads its report. `ca_file`: the site's CA, over TLS.
pub fn run_model(
    compare: &Path,
    bin_dir: &Path,
    model: &Model,
    root: &Url,
    (max_tasks, max_pages): (usize, Option<usize>),
    ca_file: Option<&Path>,
    polite: Option<Polite>,
) -> Result<RunOutput, Error> {
    let mut command = Command::new(compare);
    command.args([MEASURE_FLAG, "--"]);
    let mut wget2 = None;
    match model.program {
        Program::Binary(name) => {
            command.arg(bin_dir.join(name));
        }
        Program::Python { script, .. } => {
            command.args(["python3", script]);
        }
        Program::Spider => {
            command.arg(SPIDER_PEER);
        }
        Program::Wget2 => {
            let run = Wget2Run::new()?;
            command.arg("wget2").args(run.args(root, max_tasks, max_pages.is_some()));
            if let Some(file) = ca_file {
                command.arg(format!("--ca-certificate={}", file.display()));
            }
            wget2 = Some(run);
        }
    }
    // Every program but wget2 keeps the contract's command line.
    if wget2.is_none() {
        command.args(model_args(model, root, max_tasks, max_pages, ca_file, polite));
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("cannot run {}", model.name), e))?;
    let (usage, stderr) = split_usage(&String::from_utf8_lossy(&output.stderr));
    let (records, mut problems) = match &wget2 {
        None => parse_report(&String::from_utf8_lossy(&output.stdout)),
        Some(run) => run.report(),
    };
    match usage.map(|u| u.exit_code) {
        None => problems.insert(0, "the measuring process printed no numbers".into()),
        Some(Some(0)) => {}
        // wget2's "the server answered an error" (the site's 404s, there on purpose).
        Some(Some(8)) if wget2.is_some() => {}
        Some(Some(code)) => problems.insert(0, format!("exited with status {code}")),
        Some(None) => problems.insert(0, "killed by a signal".into()),
    }
    Ok(RunOutput { usage, records, problems, stderr })
}

/// The tags whose URLs wget2 follows and the contract does not.
const WGET2_IGNORED_TAGS: &str = "img,script,iframe,frame,embed,object,source,video,audio,track,\
                                  input,image,body,table,td,th,meta,form,blockquote,q,ins,del,\
                                  applet,bgsound,layer,overlay";

/// One run of wget2: the folder it downloads into (each file deleted once parsed) and its
/// per-URL statistics file, removed when the run is dropped.
struct Wget2Run {
    dir: PathBuf,
}

impl Wget2Run {
    fn new() -> Result<Wget2Run, Error> {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("compare-wget2-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot make {}", dir.display()), e))?;
        Ok(Wget2Run { dir })
    }

    fn stats(&self) -> PathBuf {
        self.dir.join("stats.csv")
    }

    /// wget2's command line: recursive, as deep as the site goes, `max_tasks` threads (its
    /// connections), no robots.txt (the site has none), the tags beyond the contract's a, area
    /// and link ignored (wget2 would also fetch what img, script and the like point to), every
    /// file deleted once parsed; `first_only` fetches the root alone (the baseline run). wget2
    /// still reads CSS for `url(...)`, which the contract does not: on real pages it fetches a
    /// few URLs more (fonts and images of stylesheets).
    fn args(&self, root: &Url, max_tasks: usize, first_only: bool) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if !first_only {
            args.extend(["--recursive".into(), "--level=inf".into()]);
        }
        args.extend([
            format!("--max-threads={max_tasks}"),
            "--robots=off".into(),
            format!("--ignore-tags={WGET2_IGNORED_TAGS}"),
            "--delete-after".into(),
            "--no-directories".into(),
            format!("--directory-prefix={}", self.dir.display()),
            format!("--stats-site=csv:{}", self.stats().display()),
            "--quiet".into(),
            root.to_string(),
        ]);
        args
    }

    /// The run's records, from the statistics file: the URL (fragment dropped) and the status.
    fn report(&self) -> (Vec<FetchStatistic>, Vec<String>) {
        match std::fs::read_to_string(self.stats()) {
            Ok(text) => parse_wget2_stats(&text),
            Err(e) => (Vec::new(), vec![format!("wget2 wrote no statistics: {e}")]),
        }
    }
}

impl Drop for Wget2Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Records from wget2's `--stats-site` CSV (`ID,ParentID,URL,Status,Link,Method,Size,...`):
/// one per row, the URL in normal form without its fragment, the status (`None` for a failure,
/// which wget2 writes as 0 or less). A URL may hold commas, so it is what lies between the first
/// two columns and the last nine.
pub fn parse_wget2_stats(text: &str) -> (Vec<FetchStatistic>, Vec<String>) {
    const AFTER_URL: usize = 9;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').collect();
        let parsed = (cols.len() >= 3 + AFTER_URL)
            .then(|| {
                let url = cols[2..cols.len() - AFTER_URL].join(",");
                let status: i64 = cols[cols.len() - AFTER_URL].trim().parse().ok()?;
                let mut url = Url::parse(&url).ok()?;
                url.set_fragment(None);
                Some((url, status))
            })
            .flatten();
        let Some((url, status)) = parsed else {
            problems.push(format!("wget2 statistics line {} is not a row: {line:.120}", i + 1));
            continue;
        };
        let status = u16::try_from(status).ok().filter(|s| *s > 0);
        records.push(FetchStatistic {
            url: url.to_string(),
            next_url: None,
            status,
            exception: status.is_none().then(|| "wget2: failed".into()),
            size: 0,
            content_type: None,
            encoding: None,
            num_urls: 0,
            num_new_urls: 0,
        });
    }
    (records, problems)
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
            model_args(coroutine, &root, 10, Some(1), None, None),
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
        let args = model_args(&MODELS[0], &root, 1, None, Some(Path::new("ca.pem")), None);
        assert!(!args.contains(&"--max-pages".to_string()));
        assert_eq!(args[3..5], ["--ca-file", "ca.pem"]);
    }

    /// wget2's statistics: the header skipped, the fragment dropped, a comma inside a URL kept,
    /// a failure (status 0) a record with no status, a short row a problem.
    #[test]
    fn wget2_statistics() {
        let csv = "ID,ParentID,URL,Status,Link,Method,Size,SizeDecompressed,TransferTime,ResponseTime,Encoding,Verification\n\
                   1,0,http://127.0.0.1:9/,200,1,1,2031,2031,21,21,0,0\n\
                   2,1,http://127.0.0.1:9/p/1#s4,404,1,1,9,9,1,1,0,0\n\
                   3,1,http://127.0.0.1:9/a,b,301,1,1,0,0,1,1,0,0\n\
                   4,1,http://127.0.0.1:9/gone,0,1,1,0,0,1,1,0,0\n\
                   5,1,http://127.0.0.1:9/short,200\n";
        let (records, problems) = parse_wget2_stats(csv);
        let got: Vec<(&str, Option<u16>)> =
            records.iter().map(|r| (r.url.as_str(), r.status)).collect();
        assert_eq!(
            got,
            [
                ("http://127.0.0.1:9/", Some(200)),
                ("http://127.0.0.1:9/p/1", Some(404)),
                ("http://127.0.0.1:9/a,b", Some(301)),
                ("http://127.0.0.1:9/gone", None),
            ]
        );
        assert!(records[3].exception.is_some());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("wget2 statistics line 6"), "{}", problems[0]);
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
