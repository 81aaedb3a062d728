//! [`compare`]: the whole of a `compare` run: find the binaries, print the header, run each
//! scenario and print its tables as soon as it ends, then write the JSON file and the SVG.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use crate::chart::{self, Chart, Line, Point};
use crate::fresh::Built;
use crate::harness::{self, ScenarioResult, run_scenario, steps};
use crate::machine::Machine;
use crate::models::{self, MODELS, PEERS};
use crate::progress::RunProgress;
use crate::record::write_json;
use crate::scenario::{self, ScenarioName};
use crate::site::TESTSITE;
use crate::table::{Table, scenario_table, sweep_table, tls_cost_table};
use crate::{Error, Model};

/// What `compare`'s command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareOptions {
    /// `--scenario`: one, or `all`.
    pub scenario: ScenarioName,
    /// `--runs`: runs per model.
    pub runs: NonZeroUsize,
    /// `--models`: some of the contenders (models or peers), or every model.
    pub models: Option<Vec<Model>>,
    /// `--markdown`: Markdown tables instead of fixed-width text.
    pub markdown: bool,
    /// `--json FILE`: every run's raw numbers.
    pub json: Option<PathBuf>,
    /// `--svg FILE`: the charts.
    pub svg: Option<PathBuf>,
    /// `--peers`: also run the real crawlers of [`PEERS`](crate::models::PEERS) that are
    /// installed.
    pub peers: bool,
    /// `--tls`: every scenario's site served over TLS.
    pub tls: bool,
    /// `--tls-cost`: every scenario run plain, then over TLS, and a table of what TLS costs.
    pub tls_cost: bool,
}

/// Runs the comparison, printing as it goes; `Ok(false)` when some run reported wrong.
pub fn compare(options: &CompareOptions) -> Result<bool, Error> {
    let scenarios = scenario::select(options.scenario);
    let (models, peer_notes) = models::select(options.models.as_deref(), options.peers)?;
    let runs = options.runs.get();
    let compare =
        std::env::current_exe().map_err(|e| Error::io("cannot find compare itself", e))?;
    let bin_dir = compare.parent().map(Path::to_path_buf).unwrap_or_default();
    build_binaries(&bin_dir)?;
    find_binaries(&bin_dir, &models)?;
    let built = fresh_binaries(&bin_dir, &models)?;
    // The site server and the models raise their own limits; this one is inherited by both,
    // and the fetch-only pass runs here.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: cannot raise the limit on open files: {e}");
    }
    let machine = Machine::detect();
    // Each TLS site writes its generated CA here; removed when the comparison ends.
    let ca = std::env::temp_dir().join(format!("compare-{}-ca.pem", std::process::id()));
    let _remove = RemoveOnDrop((options.tls || options.tls_cost).then(|| ca.clone()));
    let transports = match (options.tls, options.tls_cost) {
        (_, true) => vec![None, Some(ca)],
        (true, false) => vec![Some(ca)],
        (false, false) => vec![None],
    };
    let plans: Vec<harness::Plan> = transports
        .into_iter()
        .map(|ca_file| harness::Plan {
            runs,
            models: models.clone(),
            bin_dir: bin_dir.clone(),
            compare: compare.clone(),
            ca_file,
        })
        .collect();
    let steps_of = |s: &scenario::Scenario| plans.iter().map(|plan| steps(s, plan)).sum::<u64>();
    let progress = RunProgress::new(scenarios.iter().map(steps_of).sum());
    progress.print(&header(&machine, &built, options.markdown));
    for note in &peer_notes {
        progress.note(note);
    }
    let show = |tables: Vec<Table>| {
        let text: Vec<String> =
            tables.iter().map(|t| if options.markdown { t.markdown() } else { t.text() }).collect();
        progress.print(&(text.join("\n") + "\n"));
    };
    let mut outcomes = Vec::new();
    for scenario in &scenarios {
        let mut pair = Vec::new();
        for plan in &plans {
            let outcome = match run_scenario(scenario, plan, &progress) {
                Ok(outcome) => outcome,
                // Nothing after this would go better.
                Err(e @ (Error::MissingBinary { .. } | Error::Usage(_))) => return Err(e),
                // The next scenario has a site of its own: say what went wrong, and go on.
                Err(e) => {
                    progress.note(&format!("error: scenario {}: {e}", scenario.name));
                    ScenarioResult {
                        tls: plan.ca_file.is_some(),
                        ..ScenarioResult::failed(scenario, &e)
                    }
                }
            };
            show(tables(&outcome, runs));
            pair.push(outcome);
        }
        if let [plain, tls] = &pair[..] {
            show(tls_cost_tables(plain, tls, runs));
        }
        outcomes.extend(pair);
    }
    progress.finish();
    if let Some(path) = &options.json {
        let runs: Vec<_> = outcomes.iter().flat_map(|o| o.runs.iter().cloned()).collect();
        write_json(path, &machine, &runs)?;
    }
    if let Some(path) = &options.svg {
        chart::draw(path, &charts(&outcomes))?;
    }
    Ok(outcomes.iter().all(ScenarioResult::ok))
}

