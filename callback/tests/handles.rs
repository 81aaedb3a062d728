//! One `Config` reused across a thousand crawls: no hook (each held an event loop's waker, an
//! eventfd) left on its `Stop`, no descriptor left open. Alone in its process: it counts the
//! open descriptors.

/// The event loop's crawl, a thousand times with one `Config`.
#[test]
fn a_reused_config_keeps_nothing_of_its_crawls() {
    testsite::conformance::handles::stop_reused_across_crawls(callback::crawl);
}
