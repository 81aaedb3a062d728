//! The shared conformance suite, run against the thread-pool crawler.

shared::conformance_tests!(threads::crawl);
