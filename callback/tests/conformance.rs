//! The shared conformance suite, run against the event-loop crawler.

testsite::conformance_tests!(callback::crawl);
