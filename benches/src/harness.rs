//! [`run_scenario`]: one scenario from start to end. The site comes up in its own process; at
//! each `--max-tasks` level every model runs in rounds, interleaved (A1 B1 C1, A2 B2 C2...) so
//! that a slow minute on the machine hurts every model alike; each run is checked as it ends;
//! then the baselines; then the site goes down.

use std::path::PathBuf;
use std::time::Duration;

use shared::Config;
use url::Url;

use crate::ceiling::fetch_only;
use crate::check::Reference;
use crate::measure::KERNEL_STACK_KIB;
use crate::models::PEERS;
use crate::models::Program;
use crate::progress::RunProgress;
use crate::record::{Kind, RunRecord};
use crate::runner::{RunOutput, run_model};
use crate::scenario::{Ceiling, DOCS_ROOT, Polite, Scenario, SiteSource, docs_dir};
use crate::site::{SiteProcess, command};
use crate::stats::Summary;
use crate::{Error, Model};
use shared::http::{Tls, read_ca_file};

/// Fetch-only passes per round. The ceiling is the fastest of all of them, not their median: a
/// ceiling is the best the site allows, and a pass slowed by a neighbour's build is not that.
pub const FETCH_ONLY_PASSES: usize = 3;

/// How a scenario is run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Rounds: each model's runs per level (`--runs`).
    pub runs: usize,
    /// The models, in the table's order.
    pub models: Vec<Model>,
    /// The folder of the model and `testsite` binaries (`compare`'s own).
    pub bin_dir: PathBuf,
    /// `compare` itself, re-executed as the measuring process and as a site server.
    pub compare: PathBuf,
    /// Over TLS (`--tls`): where each site writes its CA's certificate, for the crawlers'
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}

/// One `--max-tasks` level of a scenario, reduced.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// `--max-tasks`.
    pub max_tasks: usize,
    /// A summary per model, in the table's order.
    pub summaries: Vec<Summary>,
    /// The ceiling in seconds, if the scenario has one.
    pub ideal: Option<f64>,
    /// What the ceiling and the derived columns are, for under the table.
    pub notes: Vec<String>,
}

/// What a scenario gave.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: Scenario,
    /// Its levels, in order.
    pub levels: Vec<Level>,
    /// Every run's raw numbers.
    pub runs: Vec<RunRecord>,
    /// Notes on the whole scenario (what the site counted).
    pub notes: Vec<String>,
    /// Why the scenario did not run, if it did not.
    pub skipped: Option<String>,
    /// Why the scenario stopped before its end (the test site died, say), if it did.
    pub error: Option<String>,
    /// Whether its site was served over TLS (`--tls`).
    pub tls: bool,
}

impl ScenarioResult {
    /// A scenario that could not be run to its end, and why.
    pub fn failed(scenario: &Scenario, error: &Error) -> ScenarioResult {
        ScenarioResult { error: Some(error.to_string()), ..ScenarioResult::new(scenario) }
    }

    /// An outcome with nothing in it yet.
    fn new(scenario: &Scenario) -> ScenarioResult {
        ScenarioResult {
            scenario: scenario.clone(),
            levels: Vec::new(),
            runs: Vec::new(),
            notes: Vec::new(),
            skipped: None,
            error: None,
            tls: false,
        }
    }

    /// The scenario's name as its tables and records show it: `c10k`, or `c10k over TLS`.
    pub fn name(&self) -> String {
        shown_name(self.scenario.name, self.tls)
    }

    /// Whether the scenario ran to its end (or was skipped) and every run of a model was right
    /// (a peer's wrong report shows in its row and notes, but is not a failure of ours).
    pub fn ok(&self) -> bool {
        let peer = |r: &RunRecord| PEERS.iter().any(|p| p.name == r.model);
        self.error.is_none() && self.runs.iter().all(|r| r.ok || peer(r))
    }
}

/// Whether `model` runs in `scenario`: the peers have no politeness flags, and sit out a
/// polite scenario.
fn takes_part(scenario: &Scenario, model: &Model) -> bool {
    scenario.polite.is_none() || matches!(model.program, Program::Binary(_))
}

/// How many runs a scenario makes, for the progress line.
pub fn steps(scenario: &Scenario, options: &Plan) -> u64 {
    let passes = if scenario.ceiling == Ceiling::FetchOnly { FETCH_ONLY_PASSES } else { 0 };
    let per_round = options.models.iter().filter(|m| takes_part(scenario, m)).count() + passes;
    let baselines = if scenario.rss_per_fetch { options.models.len() } else { 0 };
    (scenario.max_tasks.len() * (options.runs * per_round + baselines)) as u64
}

/// A scenario while it runs: where the site is, what runs are checked against, and every run
/// recorded so far.
struct Session<'a> {
    scenario: &'a Scenario,
    options: &'a Plan,
    progress: &'a RunProgress,
    /// The test site's process, checked on after every run.
    site: SiteProcess,
    /// The URL every model starts from.
    root: Url,
    /// What a report must say.
    reference: Reference,
    /// Every run so far, in the order run.
    runs: Vec<RunRecord>,
    /// The TLS of the fetch-only pass: trusting the site's CA when it is served over TLS.
    tls: Tls,
}

