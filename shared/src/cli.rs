//! The `main` of every crawler binary: parse [`Args`], set up logging and Ctrl-C, crawl (with a
//! progress line on a terminal), print the report. A model's `main.rs` is one call: `shared::cli::main(threads::crawl)`, or
//! [`main_with`] for a model with flags of its own beside the contract's.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

use indicatif::{ProgressBar, ProgressStyle};

use crate::progress::Snapshot;
use crate::{Args, Config, Progress, Report};

/// Exit status for bad arguments.
pub const EXIT_USAGE: u8 = 2;
/// Exit status after Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs a crawler binary with `crawl` as its model.
///
/// The soft limit on open files is raised to the hard limit first, so that `--max-tasks` can
/// reach the thousands. Bad arguments print one line on stderr and exit 2. The first Ctrl-C
/// fires [`Config::stop`]: the model stops taking URLs, the partial report is printed and the
/// process exits 130. A second Ctrl-C exits at once.
pub fn main(crawl: fn(&Config) -> Report) -> ExitCode {
    main_with(|config, NoFlags {}| Ok(crawl(config)))
}

/// No flags beyond the contract's.
#[derive(Debug, Clone, clap::Args)]
pub struct NoFlags {}

/// The command line of a model: the contract's [`Args`], then the model's own flags `M`.
///
/// Its name is the binary's, set when it is parsed ([`parse_with`]): defined here, clap would
/// name it after this crate, and `threads --version` would print `shared 0.1.0`.
// `long_about = None`: `--help` shows the `about` line, not this doc comment.
#[derive(Debug, clap::Parser)]
#[command(
    version,
    about = "Crawl a web site from one or more roots and report every URL.",
    long_about = None
)]
struct Cli<M: clap::Args> {
    #[command(flatten)]
    args: Args,
    #[command(flatten)]
    model: M,
}

/// [`main`] for a model with flags of its own (`M`, a `clap::Args`), which `crawl` is given
/// beside the [`Config`]. `crawl` may refuse a combination of flags with `Err(message)`: one
/// line on stderr, exit 2, as for any bad argument.
pub fn main_with<M: clap::Args>(
    crawl: impl FnOnce(&Config, M) -> Result<Report, String>,
) -> ExitCode {
    run(std::env::args_os(), crawl)
}

/// [`main_with`] on the command line `argv`: `crawl` is called only once every argument has
/// been validated, so a malformed root never reaches a resolver.
fn run<M: clap::Args>(
    argv: impl IntoIterator<Item = OsString>,
    crawl: impl FnOnce(&Config, M) -> Result<Report, String>,
) -> ExitCode {
    let (config, model) = match parse_with::<M, _, _>(argv) {
        Ok(parsed) => parsed,
        Err(exit) => {
            if exit.code == 0 {
                print!("{}", exit.message);
            } else {
                eprintln!("{}", exit.message);
            }
            return ExitCode::from(exit.code);
        }
    };
    let line = ProgressLine::start(config.progress(), config.verbosity());
    init_logging_above(config.verbosity(), line.bar.clone());
    // `--max-tasks 10000` needs 10,000 sockets at once, ten times the usual soft limit on open
    // files; the hard limit is usually far higher, and raising up to it needs no privilege.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the limit on open files: {e}");
    }
    let stop = config.stop().clone();
    let bar = line.bar.clone();
    let handler = ctrlc::set_handler(move || {
        if stop.is_triggered() {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
        bar.suspend(|| {
            eprintln!("interrupted: taking no new URLs; printing the report of what is done");
        });
        stop.trigger();
    });
    if let Err(e) = handler {
        tracing::warn!("Ctrl-C will not print a partial report: {e}");
    }
    let crawled = crawl(&config, model);
    line.finish();
    let report = match crawled {
        Ok(report) => report,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let out = if config.json() { report.json_lines() } else { report.text() };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
    if report.interrupted { ExitCode::from(EXIT_INTERRUPTED) } else { ExitCode::SUCCESS }
}

/// Why the binary exits before crawling: `--help` or `--version` (code 0, the text for stdout)
/// or bad arguments (code 2, one line for stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The process exit status.
    pub code: u8,
    /// What to print.
    pub message: String,
}

