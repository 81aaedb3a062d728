//! Throughput of the streaming scanner against the DOM extractor it replaces, on the checked-in
//! pages plus (when installed) a sample of the Rust documentation.

#[path = "baseline/mod.rs"]
mod baseline;
#[path = "../tests/support/files.rs"]
mod files;
#[path = "../tests/support/reference.rs"]
mod reference;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

/// How many Rust docs files to add to the corpus (an even sample of the sorted list).
const DOCS_SAMPLE: usize = 2000;

use files::{docs_root, html_files};

/// (page URL, body) for every document of the corpus.
fn corpus() -> Vec<(Url, Vec<u8>)> {
    let mut files = Vec::new();
    html_files(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pages")), &mut files);
    // None where the docs are not installed: then the checked-in pages alone.
    let mut docs = Vec::new();
    html_files(&docs_root(), &mut docs);
    docs.sort();
    let step = (docs.len() / DOCS_SAMPLE).max(1);
    files.extend(docs.into_iter().step_by(step).take(DOCS_SAMPLE));
    files
        .iter()
        .filter_map(|path| {
            let body = std::fs::read(path).ok()?;
            let page = Url::parse(&format!("https://doc.example/{}", path.display())).ok()?;
            Some((page, body))
        })
        .collect()
}

/// Counts the start tags html5ever's tokenizer finds in `body`.
fn tokenize(body: &[u8]) -> usize {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{
        BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
    };
    use std::cell::Cell;

    struct Count(Cell<usize>);
    impl TokenSink for Count {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            if let Token::TagToken(Tag { kind: TagKind::StartTag, .. }) = token {
                self.0.set(self.0.get() + 1);
            }
            TokenSinkResult::Continue
        }
    }
    let text = encoding_rs::UTF_8.decode(body).0;
    let tokenizer = Tokenizer::new(Count(Cell::new(0)), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&text));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.get()
}

/// The links of every page of the corpus, with the scanner: how many.
fn scan(corpus: &[(Url, Vec<u8>)]) -> usize {
    corpus
        .iter()
        .map(|(page, body)| shared::links::extract_bytes(page, body, encoding_rs::UTF_8).len())
        .sum()
}

/// The same, with the scanner as it was at commit 3bacc86 (`baseline/`).
fn scan_baseline(corpus: &[(Url, Vec<u8>)]) -> usize {
    corpus
        .iter()
        .map(|(page, body)| baseline::extract_bytes(page, body, encoding_rs::UTF_8).len())
        .sum()
}

/// How many times faster today's scanner is than the baseline: the median of `rounds` timings
/// of each over the whole corpus, taken in turn (baseline, today, baseline, ...) so that a
/// machine whose speed drifts slows both alike.
fn ratio_to_baseline(corpus: &[(Url, Vec<u8>)], rounds: usize) -> (f64, Duration, Duration) {
    fn time(f: impl Fn() -> usize) -> Duration {
        let start = Instant::now();
        std::hint::black_box(f());
        start.elapsed()
    }
    fn median(mut times: Vec<Duration>) -> Duration {
        times.sort();
        times[times.len() / 2]
    }
    let (mut before, mut now) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        before.push(time(|| scan_baseline(corpus)));
        now.push(time(|| scan(corpus)));
    }
    let (before, now) = (median(before), median(now));
    (before.as_secs_f64() / now.as_secs_f64(), before, now)
}

fn parse_links(c: &mut Criterion) {
    let corpus = corpus();
    let bytes: usize = corpus.iter().map(|(_, body)| body.len()).sum();
    eprintln!("corpus: {} documents, {:.1} MB", corpus.len(), bytes as f64 / 1e6);
    let mut group = c.benchmark_group("parse_links");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("scanner", |b| b.iter(|| scan(&corpus)));
    group.bench_function("scanner_3bacc86", |b| b.iter(|| scan_baseline(&corpus)));
    group.bench_function("scraper", |b| {
        b.iter(|| {
            corpus
                .iter()
                .map(|(page, body)| reference::extract_bytes(page, body, encoding_rs::UTF_8).len())
                .sum::<usize>()
        })
    });
    // For comparison: html5ever's tokenizer alone (no tree, no DOM), which a scanner could
    // have been built on. It still needs the text decoded first.
    group.bench_function("html5ever_tokenizer", |b| {
        b.iter(|| corpus.iter().map(|(_, body)| tokenize(body)).sum::<usize>())
    });
    group.finish();
    // The same scanner run again, its throughput counted in links (found, resolved and
    // deduplicated) rather than bytes.
    let links = scan(&corpus);
    eprintln!("corpus: {links} links");
    let mut group = c.benchmark_group("parse_links_per_link");
    group.throughput(Throughput::Elements(links as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("scanner", |b| b.iter(|| scan(&corpus)));
    group.finish();
    // Today's scanner against the one at 3bacc86, timed in turn in this run.
    let (ratio, before, now) = ratio_to_baseline(&corpus, 21);
    let mb = |time: Duration| bytes as f64 / 1e6 / time.as_secs_f64();
    eprintln!(
        "scanner against 3bacc86, medians of 21 interleaved rounds: {:.1} ms ({:.0} MB/s) \
         against {:.1} ms ({:.0} MB/s): {ratio:.2}x",
        now.as_secs_f64() * 1e3,
        mb(now),
        before.as_secs_f64() * 1e3,
        mb(before),
    );
}

criterion_group!(benches, parse_links);
criterion_main!(benches);
