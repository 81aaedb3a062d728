//! The `main` of every crawler binary: parse [`Args`], set up logging and Ctrl-C, crawl, print
//! the report. A model's `main.rs` is one call: `shared::cli::main(threads::crawl)`, or
//! [`main_with`] for a model with flags of its own beside the contract's.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::{Args, Config, Report};

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
#[derive(Debug, Parser)]
#[command(version, about = "Crawl a web site from one or more roots and report every URL.")]
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
    let (config, model) = match parse_with::<M, _, _>(std::env::args_os()) {
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
    init_logging(config.verbosity);
    // `--max-tasks 10000` needs 10,000 sockets at once, ten times the usual soft limit on open
    // files; the hard limit is usually far higher, and raising up to it needs no privilege.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the limit on open files: {e}");
    }
    let stop = config.stop.clone();
    let handler = ctrlc::set_handler(move || {
        if stop.is_triggered() {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
        eprintln!("interrupted: taking no new URLs; printing the report of what is done");
        stop.trigger();
    });
    if let Err(e) = handler {
        tracing::warn!("Ctrl-C will not print a partial report: {e}");
    }
    let report = match crawl(&config, model) {
        Ok(report) => report,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let out = if config.json { report.json_lines() } else { report.text() };
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
pub fn parse_with<M, I, T>(argv: I) -> Result<(Config, M), Exit>
where
    M: clap::Args,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::<M>::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            return Err(Exit { code: 0, message: e.render().to_string() });
        }
        Err(e) => {
            // clap's first paragraph, on one line: "error: ... <ROOT>..." without the usage.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            return Err(Exit {
                code: EXIT_USAGE,
                message: format!("{} (see --help)", first.join(" ")),
            });
        }
    };
    let config = Config::try_from(cli.args)
        .map_err(|e| Exit { code: EXIT_USAGE, message: format!("error: {e}") })?;
    Ok((config, cli.model))
}

/// Logging on stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace, `-q` errors
/// only, `-qq` nothing.
pub fn init_logging(verbosity: i8) {
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
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log piped to a file or a test reads as plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
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
        ] {
            let e = exit(argv);
            assert_eq!(e.code, EXIT_USAGE, "{argv:?}");
            assert_eq!(e.message.lines().count(), 1, "{argv:?}: {}", e.message);
            assert!(e.message.starts_with("error: "), "{}", e.message);
        }
        assert!(exit(&[]).message.contains("<ROOT>"), "names what is missing");
    }

    /// --help and --version exit 0 with their text.
    #[test]
    fn help_and_version_exit_0() {
        assert_eq!(exit(&["--help"]).code, 0);
        assert!(exit(&["--help"]).message.contains("--max-tasks"));
        assert_eq!(exit(&["--version"]).code, 0);
    }

    /// Good arguments give a Config.
    #[test]
    fn good_arguments_crawl() {
        let config = parse(["threads", "x.org", "--json"]).unwrap();
        assert!(config.json);
    }
}