/// A scenario's name as tables and records show it: `c10k`, or, over TLS, `c10k over TLS`.
fn shown_name(name: &str, tls: bool) -> String {
    if tls { format!("{name} over TLS") } else { name.into() }
}

impl Session<'_> {
    /// The scenario's name in the records: `c10k`, or `c10k over TLS`.
    fn name(&self) -> String {
        shown_name(self.scenario.name, self.options.ca_file.is_some())
    }

    /// Runs `model` once at `max_tasks` (a baseline, recorded at that level: one task and
    /// `--max-pages 1`, the program before it has workers or fetches), checks its report,
    /// prints the problems of a wrong one at once, and records it.
    fn run(
        &mut self,
        model: &Model,
        max_tasks: usize,
        round: usize,
        kind: Kind,
    ) -> Result<(), Error> {
        let baseline = kind == Kind::Baseline;
        let what =
            if baseline { "baseline".into() } else { format!("run {round}/{}", self.options.runs) };
        let name = self.scenario.name;
        self.progress.start(format!("{name} @{max_tasks}: {} {what}", model.name));
        let (compare, bin_dir) = (&self.options.compare, &self.options.bin_dir);
        let max_pages = baseline.then_some(1);
        let ca_file = self.options.ca_file.as_deref();
        let crawl = (if baseline { 1 } else { max_tasks }, max_pages);
        let polite = self.scenario.polite;
        let out = run_model(compare, bin_dir, model, &self.root, crawl, ca_file, polite)?;
        // A site that died mid-run would make any model look wrong: stop the scenario instead.
        self.site.check_alive()?;
        let RunOutput { usage, records, mut problems, stderr } = out;
        let clean = problems.is_empty();
        problems.extend(self.reference.check(model, &records, clean, baseline));
        if !problems.is_empty() {
            let mut text = format!("MISMATCH: {name} @{max_tasks} {} {what}", model.name);
            for p in &problems {
                text.push_str(&format!("\n  {p}"));
            }
            // The model's last words, in case they say why.
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            for line in tail.iter().rev() {
                text.push_str(&format!("\n  | {line}"));
            }
            self.progress.note(&text);
        }
        self.runs.push(RunRecord {
            scenario: self.name(),
            max_tasks,
            model: model.name.into(),
            kind,
            round,
            wall_secs: usage.map_or(0.0, |u| u.wall_secs),
            usage,
            pages: records.len(),
            ok: problems.is_empty(),
            problems,
        });
        self.progress.done();
        Ok(())
    }

    /// One fetch-only pass over `urls` with `max_tasks` connections, recorded; its wall time.
    fn fetch_only(&mut self, urls: &[Url], max_tasks: usize, round: usize) -> Result<f64, Error> {
        let name = self.scenario.name;
        self.progress
            .start(format!("{name} @{max_tasks}: fetch-only pass {round}/{}", self.options.runs));
        let wall = fetch_only(urls, max_tasks, &self.tls);
        self.site.check_alive()?;
        let wall = wall?.as_secs_f64();
        self.runs.push(RunRecord {
            scenario: self.name(),
            max_tasks,
            model: "fetch-only".into(),
            kind: Kind::FetchOnly,
            round,
            wall_secs: wall,
            usage: None,
            pages: urls.len(),
            ok: true,
            problems: Vec::new(),
        });
        self.progress.done();
        Ok(wall)
    }
}

