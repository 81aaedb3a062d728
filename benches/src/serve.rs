//! `compare --serve-site`: serves a generated site the `testsite` binary has no flags for (a
//! page size other than the default), in a process of its own, as the binary does.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use testsite::{Latency, SiteSpec};

/// The hidden first argument that makes `compare` a site server.
pub const SERVE_FLAG: &str = "--serve-site";

/// The flags of `compare --serve-site` (the `testsite` binary's, plus `--page-size`).
#[derive(Debug, Parser)]
struct ServeArgs {
    /// HTML pages to generate.
    #[arg(long)]
    pages: usize,
    /// Size each page is padded to, in bytes.
    #[arg(long)]
    page_size: usize,
    /// Latency of each request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Close every connection after its response (as `testsite --no-keep-alive`).
    #[arg(long)]
    no_keep_alive: bool,
    /// Serve over TLS, with a CA generated at start (as `testsite --tls`).
    #[arg(long)]
    tls: bool,
    /// With --tls, where to write the CA's certificate.
    #[arg(long, requires = "tls")]
    ca_out: Option<std::path::PathBuf>,
}

/// Serves the site on 127.0.0.1 (a free port), prints its URL as the first line of stdout, and
/// serves until stdin is closed; then prints the counts on stderr, worded as `testsite` does.
/// `args` starts with [`SERVE_FLAG`].
pub fn serve_main(args: &[OsString]) -> ExitCode {
    let args = match ServeArgs::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{}", shared::cli::usage_error_line(&e));
            return ExitCode::from(shared::cli::EXIT_USAGE);
        }
    };
    // A crawl with `--max-tasks 10000` holds 10,000 connections to this server at once.
    if let Err(e) = testsite::raise_fd_limit() {
        eprintln!("warning: cannot raise the limit on open files: {e}");
    }
    let spec = SiteSpec {
        seed: args.seed,
        latency: Latency::Fixed(Duration::from_millis(args.latency_ms)),
        page_size: args.page_size,
        ..SiteSpec::with_pages(args.pages)
    };
    let mut site = spec.generate();
    if args.no_keep_alive {
        site = site.without_keep_alive();
    }
    if args.tls {
        let authority = testsite::tls::Authority::generate();
        if let Some(path) = &args.ca_out
            && let Err(e) = std::fs::write(path, authority.ca_pem())
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        site = site.tls(&authority);
    }
    let server = match site.serve("127.0.0.1:0") {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", server.url()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::from(2);
    }
    // Blocks until the harness closes our stdin (or exits): that is the stop signal.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    eprintln!("{}", server.summary());
    ExitCode::SUCCESS
}