/// Parses the command line into a [`Config`], or says how to exit instead.
pub fn parse<I, T>(argv: I) -> Result<Config, Exit>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    parse_with::<NoFlags, I, T>(argv).map(|(config, NoFlags {})| config)
}

/// Parses the command line into a [`Config`] and the model's own flags `M`, or says how to
/// exit instead.
///
/// The program is named after `argv[0]`'s file name (`target/release/threads` is `threads`),
/// in `--version` as in the usage line.
pub fn parse_with<M, I, T>(argv: I) -> Result<(Config, M), Exit>
where
    M: clap::Args,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let mut command = Cli::<M>::command();
    if let Some(name) = argv.first().and_then(program_name) {
        command = command.display_name(name);
    }
    let parsed = command.try_get_matches_from_mut(argv).and_then(|matches| {
        Cli::<M>::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            return Err(Exit { code: 0, message: e.render().to_string() });
        }
        Err(e) => return Err(Exit { code: EXIT_USAGE, message: usage_error_line(&e) }),
    };
    let config = Config::try_from(cli.args)
        .map_err(|e| Exit { code: EXIT_USAGE, message: format!("error: {e}") })?;
    Ok((config, cli.model))
}

/// A bad command line, as every binary of the workspace prints it: clap's first paragraph on
/// one line ("error: ... <ROOT>...", the good values included, without the usage), then
/// "(see --help)".
pub fn usage_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    format!("{} (see --help)", first.join(" "))
}

/// The name of the program started as `program` (`argv[0]`): its file name without extension
/// (`target/release/threads` and `threads.exe` are `threads`).
fn program_name(program: &OsString) -> Option<String> {
    Some(Path::new(program).file_stem()?.to_str()?.to_string())
}

/// Logging on stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace, `-q` errors
/// only, `-qq` nothing.
pub fn init_logging(verbosity: i8) {
    init_logging_above(verbosity, ProgressBar::hidden());
}

