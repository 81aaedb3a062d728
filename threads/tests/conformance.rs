//! The shared conformance suite, run against the thread-pool crawler on both HTTP stacks.

use shared::{Config, Report};

fn shared_codec(config: &Config) -> Report {
    threads::crawl_with(config, threads::Http::Shared)
}

mod ureq {
    testsite::conformance_tests!(threads::crawl);
}

mod shared_codec {
    testsite::conformance_tests!(super::shared_codec);
}
