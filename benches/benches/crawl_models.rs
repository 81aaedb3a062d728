//! Every model's library `crawl(&Config)`, in-process, on small generated sites served by an
//! in-process test site started once per group, outside the timed loop: the crawl alone, with
//! no process start-up, timed by criterion. Groups by scenario, ids by model.
//!
//! ```text
//! cargo bench -p benches --bench crawl_models
//! ```

use std::time::Duration;

use coroutine::{Http, Options, Runtime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shared::{Config, Report};
use testsite::{Latency, SiteSpec};

/// Pages of the site with no latency: parsing and coordination only.
const NO_LATENCY_PAGES: usize = 500;
/// Pages of the site with latency.
const LATENCY_PAGES: usize = 200;
/// Latency of each request on that site.
const LATENCY_MS: u64 = 2;
/// `--max-tasks` of every crawl here.
const MAX_TASKS: usize = 10;
/// Samples per model: the fewest criterion takes; each sample is a whole crawl.
const SAMPLES: usize = 10;

/// A model's library face: every model's `crawl(&Config) -> Report`.
type Crawl = fn(&Config) -> Report;

/// The contenders: a name and the library face, as in `compare`'s table.
const MODELS: &[(&str, Crawl)] = &[
    ("threads", threads::crawl),
    ("callback", callback::crawl),
    ("coroutine-ct-reqwest", |c| {
        coroutine::crawl_with(c, options(Runtime::CurrentThread, Http::Reqwest))
    }),
    ("coroutine-ct-shared", |c| {
        coroutine::crawl_with(c, options(Runtime::CurrentThread, Http::Shared))
    }),
    ("coroutine-mt-reqwest", |c| {
        coroutine::crawl_with(c, options(Runtime::MultiThread, Http::Reqwest))
    }),
    ("coroutine-mt-shared", |c| {
        coroutine::crawl_with(c, options(Runtime::MultiThread, Http::Shared))
    }),
    ("coroutine-handmade", |c| coroutine::crawl_with(c, options(Runtime::Handmade, Http::Shared))),
];

/// The coroutine model's options (every pair above is one it runs).
fn options(runtime: Runtime, http: Http) -> Options {
    Options::new(runtime, Some(http)).expect("a runtime and a stack that can run on it")
}

/// Runs every model on the site of `spec` in the group `name`; each crawl is checked to have
/// done every URL, so that a fast wrong crawl cannot win.
fn scenario(c: &mut Criterion, name: &str, spec: SiteSpec) {
    let site = spec.generate();
    // Set-up, outside `b.iter`: a bench without its server has nothing to measure.
    let server = site.serve("127.0.0.1:0").expect("test site");
    let config =
        Config::builder([server.url().as_str()]).max_tasks(MAX_TASKS).build().expect("valid root");
    let urls = site.expected(&config).len();
    let mut group = c.benchmark_group(name);
    group.sample_size(SAMPLES).throughput(Throughput::Elements(urls as u64));
    for (model, crawl) in MODELS {
        group.bench_function(*model, |b| {
            b.iter(|| {
                let report = crawl(&config);
                assert_eq!(report.stats.len(), urls, "{model} missed URLs");
                report
            })
        });
    }
    group.finish();
}

/// A site with no latency: the models' cost per URL.
fn no_latency(c: &mut Criterion) {
    scenario(
        c,
        &format!("no_latency_{NO_LATENCY_PAGES}_pages"),
        SiteSpec::with_pages(NO_LATENCY_PAGES),
    );
}

/// A site where every request waits: how well each model overlaps the waits.
fn with_latency(c: &mut Criterion) {
    let spec = SiteSpec {
        latency: Latency::Fixed(Duration::from_millis(LATENCY_MS)),
        ..SiteSpec::with_pages(LATENCY_PAGES)
    };
    scenario(c, &format!("latency_{LATENCY_MS}ms_{LATENCY_PAGES}_pages"), spec);
}

/// Short warm-up and measurement, so that the whole file runs in a minute or two.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = no_latency, with_latency
}
criterion_main!(benches);