/// Removes a file when dropped.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// When `compare` was started by `cargo run` (which sets `CARGO`), builds the crawler binaries
/// in its own profile, every time: `compare` measures the code in the work tree, and a build of
/// binaries that are current costs a second. Not when `COMPARE_NO_BUILD` is set (the tests,
/// which run inside a cargo of their own that holds the build folder's lock), nor when started
/// by hand: then [`fresh_binaries`] refuses binaries older than their sources.
fn build_binaries(bin_dir: &Path) -> Result<(), Error> {
    let Some(cargo) = std::env::var_os("CARGO") else { return Ok(()) };
    if std::env::var_os("COMPARE_NO_BUILD").is_some() {
        return Ok(());
    }
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "--workspace", "--bins"]);
    // `cargo run` gave this process its package's variables (`CARGO_MANIFEST_DIR` and the
    // like). Passed on, they change the environment some build scripts (ring's) watch, and the
    // build would redo them every time, then again at the next top-level build.
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if name_str.starts_with("CARGO_")
            && name_str != "CARGO_HOME"
            && name_str != "CARGO_TARGET_DIR"
        {
            build.env_remove(&name);
        }
    }
    let release = bin_dir.ends_with("release");
    if release {
        build.arg("--release");
    }
    let profile = if release { " --release" } else { "" };
    eprintln!("building the crawler binaries: cargo build --workspace --bins{profile}");
    let status = build.status().map_err(|e| Error::io("running cargo build", e))?;
    if !status.success() {
        return Err(Error::Usage(format!("building the crawler binaries failed: {status}")));
    }
    Ok(())
}

/// Checks that every binary the run needs is in `bin_dir`: they must come from the same build
/// (profile and commit) as `compare`. Started by `cargo run`, `compare` builds them first if
/// they are missing; otherwise the error says how.
pub fn find_binaries(bin_dir: &Path, models: &[Model]) -> Result<(), Error> {
    let names = std::iter::once(TESTSITE).chain(models.iter().filter_map(|m| m.program.binary()));
    for name in names {
        if !bin_dir.join(name).is_file() {
            return Err(Error::MissingBinary { name: name.into(), dir: bin_dir.to_path_buf() });
        }
    }
    Ok(())
}

/// The binaries a run uses and when each was built; an error if one was built before a source
/// file it comes from changed (it would measure code that is no longer in the work tree).
pub fn fresh_binaries(bin_dir: &Path, models: &[Model]) -> Result<Vec<Built>, Error> {
    let mut names: Vec<&str> = Vec::new();
    // Each binary once: several models run the same one (threads-ureq and threads-shared).
    for name in std::iter::once(TESTSITE).chain(models.iter().filter_map(|m| m.program.binary())) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let built: Vec<Built> = names.into_iter().filter_map(|name| Built::of(bin_dir, name)).collect();
    if let Some(stale) = built.iter().find(|b| b.newer_source.is_some()) {
        let source = stale.newer_source.as_deref().unwrap_or(Path::new("?"));
        let build = if bin_dir.ends_with("release") { "--release " } else { "" };
        return Err(Error::Usage(format!(
            "{} is older than {}, which it is built from: it would measure code that is no \
             longer there; start compare with `cargo run {build}--` or run `cargo build \
             {build}--workspace --bins` first",
            bin_dir.join(&stale.name).display(),
            source.display()
        )));
    }
    Ok(built)
}

/// The lines above the tables: the machine, the binaries and when they were built, and the
/// command that made them.
fn header(machine: &Machine, built: &[Built], markdown: bool) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = format!("compare {}", args.join(" ")).trim_end().to_string();
    let binaries: Vec<String> = built.iter().map(Built::describe).collect();
    let binaries = format!("Binaries: {}", binaries.join(", "));
    if markdown {
        format!("{}\n\n{binaries}\n\nCommand: `{command}`\n\n", machine.line())
    } else {
        format!("{}\n{binaries}\nCommand: {command}\n\n", machine.line())
    }
}

