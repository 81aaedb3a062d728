//! `testsite`: serves a generated test site (or a folder of files) on 127.0.0.1 until Ctrl-C.
//!
//! ```text
//! cargo run --release -p testsite -- --pages 1000 --latency-ms 20 --port 8080
//! cargo run --release -p testsite -- --dir ./my-saved-site
//! cargo run --release -p testsite -- --tls --ca-out ca.pem    # https; crawl with --ca-file ca.pem
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use testsite::{Fault, Latency, Site, SiteSpec};

/// Serve a deterministic test site on 127.0.0.1 for the crawlers to crawl.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// HTML pages to generate.
    #[arg(long, default_value_t = 1000)]
    pages: usize,
    /// Seed of the generated site: the same seed, the same site.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Latency of each request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// With --latency-ms, each path waits a seeded time between --latency-ms and this.
    #[arg(long)]
    latency_max_ms: Option<u64>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Serve the files under this folder instead of a generated site. Every file is read into
    /// memory first (the Rust docs: 660 MB in 51,906 files, about 8 s, and as much RSS), so
    /// that a crawl measures the crawler, not the disk or the page cache.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Serve over TLS (https), with a certificate for localhost and 127.0.0.1 from a CA
    /// generated at start.
    #[arg(long)]
    tls: bool,
    /// Close every connection after its response (`Connection: close`): each request comes on
    /// a new connection, and over --tls makes a handshake.
    #[arg(long)]
    no_keep_alive: bool,
    /// Serve only a gzip bomb at /: a valid gzip body of about BYTES/1000 that inflates to
    /// BYTES of zeros (whole MiB), sent whatever the request asks (a crawler must cut it at
    /// its cap).
    #[arg(long, value_name = "BYTES", conflicts_with = "dir")]
    gzip_bomb: Option<u64>,
    /// Send pages in this content coding to requests that accept it (bodies are encoded at
    /// their first request, then kept).
    #[arg(long, value_name = "CODING")]
    compress: Option<testsite::compress::Coding>,
    /// With --tls, write the CA's certificate (PEM) to FILE, for the crawler's --ca-file
    /// [default: a file in the temporary folder, removed at exit].
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Serve the generated site on N ports (free ones), page i on the (i mod N)-th, every link
    /// naming its page's port: N hosts to --max-per-host and --delay, one to the host policy.
    /// The first line printed is then the N URLs, the root's first.
    #[arg(long, default_value_t = 1, value_name = "N", conflicts_with_all = ["dir", "gzip_bomb"])]
    hosts: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A crawl with `--max-tasks 10000` holds 10,000 connections to this server at once.
    if let Err(e) = testsite::raise_fd_limit() {
        eprintln!("warning: cannot raise the limit on open files: {e}");
    }
    let min = Duration::from_millis(cli.latency_ms);
    let latency = match cli.latency_max_ms {
        Some(max) if max > cli.latency_ms => {
            Latency::Uniform { min, max: Duration::from_millis(max) }
        }
        _ => Latency::Fixed(min),
    };
    // Several hosts: their ports are taken first, since every link names one.
    let sockets = if cli.hosts > 1 {
        match testsite::bind_ports(cli.hosts) {
            Ok(sockets) => sockets,
            Err(e) => {
                eprintln!("error: cannot bind {} ports on 127.0.0.1: {e}", cli.hosts);
                return ExitCode::from(2);
            }
        }
    } else {
        Vec::new()
    };
    let scheme = if cli.tls { "https" } else { "http" };
    let hosts: Vec<String> =
        sockets.iter().map(|(_, port)| format!("{scheme}://127.0.0.1:{port}")).collect();
    let site = match &cli.dir {
        // Every file is read into memory before the server starts: a large folder (the Rust
        // docs) takes seconds, which these two lines account for. Both go to stderr, so that
        // stdout's first line is still the URL.
        Some(dir) => {
            eprintln!("reading every file under {} into memory...", dir.display());
            let started = Instant::now();
            match Site::from_dir(dir) {
                Ok(site) => {
                    eprintln!(
                        "read {} in {:.1} s: {} resources",
                        dir.display(),
                        started.elapsed().as_secs_f64(),
                        site.len()
                    );
                    site.with_latency(latency)
                }
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
        }
        None => match cli.gzip_bomb {
            Some(inflated) => Site::new().fault("/", Fault::GzipBomb { inflated }),
            None => SiteSpec { seed: cli.seed, latency, hosts, ..SiteSpec::with_pages(cli.pages) }
                .generate(),
        },
    };
    // Ready for Ctrl-C before the URL is printed: a reader of the first line (a test, `compare`,
    // a user's script) may send SIGINT the moment it has it, and must get the summary and exit 0,
    // not a process killed by the signal's default action.
    let (tx, interrupted) = std::sync::mpsc::channel();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = tx.send(());
    }) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let site = if cli.no_keep_alive { site.without_keep_alive() } else { site };
    let site = match cli.compress {
        Some(coding) => site.compressed(coding),
        None => site,
    };
    // The generated CA's certificate, where the crawler can read it before the URL is printed;
    // removed at exit unless the user named the file.
    let mut remove_at_exit = None;
    let site = if cli.tls {
        let authority = testsite::tls::Authority::generate();
        let path = cli.ca_out.clone().unwrap_or_else(|| {
            let path = std::env::temp_dir().join(format!("testsite-{}-ca.pem", std::process::id()));
            remove_at_exit = Some(path.clone());
            path
        });
        if let Err(e) = std::fs::write(&path, authority.ca_pem()) {
            eprintln!("error: cannot write the CA certificate to {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!("CA certificate in {}: crawl with --ca-file {0}", path.display());
        site.tls(&authority)
    } else {
        site
    };
    let servers = if sockets.is_empty() {
        site.serve(&format!("127.0.0.1:{}", cli.port))
            .map(|server| vec![server])
            .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", cli.port))
    } else {
        sockets
            .into_iter()
            .map(|(socket, _)| site.serve_socket(socket))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot serve: {e}"))
    };
    let servers = match servers {
        Ok(servers) => servers,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let urls: Vec<String> = servers.iter().map(|s| s.url().to_string()).collect();
    println!("{}", urls.join(" "));
    eprintln!("serving {} resources; Ctrl-C to stop", site.len());
    if cli.dir.is_none() && cli.gzip_bomb.is_none() {
        let ideal: Vec<String> = [1, 10, 100, 1_000, 10_000]
            .iter()
            .map(|&n| format!("{:.3}", site.ideal_secs(n)))
            .collect();
        eprintln!("ideal crawl time at --max-tasks 1/10/100/1000/10000: {} secs", ideal.join("/"));
    }
    let _ = interrupted.recv();
    for server in &servers {
        if servers.len() > 1 {
            eprintln!("{}:", server.url());
        }
        eprintln!("{}", server.summary());
        eprintln!(
            "{} body bytes sent; {} responses compressed; {} TLS handshakes resumed",
            server.body_bytes(),
            server.compressed_responses(),
            server.resumed_handshakes()
        );
    }
    if servers.len() > 1 {
        // Last, so that a reader of the last "stopped after" line (compare) sees all hosts.
        eprintln!(
            "stopped after {} requests on {} connections to {} hosts, at most {} in flight at once on one",
            servers.iter().map(|s| s.total_requests()).sum::<usize>(),
            servers.iter().map(|s| s.connections()).sum::<usize>(),
            servers.len(),
            servers.iter().map(|s| s.peak_in_flight()).max().unwrap_or(0)
        );
    }
    if let Some(path) = remove_at_exit {
        let _ = std::fs::remove_file(path);
    }
    ExitCode::SUCCESS
}
