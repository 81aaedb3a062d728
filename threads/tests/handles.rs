//! One `Config` reused across a thousand crawls, on both HTTP stacks: no hook left on its
//! `Stop`, no descriptor left open. Alone in its process: it counts the open descriptors.

use shared::{Config, Report};
use testsite::conformance::handles::stop_reused_across_crawls;

fn shared_codec(config: &Config) -> Report {
    threads::crawl_with(config, threads::Http::Shared)
}

/// Both stacks, one after the other (in parallel, each would count the other's sockets).
#[test]
fn a_reused_config_keeps_nothing_of_its_crawls() {
    stop_reused_across_crawls(threads::crawl);
    stop_reused_across_crawls(shared_codec);
}
