//! spider (the spider-rs crate, 2.53.9) as a peer crawler for `compare --peers`: the contract's
//! command line (docs/contract.md, the part spider can honour) and its JSON Lines report, so that
//! the harness runs it like the models. README.md beside Cargo.toml says how it compares.
//!
//! spider is configured as the models are: one root, `--max-tasks` as its concurrency limit
//! (`with_concurrency_limit`), robots.txt off, no subdomains or TLD matching, no delay, no depth
//! limit (spider's default is 25), no budget (except `--max-pages`, spider's page limit), one try,
//! a 10 s request timeout, no cache, no browser. What spider does its own way is kept, and said:
//!
//! - **Redirects** are followed inside reqwest, and the page spider reports is the last one of
//!   the chain. spider's own redirect policies (`Loose`, `Strict`) refuse every hop into a
//!   loopback or private address (an SSRF guard), so on a test site on 127.0.0.1 every redirect
//!   would fail. The client is therefore spider's own (`configure_http_client_builder`) with a
//!   policy that follows up to `--max-redirect` hops, without the guard, and writes each hop down
//!   (from, status, to): each hop becomes a redirect record, and the page a record under its
//!   final URL. spider resolves the relative links of a redirected page against the URL it asked
//!   for, not the final one (`/a` -> `/a/` with `href="b"` gives `/b`, not `/a/b`).
//! - **Links**: by default spider reads `<a href>` only and skips links whose extension names an
//!   asset (`.png`, `.pdf`, `.txt`...) (`--anchors-only`); `--full-resources`, the default here
//!   as it is closer to the contract, makes it read `<a href>`, `<link href>` and `<script src>`,
//!   assets included. Either way: no `<area>`; nothing inside `<noscript>`; attribute values are
//!   not entity-decoded (`?a=1&amp;b=2` is requested as written); every body fetched is parsed as
//!   HTML, JavaScript included (so a `.js` file's strings give links); links on a 404 page count.
//! - **Each URL once**: spider marks a URL seen when it fetches it, but not the final URL of a
//!   redirect: a page reached both through a redirect and directly is fetched twice. The report
//!   keeps the first record of a URL and says on stderr (unless `-q`) how many came twice.
//! - **Rounds**: spider fetches the links it holds as one batch, and starts on the links found
//!   meanwhile only when the whole batch is done. At `--max-tasks 1` its loop can end while the
//!   batch still holds links (it checks for an empty set of tasks and no new links, not for the
//!   rest of the batch), so a crawl at one task misses pages, a different number each run.
//!
//! The records: `url` and `status` from spider's page (its URL, or its final URL after
//! redirects); `exception` from spider's error text when the fetch failed (spider gives such a
//! page a made-up 5xx status, which is not reported); `size` the body bytes spider kept;
//! `content_type` (a 200 only) from the page's Content-Type header; `encoding` (a 200 only) the
//! header's charset, else a `<meta charset>` in the first 1024 bytes, else `utf-8`; `num_urls`
//! the distinct links spider's parser took from the page (`page_links`), resolved as spider
//! resolves them, without fragment, on the root's host, and (with `--anchors-only`) without the
//! assets spider skips: the links spider follows; `num_new_urls` 0, as spider does not tell.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spider::reqwest::{self, Certificate, redirect::Policy};

use spider::url::Url;
use spider::website::Website;

const USAGE: &str = "\
spider-peer: spider (spider-rs) crawling one site, with the contract's report

Usage: spider-peer [OPTIONS] <ROOT>

Options:
  --max-tasks N        spider's concurrency limit [default: 10]
  --max-pages N        spider's page limit (roots included) [default: no limit]
  --max-redirect N     the most redirects followed from one URL [default: 10]
  --timeout SECS       the time one request may take [default: 10]
  --ca-file FILE       trust the CA certificates in FILE (PEM) beside the usual ones
  --json               print the JSON Lines report instead of the text report
  --full-resources     spider reads <a href>, <link href> and <script src>, assets included
                       [the default]
  --anchors-only       spider's default link reading: <a href> only, assets skipped
  --no-page-links      num_urls 0: spider does not keep each page's links for the report
                       (spares that cost, to measure spider alone)
  -v, -q               -q: errors only; -vv: spider's own log too (-vvv, -vvvv: more)
  -h, --help           print this help
  -V, --version        print the version

