//! `callback`: crawl with one thread and an event loop. See `callback --help` and docs/contract.md.

fn main() -> std::process::ExitCode {
    shared::cli::main(callback::crawl)
}