/// Runs `scenario` for every model of `options` and reduces it. A wrong report is not an
/// error: its run is marked, its problems are printed through `progress`, and the outcome is
/// not [`ok`](ScenarioResult::ok).
pub fn run_scenario(
    scenario: &Scenario,
    options: &Plan,
    progress: &RunProgress,
) -> Result<ScenarioResult, Error> {
    let mut outcome =
        ScenarioResult { tls: options.ca_file.is_some(), ..ScenarioResult::new(scenario) };
    let docs = match scenario.site {
        SiteSource::RustDocsNginx if crate::nginx::nginx_binary().is_none() => {
            outcome.skipped = Some("nginx is not installed (apt-get install nginx-light)".into());
            return Ok(outcome);
        }
        SiteSource::RustDocs | SiteSource::RustDocsNginx => match docs_dir() {
            Some(dir) => Some(dir),
            None => {
                let why =
                    "the Rust documentation is not installed (`rustup component add rust-docs`)";
                outcome.skipped = Some(why.into());
                return Ok(outcome);
            }
        },
        SiteSource::Generated(_) => None,
    };
    let ca_file = options.ca_file.as_deref();
    let cmd =
        command(&options.bin_dir, &options.compare, &scenario.site, docs.as_deref(), ca_file)?;
    let site_process = SiteProcess::start(&cmd)?;
    // Written by the site before it printed its URL.
    let tls = match ca_file {
        Some(path) => Tls::new(&read_ca_file(path).map_err(Error::Site)?),
        None => Tls::new(&[]),
    };
    if ca_file.is_some() {
        outcome
            .notes
            .push("over TLS: the site on https, the crawlers given its CA (--ca-file)".into());
    }
    let site_url = site_process.url().clone();
    let (root, site, reference) = match &scenario.site {
        SiteSource::Generated(g) => {
            let site = g.spec_on(site_process.urls()).generate();
            let full = site.expected(&oracle_config(&site_url, None)?);
            let first = site.expected(&oracle_config(&site_url, Some(1))?);
            (site_url.clone(), Some(site), Reference::Oracle { full, first })
        }
        SiteSource::RustDocs | SiteSource::RustDocsNginx => {
            let root = site_url.join(DOCS_ROOT).map_err(|e| Error::Site(e.to_string()))?;
            (root, None, Reference::Peers(None))
        }
    };
    let urls = reference.urls();
    let mut session = Session {
        scenario,
        options,
        progress,
        site: site_process,
        root,
        reference,
        runs: Vec::new(),
        tls,
    };
    for &max_tasks in &scenario.max_tasks {
        let mut ceilings = Vec::new();
        for round in 1..=options.runs {
            if scenario.ceiling == Ceiling::FetchOnly {
                for _ in 0..FETCH_ONLY_PASSES {
                    ceilings.push(session.fetch_only(&urls, max_tasks, round)?);
                }
            }
            for model in options.models.iter().filter(|m| takes_part(scenario, m)) {
                session.run(model, max_tasks, round, Kind::Run)?;
            }
        }
        if scenario.rss_per_fetch {
            for model in &options.models {
                session.run(model, max_tasks, 1, Kind::Baseline)?;
            }
        }
        let summaries: Vec<Summary> = options
            .models
            .iter()
            .filter_map(|m| Summary::of(&session.runs, m.name, max_tasks))
            .collect();
        let (ideal, mut notes) = match scenario.ceiling {
            Ceiling::FetchOnly => (
                ceilings.iter().copied().reduce(f64::min),
                vec![format!(
                    "ideal = a fetch-only pass over the oracle's {} URLs (no parsing), {max_tasks} \
                     connections (kept alive where the site allows), the fastest of {}",
                    urls.len(),
                    ceilings.len()
                )],
            ),
            Ceiling::Ideal => match scenario.polite {
                None => (
                    site.as_ref().map(|s| s.ideal_secs(max_tasks)),
                    vec![format!(
                        "ideal = the oracle's lower bound, Site::ideal_secs({max_tasks})"
                    )],
                ),
                Some(polite) => (
                    match &site {
                        Some(site) => {
                            Some(site.ideal_for(&polite_config(&session.root, max_tasks, polite)?))
                        }
                        None => None,
                    },
                    vec![format!(
                        "ideal = the polite oracle's crawl, Site::ideal_for(--max-tasks \
                         {max_tasks} {})",
                        polite.args().join(" ")
                    )],
                ),
            },
            Ceiling::None => (None, Vec::new()),
            Ceiling::Wget2 => match summaries.iter().find(|s| s.model == "wget2") {
                Some(wget2) => (
                    Some(wget2.wall_secs),
                    vec![
                        "ideal = wget2's wall time in this run (--max-threads the same): \
                         ideal/actual above 1.00 is faster than wget2"
                            .into(),
                    ],
                ),
                None => (None, vec!["wget2 did not run (add --peers): no time to beat".into()]),
            },
        };
        if scenario.rss_per_fetch {
            notes.push(format!(
                "RSS/fetch = (peak RSS - peak RSS of a --max-tasks 1 --max-pages 1 run) / \
                 {max_tasks}: a task, its worker (a thread or a future) and its fetch"
            ));
            notes.push(format!(
                "kernel/fetch = the same for kernel stacks ({KERNEL_STACK_KIB} KiB a thread), page \
                 tables (VmPTE) and half the machine's socket memory growth (slab + TCP \
                 buffers; the other half is the test site's end); total = RSS + kernel"
            ));
        }
        if let Some(name) = session.reference.peer() {
            notes.push(format!(
                "no oracle: every run checked against the first clean run, {name}'s"
            ));
        }
        outcome.levels.push(Level { max_tasks, summaries, ideal, notes });
    }
    outcome.runs = session.runs;
    if let Some(counts) = session.site.stop() {
        outcome.notes.push(format!("test site: {counts}"));
    }
    Ok(outcome)
}

/// The configuration the models run with (the contract's defaults), as the oracle needs it.
/// The configuration of a polite crawl from `root`, for the oracle's ideal.
fn polite_config(root: &Url, max_tasks: usize, polite: Polite) -> Result<Config, Error> {
    Config::builder([root.as_str()])
        .max_tasks(max_tasks)
        .max_per_host(polite.max_per_host)
        .delay(Duration::from_millis(polite.delay_ms))
        .build()
        .map_err(|e| Error::Site(e.to_string()))
}

fn oracle_config(root: &Url, max_pages: Option<usize>) -> Result<Config, Error> {
    Config::builder([root.as_str()])
        .max_pages(max_pages)
        .build()
        .map_err(|e| Error::Site(e.to_string()))
}