Refused (exit 2): --max-tries, --exclude, --lenient, --max-depth, --max-per-host, --delay,
--robots, and more than one root.
";

/// The command line.
struct Args {
    root: Url,
    max_tasks: usize,
    max_pages: Option<usize>,
    max_redirect: usize,
    timeout: Duration,
    ca_file: Option<PathBuf>,
    json: bool,
    verbosity: i32,
    full_resources: bool,
    page_links: bool,
}

fn bad(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

/// The URL normal form of the contract (the `url` crate's), fragment dropped.
fn normal(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

fn parse_root(text: &str) -> Url {
    if text.chars().any(char::is_whitespace) {
        bad(format!("bad URL {text:?}: a URL has no whitespace"));
    }
    let with_scheme =
        if text.contains("://") { text.to_string() } else { format!("http://{text}") };
    let url = Url::parse(&with_scheme).unwrap_or_else(|e| bad(format!("bad URL {text:?}: {e}")));
    if url.scheme() != "http" && url.scheme() != "https" {
        bad(format!("bad URL {text:?}: only http and https URLs can be crawled"));
    }
    match url.host() {
        Some(spider::url::Host::Domain(d))
            if !d.is_empty()
                && d.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) => {
        }
        Some(spider::url::Host::Ipv4(_) | spider::url::Host::Ipv6(_)) => {}
        _ => bad(format!("bad URL {text:?}: the host is empty or not a host name")),
    }
    normal(url)
}

fn parse_args() -> Args {
    let mut raw: Vec<String> = Vec::new();
    for arg in std::env::args().skip(1) {
        // `--flag=value` is `--flag value`.
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                raw.push(flag.to_string());
                raw.push(value.to_string());
            }
            _ => raw.push(arg),
        }
    }
    let mut roots = Vec::new();
    let mut args = Args {
        root: Url::parse("http://unset/").unwrap(),
        max_tasks: 10,
        max_pages: None,
        max_redirect: 10,
        timeout: Duration::from_secs(10),
        ca_file: None,
        json: false,
        verbosity: 0,
        full_resources: true,
        page_links: true,
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| {
            it.next().unwrap_or_else(|| bad(format!("{flag} needs a value (see --help)")))
        };
        let number = |flag: &str, v: String| -> usize {
            v.parse().unwrap_or_else(|_| bad(format!("bad flag: {flag} takes a number, not {v:?}")))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "-V" | "--version" => {
                println!("spider-peer {} (spider 2.53.9)", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--max-tasks" => {
                args.max_tasks = number("--max-tasks", value("--max-tasks"));
                if args.max_tasks < 1 {
                    bad("bad flag: --max-tasks must be at least 1");
                }
            }
            "--max-pages" => args.max_pages = Some(number("--max-pages", value("--max-pages"))),
            "--max-redirect" => {
                args.max_redirect = number("--max-redirect", value("--max-redirect"))
            }
            "--timeout" => {
                let v = value("--timeout");
                let secs: f64 =
                    v.parse().unwrap_or_else(|_| bad(format!("bad flag: --timeout {v:?}")));
                if !(secs > 0.0 && secs.is_finite()) {
                    bad("bad flag: --timeout must be above 0");
                }
                args.timeout = Duration::from_secs_f64(secs);
            }
            "--ca-file" => args.ca_file = Some(PathBuf::from(value("--ca-file"))),
            "--json" => args.json = true,
            "--full-resources" => args.full_resources = true,
            "--anchors-only" => args.full_resources = false,
            "--max-tries" | "--exclude" | "--lenient" | "--max-depth" | "--max-per-host"
            | "--delay" | "--robots" => {
                bad(format!("spider-peer does not take {arg}: {}", refused(&arg)))
            }
            "--no-page-links" => args.page_links = false,
            a if a.starts_with("--") => bad(format!("unknown flag {a} (see --help)")),
            a if a.starts_with('-')
                && a.len() > 1
                && a[1..].chars().all(|c| c == 'q' || c == 'v') =>
            {
                for c in a[1..].chars() {
                    args.verbosity += if c == 'v' { 1 } else { -1 };
                }
            }
            a if a.starts_with('-') && a.len() > 1 => bad(format!("unknown flag {a} (see --help)")),
            _ => roots.push(arg),
        }
    }
    let mut parsed: Vec<Url> = Vec::new();
    for root in &roots {
        let url = parse_root(root);
        if !parsed.contains(&url) {
            parsed.push(url);
        }
    }
    match parsed.len() {
        0 => bad("the following required arguments were not provided: <ROOT> (see --help)"),
        1 => args.root = parsed.remove(0),
        _ => bad("spider-peer crawls one root (spider's Website has one URL)"),
    }
    args
}

