//! The chapter's check-then-add race, made visible: the same crawl with the seen-set checked
//! and inserted in two critical sections (`racy`) and in one (`locked`).
//!
//! ```text
//! cargo run --release -p threads --example race_demo
//! ```

use std::collections::HashSet;
use std::time::Duration;

use shared::Config;
use testsite::Site;
use threads::{CheckAndInsert, Crawler};

/// The site: the root links to `HUBS` hub pages, and every hub links to the same `LEAVES` leaf
/// pages. Workers fetch hubs at the same time and then add the same links at the same time: the
/// situation where a check-then-add race bites.
const HUBS: usize = 64;
const LEAVES: usize = 500;
/// Thread counts to run at.
const THREADS: [usize; 3] = [4, 16, 64];
/// The pause between the check and the insert in the racy version. It widens the window the race
/// needs, as an untimely preemption would, so that the race shows on every run even on two cores.
/// The race is there without it (tests/loom.rs proves it); it is only rarer.
const WINDOW: Duration = Duration::from_millis(10);

fn site() -> Site {
    let hubs: Vec<String> = (0..HUBS).map(|i| format!("/hub/{i}")).collect();
    let leaves: Vec<String> = (0..LEAVES).map(|i| format!("/leaf/{i}")).collect();
    let hub_links: Vec<&str> = hubs.iter().map(String::as_str).collect();
    let leaf_links: Vec<&str> = leaves.iter().map(String::as_str).collect();
    let site = Site::new().page("/", &hub_links);
    let site = hubs.iter().fold(site, |site, hub| site.page(hub, &leaf_links));
    leaves.iter().fold(site, |site, leaf| site.page(leaf, &[]))
}

fn main() {
    let site = site();
    let pages = 1 + HUBS + LEAVES;
    println!(
        "site: {pages} pages ({HUBS} hubs all linking to the same {LEAVES} leaves); \
         the first hub requests answered together; racy: a pause of {WINDOW:?} between check and insert"
    );
    for threads in THREADS {
        for (name, mode) in
            [("racy", CheckAndInsert::Racy { window: WINDOW }), ("locked", CheckAndInsert::Locked)]
        {
            // The barrier holds the first hub requests until `threads` are in flight, then
            // answers them together: the workers parse the same links at the same moment.
            let server =
                site.clone().with_barrier(threads).serve("127.0.0.1:0").expect("test site starts");
            let config = Config::builder([server.url().as_str()])
                .max_tasks(threads)
                .build()
                .expect("valid root");
            let report = Crawler::new(&config, mode).crawl();
            let fetched = report.stats.len();
            let distinct = report.stats.iter().map(|s| &s.url).collect::<HashSet<_>>().len();
            // Every URL but the root was found new by exactly one page, in a correct crawl.
            let counted_new: usize = report.stats.iter().map(|s| s.num_new_urls).sum::<usize>() + 1;
            println!(
                "{name:<6} threads={threads:<3} fetched={fetched:<5} distinct={distinct:<5} \
                 duplicates={:<4} requests={:<5} sum(num_new_urls)+1={counted_new:<5} vs distinct={distinct}",
                fetched - distinct,
                server.total_requests(),
            );
        }
    }
}
