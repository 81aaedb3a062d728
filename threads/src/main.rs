//! `threads`: crawl with a pool of worker threads. See `threads --help` and docs/contract.md.

/// The flags of this model, beside the contract's.
#[derive(Debug, Clone, clap::Args)]
struct Flags {
    /// The HTTP stack: ureq, or the shared HTTP/1.1 codec over `std::net::TcpStream`.
    #[arg(long, value_enum, default_value_t = threads::Http::Ureq)]
    http: threads::Http,
}

fn main() -> std::process::ExitCode {
    shared::cli::main_with(|config, flags: Flags| Ok(threads::crawl_with(config, flags.http)))
}