/// Why a contract flag is refused: spider has no rule of the contract's meaning.
fn refused(flag: &str) -> &'static str {
    match flag {
        "--max-tries" => "spider's retries also retry 5xx and 429 answers, after a back-off",
        "--exclude" => "spider's blacklist matches URLs as it writes them, not the contract's form",
        "--lenient" => "spider's subdomains and TLD rules are not the contract's two last labels",
        "--max-depth" => "spider's depth counts the segments of a URL's path, not links",
        "--max-per-host" => "spider has no limit per host",
        "--delay" => "spider's delay spaces every request of the crawl, not those of one host",
        _ => "spider reads the robots.txt of the root's origin only",
    }
}

/// The certificates of `--ca-file`, or exit 2.
fn ca_certificates(path: &PathBuf) -> Vec<Certificate> {
    let pem = std::fs::read(path)
        .unwrap_or_else(|e| bad(format!("bad flag: --ca-file {}: {e}", path.display())));
    match Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => certs,
        _ => bad(format!("bad flag: --ca-file {}: no certificate in the file", path.display())),
    }
}

/// One record of the report, the contract's keys in order.
#[derive(Debug, Clone)]
struct Record {
    url: String,
    next_url: Option<String>,
    status: Option<u16>,
    exception: Option<String>,
    size: usize,
    content_type: Option<String>,
    encoding: Option<String>,
    num_urls: usize,
    num_new_urls: usize,
}

fn json_str(s: &Option<String>) -> String {
    match s {
        None => "null".into(),
        Some(s) => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }
}

impl Record {
    fn json(&self) -> String {
        format!(
            "{{\"url\":{},\"next_url\":{},\"status\":{},\"exception\":{},\"size\":{},\"content_type\":{},\"encoding\":{},\"num_urls\":{},\"num_new_urls\":{}}}",
            json_str(&Some(self.url.clone())),
            json_str(&self.next_url),
            self.status.map_or("null".into(), |s| s.to_string()),
            json_str(&self.exception),
            self.size,
            json_str(&self.content_type),
            json_str(&self.encoding),
            self.num_urls,
            self.num_new_urls,
        )
    }

    fn text(&self) -> String {
        let none = |s: &Option<String>| s.clone().unwrap_or_else(|| "None".into());
        if let Some(e) = &self.exception {
            format!("{} error {e}", self.url)
        } else if let Some(next) = &self.next_url {
            format!("{} {} redirect {next}", self.url, self.status.unwrap_or(0))
        } else {
            format!(
                "{} {} {} {} {} {}/{}",
                self.url,
                self.status.unwrap_or(0),
                none(&self.content_type),
                none(&self.encoding),
                self.size,
                self.num_new_urls,
                self.num_urls
            )
        }
    }
}

/// A hop that reqwest followed (or refused at the limit) inside one of spider's fetches.
struct Hop {
    from: Url,
    status: u16,
    to: Url,
}

/// The charset label of a Content-Type value, lower-cased, quotes removed.
fn header_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("charset"))
            .then(|| value.trim().trim_matches('"').trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    })
}

/// The first `<meta charset=...>` (or http-equiv content's charset) in `head`, lower-cased.
fn meta_charset(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<meta") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[at..tag_end];
        if let Some(c) = tag.find("charset=") {
            let label: String = tag[c + 8..]
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(|ch| {
                    ch.is_ascii_alphanumeric()
                        || *ch == '-'
                        || *ch == '_'
                        || *ch == ':'
                        || *ch == '.'
                })
                .collect();
            if !label.is_empty() {
                return Some(label);
            }
        }
        rest = &rest[tag_end.min(rest.len())..];
    }
    None
}

/// What the peer keeps of one of spider's pages: the URL spider asked for, and the record.
struct Seen {
    requested: String,
    record: Record,
}