/// The tables of a scenario: one per level, and for a sweep the summary of all levels. A
/// skipped scenario is a title and its reason.
pub fn tables(outcome: &ScenarioResult, runs: usize) -> Vec<Table> {
    let s = &outcome.scenario;
    let stopped = match (&outcome.skipped, &outcome.error) {
        (Some(why), _) => Some(format!("{}: skipped: {why}", outcome.name())),
        (_, Some(error)) => Some(format!("{}: FAILED: {error}", outcome.name())),
        _ => None,
    };
    if let Some(title) = stopped {
        return vec![Table { title, columns: Vec::new(), rows: Vec::new(), notes: Vec::new() }];
    }
    let mut tables: Vec<Table> = outcome
        .levels
        .iter()
        .map(|level| {
            let title = format!(
                "{} @ --max-tasks {}: {} (median of {runs})",
                outcome.name(),
                level.max_tasks,
                s.about
            );
            let mut table = scenario_table(title, &level.summaries, level.max_tasks, level.ideal);
            table.notes = level.notes.clone();
            table
        })
        .collect();
    if outcome.levels.len() > 1 {
        let levels: Vec<_> =
            outcome.levels.iter().map(|l| (l.max_tasks, l.summaries.clone())).collect();
        let title = format!(
            "{}: pages/s and peak RSS against --max-tasks (median of {runs})",
            outcome.name()
        );
        tables.push(sweep_table(title, &levels));
    }
    if let Some(last) = tables.last_mut() {
        last.notes.extend(outcome.notes.iter().cloned());
    }
    tables
}

/// What TLS costs each model in a scenario run plain and over TLS (`--tls-cost`): a table per
/// level, a row per model, its CPU per page and RSS per in-flight fetch each way.
pub fn tls_cost_tables(plain: &ScenarioResult, tls: &ScenarioResult, runs: usize) -> Vec<Table> {
    let s = &plain.scenario;
    let mut tables = Vec::new();
    for (p, t) in plain.levels.iter().zip(&tls.levels) {
        let title = format!(
            "{} @ --max-tasks {}: what TLS costs, plain and over TLS in the same run (median of {runs})",
            s.name, p.max_tasks
        );
        let mut notes = vec![
            "TLS - plain = the CPU that TLS adds per page: in `handshakes`, where every page comes \
             on a new connection, the cost of a (resumed) handshake"
                .to_string(),
        ];
        if s.rss_per_fetch {
            notes.push("RSS/fetch as in the scenario's own tables, each way".into());
        }
        let mut table = tls_cost_table(title, &p.summaries, &t.summaries, p.max_tasks);
        table.notes = notes;
        tables.push(table);
    }
    tables
}

/// The charts of every scenario run: a bar chart of wall time for a scenario of one level, the
/// sweep's lines for one of several.
pub fn charts(outcomes: &[ScenarioResult]) -> Vec<Chart> {
    let all = || MODELS.iter().chain(PEERS);
    let color = |model: &str| all().position(|m| m.name == model).unwrap_or(all().count());
    let mut charts = Vec::new();
    for outcome in outcomes.iter().filter(|o| o.skipped.is_none() && o.error.is_none()) {
        let name = outcome.scenario.name;
        match outcome.levels.as_slice() {
            [level] => charts.push(Chart::Bars {
                title: format!("{name}: wall time at --max-tasks {}", level.max_tasks),
                bars: level
                    .summaries
                    .iter()
                    .map(|s| Point {
                        model: s.model.clone(),
                        color: color(&s.model),
                        value: s.wall_secs,
                    })
                    .collect(),
                ideal: level.ideal,
            }),
            levels => {
                let mut lines: Vec<Line> = Vec::new();
                for level in levels {
                    for s in &level.summaries {
                        let point = (level.max_tasks, s.pages_per_sec(), s.max_rss_kib / 1024.0);
                        match lines.iter_mut().find(|l| l.model == s.model) {
                            Some(line) => line.points.push(point),
                            None => lines.push(Line {
                                model: s.model.clone(),
                                color: color(&s.model),
                                points: vec![point],
                            }),
                        }
                    }
                }
                charts.push(Chart::Sweep { title: name.to_string(), lines });
            }
        }
    }
    charts
}
