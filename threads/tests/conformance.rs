//! The shared conformance suite, run against the thread-pool crawler.

testsite::conformance_tests!(threads::crawl);