/// The record of a page spider sent on its channel.
fn observe(page: &spider::page::Page, root_host: &str, full_resources: bool) -> Seen {
    let requested = page.get_url().to_string();
    let status = page.status_code.as_u16();
    if let Some(error) = &page.error_status {
        return Seen {
            requested: requested.clone(),
            record: Record {
                url: requested,
                next_url: None,
                status: None,
                exception: Some(format!("SpiderError: {error} (spider's status {status})")),
                size: 0,
                content_type: None,
                encoding: None,
                num_urls: 0,
                num_new_urls: 0,
            },
        };
    }
    let body = page.get_html_bytes_u8();
    let (content_type, encoding) = if status == 200 {
        let header = page
            .headers
            .as_ref()
            .and_then(|h| h.get(reqwest::header::CONTENT_TYPE))
            .and_then(|v| v.to_str().ok());
        let media = header
            .map(|h| h.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty());
        let parsed = matches!(media.as_deref(), Some("text/html" | "application/xml"));
        let charset = header
            .and_then(header_charset)
            .or_else(|| parsed.then(|| meta_charset(&body[..body.len().min(1024)])).flatten());
        (media, Some(charset.unwrap_or_else(|| "utf-8".into())))
    } else {
        (None, None)
    };
    // The links spider follows from this page: its parser's hrefs, resolved as spider resolves
    // them (against the URL it asked for), on the root's host, assets skipped unless
    // full_resources.
    let mut links: HashSet<String> = HashSet::new();
    if let Some(hrefs) = &page.page_links {
        if let Ok(base) = Url::parse(&requested) {
            for href in hrefs.iter() {
                let Ok(link) = base.join(href.inner().trim()) else { continue };
                if link.scheme() != "http" && link.scheme() != "https" {
                    continue;
                }
                if link.host_str() != Some(root_host) {
                    continue;
                }
                if !full_resources && spider::page::is_asset_url(link.path()) {
                    continue;
                }
                links.insert(normal(link).to_string());
            }
        }
    }
    let url = match &page.final_redirect_destination {
        Some(f) => Url::parse(f).map(|u| normal(u).to_string()).unwrap_or_else(|_| f.clone()),
        None => requested.clone(),
    };
    Seen {
        requested,
        record: Record {
            url,
            next_url: None,
            status: Some(status),
            exception: None,
            size: body.len(),
            content_type,
            encoding,
            num_urls: links.len(),
            num_new_urls: 0,
        },
    }
}

/// spider's own log (the `log` crate), on stderr from `-vv` on: info at `-vv`, debug at `-vvv`,
/// trace beyond.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!("{} {}: {}", record.level(), record.target(), record.args());
        }
    }
    fn flush(&self) {}
}

fn main() {
    let args = parse_args();
    if args.verbosity >= 2 {
        let level = match args.verbosity {
            2 => log::LevelFilter::Info,
            3 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        };
        static LOGGER: StderrLog = StderrLog;
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(level);
        }
    }
    let certs = args.ca_file.as_ref().map(ca_certificates);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| {
            eprintln!("error: cannot start tokio: {e}");
            std::process::exit(1)
        });
    let started = Instant::now();
    let (records, duplicates, lagged, interrupted) = runtime.block_on(crawl(&args, certs));
    let elapsed = started.elapsed().as_secs_f64();
    if lagged > 0 {
        eprintln!("error: the page subscription lagged: {lagged} pages of spider's were lost");
    }
    if duplicates > 0 && args.verbosity >= 0 {
        eprintln!(
            "WARN spider made {duplicates} records for URLs it had already recorded (kept the first)"
        );
    }
    let mut out = String::new();
    if args.json {
        for r in records.values() {
            out.push_str(&r.json());
            out.push('\n');
        }
    } else {
        out.push_str("*** Report ***\n");
        for r in records.values() {
            out.push_str(&r.text());
            out.push('\n');
        }
        let n = records.len();
        out.push_str(&format!(
            "Finished {n} urls in {elapsed:.3} secs (max_tasks={}) ({:.3} urls/sec/task)\nTodo: 0\nDone: {n}\n",
            args.max_tasks,
            n as f64 / elapsed.max(1e-9) / args.max_tasks as f64
        ));
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    // The contract's Ctrl-C: what is done, then 130.
    std::process::exit(if interrupted {
        130
    } else if lagged > 0 {
        1
    } else {
        0
    });
}

