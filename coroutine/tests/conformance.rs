//! The shared conformance suite, run five times: on both tokio runtimes with both HTTP stacks,
//! and on the hand-made runtime.

use coroutine::{Http, Options, Runtime};
use shared::{Config, Report};

fn current_thread_reqwest(config: &Config) -> Report {
    coroutine::crawl_with(
        config,
        Options::new(Runtime::CurrentThread, Some(Http::Reqwest)).expect("a valid pair"),
    )
}

fn current_thread_shared(config: &Config) -> Report {
    coroutine::crawl_with(
        config,
        Options::new(Runtime::CurrentThread, Some(Http::Shared)).expect("a valid pair"),
    )
}

fn multi_thread_reqwest(config: &Config) -> Report {
    coroutine::crawl_with(
        config,
        Options::new(Runtime::MultiThread, Some(Http::Reqwest)).expect("a valid pair"),
    )
}

fn multi_thread_shared(config: &Config) -> Report {
    coroutine::crawl_with(
        config,
        Options::new(Runtime::MultiThread, Some(Http::Shared)).expect("a valid pair"),
    )
}

mod current_thread_reqwest {
    testsite::conformance_tests!(super::current_thread_reqwest);
}

mod current_thread_shared {
    testsite::conformance_tests!(super::current_thread_shared);
}

mod multi_thread_reqwest {
    testsite::conformance_tests!(super::multi_thread_reqwest);
}

mod multi_thread_shared {
    testsite::conformance_tests!(super::multi_thread_shared);
}

fn handmade(config: &Config) -> Report {
    coroutine::crawl_with(
        config,
        Options::new(Runtime::Handmade, Some(Http::Shared)).expect("a valid pair"),
    )
}

mod handmade {
    testsite::conformance_tests!(super::handmade);
}
