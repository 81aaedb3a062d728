//! Compression, as the contract has it: requests accept gzip and br; a body in either is
//! decoded as it arrives (`size` is the decoded size, links are found in the decoded text);
//! the cap applies to the decoded bytes, so a bomb is cut at the cap; a stream that does not
//! decode is a malformed response, retried.
//! The rules: docs/contract.md, "Compression", "The body cap and size".

use std::time::Duration;

use super::faults::{assert_failed, crawl_fault};
use super::{CrawlFn, Run};
use crate::compress::Coding;
use crate::{Fault, Resource, SiteSpec};
use shared::page::BODY_CAP;

/// A generated site served compressed: the records are the oracle's, each size is the page's
/// decoded length, and every page went over the wire in the coding.
fn assert_decoded(crawl: CrawlFn, coding: Coding) {
    let site = SiteSpec { seed: 7, ..SiteSpec::with_pages(150) }.generate().compressed(coding);
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(5);
    });
    run.assert_oracle(&site);
    run.assert_each_fetched_once();
    let mut pages = 0;
    for stat in &run.report.stats {
        let path = crate::path_of(&url::Url::parse(&stat.url).expect("a URL"));
        if let Some(Resource::Page { body, status, .. }) = site.get(&path) {
            pages += 1;
            if *status == 200 {
                assert_eq!(stat.size, body.len() as u64, "{coding:?}: the decoded size of {path}");
            }
        }
    }
    assert!(pages > 100, "{pages} pages");
    assert_eq!(run.server.compressed_responses(), pages, "{coding:?}: each page sent encoded");
}

/// gzip bodies are decoded, and their links followed.
pub fn gzip_pages_are_decoded(crawl: CrawlFn) {
    assert_decoded(crawl, Coding::Gzip);
}

/// br bodies are decoded, and their links followed.
pub fn br_pages_are_decoded(crawl: CrawlFn) {
    assert_decoded(crawl, Coding::Brotli);
}

/// A gzip body of a few hundred kilobytes that inflates to 1 GiB is a 200 cut at the cap,
/// fetched once; the crawl goes on around it.
pub fn gzip_bomb_is_cut_at_the_cap(crawl: CrawlFn) {
    let bomb = Fault::GzipBomb { inflated: 1 << 30 };
    let run = crawl_fault(crawl, bomb, 2, Duration::from_secs(10));
    let s = run.stat("/fault");
    assert_eq!((s.status, s.size), (Some(200), BODY_CAP));
    assert_eq!(run.server.requests("/fault"), 1);
}

/// A gzip body that does not inflate is a malformed response, tried `--max-tries` times.
pub fn corrupt_gzip_is_malformed(crawl: CrawlFn) {
    let run = crawl_fault(crawl, Fault::CorruptGzip, 2, Duration::from_secs(5));
    assert_failed(&run, "MalformedResponse: malformed HTTP response", 2);
}
