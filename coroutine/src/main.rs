//! `coroutine`: crawl with tasks on tokio, or on the hand-made runtime. See `coroutine --help`
//! and docs/contract.md.

use coroutine::{Http, Options, Runtime};

/// The flags of this model, beside the contract's.
#[derive(Debug, Clone, clap::Args)]
struct Flags {
    /// The runtime: tokio on one thread (the seen-set a `RefCell`), tokio on one thread per
    /// core (a `Mutex`), or the hand-made executor on the callback model's event loop.
    #[arg(long, value_enum, default_value_t = Runtime::CurrentThread)]
    runtime: Runtime,
    /// The HTTP stack: reqwest, or the shared HTTP/1.1 codec over the runtime's sockets
    /// [default: reqwest on tokio, shared on handmade]
    #[arg(long, value_enum)]
    http: Option<Http>,
}

fn main() -> std::process::ExitCode {
    shared::cli::main_with(|config, flags: Flags| {
        let options = Options::new(flags.runtime, flags.http)?;
        Ok(coroutine::crawl_with(config, options))
    })
}
