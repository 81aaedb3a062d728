//! One `Config` reused across a thousand crawls, on each runtime and HTTP stack: no hook left
//! on its `Stop`, no descriptor left open. Alone in its process: it counts the open descriptors.

use coroutine::{Http, Options, Runtime};
use shared::{Config, Report};
use testsite::conformance::handles::stop_reused_across_crawls;

/// Every configuration, one after the other (in parallel, each would count the others' sockets).
#[test]
fn a_reused_config_keeps_nothing_of_its_crawls() {
    fn crawl<const R: u8, const H: u8>(config: &Config) -> Report {
        let runtime = [Runtime::CurrentThread, Runtime::MultiThread, Runtime::Handmade][R as usize];
        let http = [Http::Reqwest, Http::Shared][H as usize];
        coroutine::crawl_with(config, Options::new(runtime, Some(http)).expect("a valid pair"))
    }
    stop_reused_across_crawls(crawl::<0, 0>);
    stop_reused_across_crawls(crawl::<0, 1>);
    stop_reused_across_crawls(crawl::<1, 0>);
    stop_reused_across_crawls(crawl::<1, 1>);
    stop_reused_across_crawls(crawl::<2, 1>);
}
