//! `coroutine`: crawl with tasks on tokio. See `coroutine --help` and contract.md.

use coroutine::{Http, Options, Runtime};

/// The flags of this model, beside the contract's.
#[derive(Debug, Clone, clap::Args)]
struct Flags {
    /// The tokio runtime: one thread (the seen-set a `RefCell`) or one per core (a `Mutex`).
    #[arg(long, value_enum, default_value_t = Runtime::CurrentThread)]
    runtime: Runtime,
    /// The HTTP stack: reqwest, or the shared HTTP/1.1 codec over tokio's `TcpStream`.
    #[arg(long, value_enum, default_value_t = Http::Reqwest)]
    http: Http,
}

fn main() -> std::process::ExitCode {
    shared::cli::main_with(|config, flags: Flags| {
        coroutine::crawl_with(config, Options { runtime: flags.runtime, http: flags.http })
    })
}