/// [`init_logging`], each line printed above the progress line `bar` (which is redrawn under
/// it) rather than across it.
fn init_logging_above(verbosity: i8, bar: ProgressBar) {
    use tracing::level_filters::LevelFilter;
    let level = match verbosity {
        i8::MIN..=-2 => LevelFilter::OFF,
        -1 => LevelFilter::ERROR,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(AboveLine(bar))
        // Colours only on a terminal: a log piped to a file or a test reads as plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// The progress line on stderr while the crawl runs: URLs done, queued and in flight, and the
/// rate over the last seconds, redrawn five times a second by a thread of its own.
///
/// Drawn only when stderr is a terminal and the log is not quietened (`-q`): a report piped to
/// a file, a log, a test or the benchmark harness gets not one byte of it. Hidden, every call is
/// a no-op.
struct ProgressLine {
    bar: ProgressBar,
    /// Dropping it tells the drawing thread to stop.
    stop: Option<mpsc::Sender<()>>,
    drawer: Option<JoinHandle<()>>,
}

/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(200);
/// The rate shown is over this much of the recent past.
const RATE_WINDOW: Duration = Duration::from_secs(2);

impl ProgressLine {
    fn start(progress: &Progress, verbosity: i8) -> ProgressLine {
        let hidden = ProgressLine { bar: ProgressBar::hidden(), stop: None, drawer: None };
        if verbosity < 0 || !std::io::stderr().is_terminal() {
            return hidden;
        }
        let bar = ProgressBar::new_spinner();
        // The template is a constant known to parse; a failure would only lose the styling.
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}") {
            bar.set_style(style);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let (progress, drawn) = (progress.clone(), bar.clone());
        let drawer = std::thread::Builder::new().name("progress".into()).spawn(move || {
            // (when, done) a moment ago, for the recent rate.
            let mut past: std::collections::VecDeque<(Instant, usize)> = Default::default();
            loop {
                let now = progress.snapshot();
                past.push_back((Instant::now(), now.done));
                while past.len() > 2 && past[1].0.elapsed() >= RATE_WINDOW {
                    past.pop_front();
                }
                let (since, then) = past[0];
                let secs = since.elapsed().as_secs_f64();
                let rate = if secs > 0.0 { (now.done - then) as f64 / secs } else { 0.0 };
                drawn.set_message(progress_text(now, rate));
                drawn.tick();
                match stopped.recv_timeout(REDRAW) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        match drawer {
            Ok(drawer) => ProgressLine { bar, stop: Some(stop), drawer: Some(drawer) },
            Err(e) => {
                tracing::debug!("no progress line: {e}");
                hidden
            }
        }
    }

    /// Stops drawing and clears the line, so the report starts on a clean terminal.
    fn finish(mut self) {
        drop(self.stop.take());
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
        self.bar.finish_and_clear();
    }
}

/// The progress line's text.
fn progress_text(now: Snapshot, rate: f64) -> String {
    format!(
        "{} done, {} queued, {} in flight, {rate:.0} URLs/s",
        now.done, now.queued, now.in_flight
    )
}

/// A log writer that prints above the progress line: the line is cleared, the log written, the
/// line drawn again. With the line hidden, it is plain stderr.
#[derive(Clone)]
struct AboveLine(ProgressBar);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for AboveLine {
    type Writer = AboveLine;

    fn make_writer(&'a self) -> AboveLine {
        self.clone()
    }
}

impl Write for AboveLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Whole, under one suspension: one clear and one redraw per log line.
        self.0.suspend(|| std::io::stderr().write_all(buf)).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(argv: &[&str]) -> Exit {
        parse(std::iter::once("threads").chain(argv.iter().copied())).expect_err("must exit")
    }

    /// Bad arguments of every kind exit 2 with exactly one line.
    #[test]
    fn bad_arguments_exit_2_with_one_line() {
        for argv in [
            &[][..],
            &["--bogus", "x.org"],
            &["x.org", "--max-tasks", "many"],
            &["x.org", "--max-tasks", "0"],
            &["ftp://x.org/"],
            &["x.org", "--exclude", "[a-"],
            &["ht!tp://x y"],
            &["ht!tp://x.org/"],
            &["x.org/a b"],
            &["http://x.org/a\tb"],
            &["http://"],
            &["http://ex!ample.org/"],
            &["x.org", "http://a..b/"],
        ] {
            let e = exit(argv);
            assert_eq!(e.code, EXIT_USAGE, "{argv:?}");
            assert_eq!(e.message.lines().count(), 1, "{argv:?}: {}", e.message);
            assert!(e.message.starts_with("error: "), "{}", e.message);
        }
        assert!(exit(&[]).message.contains("<ROOT>"), "names what is missing");
    }

    /// A malformed root stops the binary before the crawl starts, so nothing is resolved: the
    /// model's `crawl` is never called, and the exit status is 2.
    #[test]
    fn malformed_roots_never_reach_the_crawl() {
        for root in ["ht!tp://x y", "ht!tp://x.org/", "x.org/a b", "http://ex!ample.org/"] {
            let argv = ["threads", root].map(OsString::from);
            let code = run(argv, |_, NoFlags {}| panic!("{root:?} reached the crawl"));
            assert_eq!(code, ExitCode::from(EXIT_USAGE), "{root:?}");
        }
    }

    /// --help and --version exit 0 with their text.
    #[test]
    fn help_and_version_exit_0() {
        assert_eq!(exit(&["--help"]).code, 0);
        assert!(exit(&["--help"]).message.contains("--max-tasks"));
        assert_eq!(exit(&["--version"]).code, 0);
    }

    /// --version names the binary that was started, not the crate that defines the command
    /// line: `threads 0.1.0` from `threads`, and so on, whatever its folder.
    #[test]
    fn version_names_the_binary() {
        let version = env!("CARGO_PKG_VERSION");
        for (program, name) in [
            ("threads", "threads"),
            ("target/release/callback", "callback"),
            ("/usr/local/bin/coroutine", "coroutine"),
        ] {
            let exit = parse([program, "--version"]).expect_err("--version exits");
            assert_eq!(exit.message, format!("{name} {version}\n"), "{program}");
        }
        let exit = parse(["threads", "--help"]).expect_err("--help exits");
        assert!(exit.message.contains("Usage: threads "), "{}", exit.message);
        assert!(exit.message.starts_with("Crawl a web site"), "the about line: {}", exit.message);
    }

    /// Good arguments give a Config.
    #[test]
    fn good_arguments_crawl() {
        let config = parse(["threads", "x.org", "--json"]).unwrap();
        assert!(config.json());
    }
}