/// Crawls with spider until it ends or Ctrl-C; the records by URL, how many records came for a
/// URL already recorded, how many pages the subscription lost, and whether Ctrl-C stopped it.
async fn crawl(
    args: &Args,
    certs: Option<Vec<Certificate>>,
) -> (BTreeMap<String, Record>, usize, u64, bool) {
    let root = args.root.to_string();
    let root_host = args.root.host_str().unwrap_or_default().to_string();
    let mut website = Website::new(&root);
    website
        .with_concurrency_limit(Some(args.max_tasks))
        .with_respect_robots_txt(false)
        .with_subdomains(false)
        .with_tld(false)
        .with_delay(0)
        .with_depth(0)
        .with_retry(0)
        .with_redirect_limit(args.max_redirect)
        .with_request_timeout(Some(args.timeout))
        .with_user_agent(Some(concat!("crawler-models-spider-peer/", env!("CARGO_PKG_VERSION"))))
        .with_modify_headers(false)
        .with_full_resources(args.full_resources)
        .with_return_page_links(args.page_links);
    if let Some(max) = args.max_pages {
        // spider's limit is a wildcard budget; 0 means no limit to spider, but none to the
        // contract means the roots alone.
        website.with_limit(max.max(1) as u32);
    }

    // spider's client, with a redirect policy that is spider's default (`Loose`: any host, up to
    // the hop cap) less its SSRF guard (the test site is on 127.0.0.1), and writes each hop down.
    // previous() holds the URLs before this hop, the first included: hop k has k of them.
    let hops: Arc<Mutex<Vec<Hop>>> = Arc::new(Mutex::new(Vec::new()));
    let limit = args.max_redirect;
    let log = hops.clone();
    let policy = Policy::custom(move |attempt| {
        if let Some(from) = attempt.previous().last() {
            log.lock().unwrap().push(Hop {
                from: from.clone(),
                status: attempt.status().as_u16(),
                to: attempt.url().clone(),
            });
        }
        if attempt.previous().len() > limit {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    });
    let mut builder = website.configure_http_client_builder().redirect(policy).no_proxy();
    if let Some(certs) = certs {
        builder = builder.tls_certs_merge(certs);
    }
    let client = builder.build().unwrap_or_else(|e| {
        eprintln!("error: cannot build the HTTP client: {e}");
        std::process::exit(1)
    });
    website.set_http_client(client);

    // Pages, as spider sends them: each is reduced at once to what the report needs.
    // spider keeps a receiver of its own that never reads, so the ring holds its last
    // `capacity` pages until they are overwritten: a ring of 1,024 (a quarter of the tasks
    // beyond 4,096) costs little memory, and has not lagged at 10,000 tasks (one of 64 did).
    let mut rx = website.subscribe((args.max_tasks / 4).max(1024));
    let full_resources = args.full_resources;
    let host = root_host.clone();
    let receiver = tokio::spawn(async move {
        let mut seen = Vec::new();
        let mut lagged = 0u64;
        loop {
            match rx.recv().await {
                Ok(page) => seen.push(observe(&page, &host, full_resources)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
        (seen, lagged)
    });

    // Ctrl-C drops the crawl (its fetches with it); the pages already sent are reported.
    let interrupted = tokio::select! {
        _ = website.crawl() => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    website.unsubscribe();
    let (seen, lagged) = receiver.await.unwrap_or_default();

    let mut records: BTreeMap<String, Record> = BTreeMap::new();
    let mut duplicates = 0;
    // Redirects first: the hops reqwest followed inside spider's fetches.
    let hops = std::mem::take(&mut *hops.lock().unwrap());
    let mut redirected: BTreeSet<String> = BTreeSet::new();
    for hop in hops {
        let url = normal(hop.from).to_string();
        let record = Record {
            url: url.clone(),
            next_url: Some(normal(hop.to).to_string()),
            status: Some(hop.status),
            exception: None,
            size: 0,
            content_type: None,
            encoding: None,
            num_urls: 0,
            num_new_urls: 0,
        };
        redirected.insert(url.clone());
        if records.insert(url, record).is_some() {
            duplicates += 1;
        }
    }
    for s in seen {
        // A fetch that failed on the redirect limit is recorded by its hops.
        if s.record.exception.is_some() && redirected.contains(&s.requested) {
            continue;
        }
        if records.contains_key(&s.record.url) {
            duplicates += 1;
        } else {
            records.insert(s.record.url.clone(), s.record);
        }
    }
    (records, duplicates, lagged, interrupted)
}
