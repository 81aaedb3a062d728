//! `threads`: crawl with a pool of worker threads. See `threads --help` and contract.md.

fn main() -> std::process::ExitCode {
    shared::cli::main(threads::crawl)
}
