//! The `main` of every crawler binary: parse [`Args`], set up logging and Ctrl-C, crawl, print
//! the report. A model's `main.rs` is one call: `shared::cli::main(threads::crawl)`.

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
/// Bad arguments print one line on stderr and exit 2. The first Ctrl-C fires
/// [`Config::stop`]: the model stops taking URLs, the partial report is printed and the process
/// exits 130. A second Ctrl-C exits at once.
pub fn main(crawl: fn(&Config) -> Report) -> ExitCode {
    let config = match parse(std::env::args_os()) {
        Ok(config) => config,
        Err(code) => return code,
    };
    init_logging(config.verbosity);
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
    let report = crawl(&config);
    let out = if config.json { report.json_lines() } else { report.text() };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
    if report.interrupted { ExitCode::from(EXIT_INTERRUPTED) } else { ExitCode::SUCCESS }
}

/// Parses the command line into a [`Config`]; on error prints one line (or the help) and gives
/// the exit code.
pub fn parse<I, T>(argv: I) -> Result<Config, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return Err(ExitCode::SUCCESS);
        }
        Err(e) => {
            let text = e.render().to_string();
            // clap's first paragraph, on one line: "error: ... <ROOT>..." without the usage.
            let first: Vec<&str> = text
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!("{} (see --help)", first.join(" "));
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };
    Config::try_from(args).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_USAGE)
    })
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
        .with_target(false)
        .try_init();
}
