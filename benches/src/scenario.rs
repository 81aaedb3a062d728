//! [`Scenario`]: what a comparison runs, as data: the site (a seeded generated site or the Rust
//! documentation), the `--max-tasks` levels, and the ceiling each run is held against.

use std::path::PathBuf;
use std::time::Duration;

use testsite::{Latency, SiteSpec};

/// `cpu-bound`: pages, their size, and the fetches in flight. 10,000 pages of 8 KiB (about
/// 12,000 URLs and 80 MB of HTML to parse) and no latency: the crawl is bound by parsing.
pub const CPU_BOUND_PAGES: usize = 10_000;
/// `cpu-bound`: the size each page is padded to.
pub const CPU_BOUND_PAGE_SIZE: usize = 8 * 1024;
/// `cpu-bound`: `--max-tasks`.
pub const CPU_BOUND_TASKS: usize = 10;
/// `few-active`: a site of the default 2 KiB pages, no latency, only four fetches in flight, so
/// that what is measured is each model's fixed cost per URL.
pub const FEW_ACTIVE_PAGES: usize = 10_000;
/// `few-active`: `--max-tasks`.
pub const FEW_ACTIVE_TASKS: usize = 4;
/// `handshakes`: every request on a new connection (the site closes each one), four in flight:
/// CPU per page less `few-active`'s is the cost of a connection, and with `--tls` less without,
/// of a TLS handshake.
pub const HANDSHAKES_PAGES: usize = 2_000;
/// `handshakes`: `--max-tasks`.
pub const HANDSHAKES_TASKS: usize = 4;
/// `sleepy`: every request waits 50 ms; 1,000 fetches in flight hide the wait.
pub const SLEEPY_PAGES: usize = 20_000;
/// `sleepy`: latency of each request.
pub const SLEEPY_LATENCY_MS: u64 = 50;
/// `sleepy`: `--max-tasks`.
pub const SLEEPY_TASKS: usize = 1_000;
/// `c10k`: 10,000 fetches in flight, each waiting a second.
pub const C10K_PAGES: usize = 20_000;
/// `c10k`: latency of each request.
pub const C10K_LATENCY_MS: u64 = 1_000;
/// `c10k`: `--max-tasks`.
pub const C10K_TASKS: usize = 10_000;
/// `sweep`: a small site at a fixed latency, crawled at every power of ten of `--max-tasks`.
/// At one task the crawl takes pages × latency (about 12 s), which bounds its size.
pub const SWEEP_PAGES: usize = 1_000;
/// `sweep`: latency of each request.
pub const SWEEP_LATENCY_MS: u64 = 10;
/// `sweep`: the `--max-tasks` levels.
pub const SWEEP_TASKS: [usize; 5] = [1, 10, 100, 1_000, 10_000];
/// `docs`: the book's index, the root of the crawl of the Rust documentation.
pub const DOCS_ROOT: &str = "book/index.html";
/// `docs`: `--max-tasks` (the contract's default).
pub const DOCS_TASKS: usize = 10;
/// `polite`: a site on several hosts (ports), each held to `--max-per-host` and `--delay`.
pub const POLITE_PAGES: usize = 400;
/// `polite`: the hosts the site is served on.
pub const POLITE_HOSTS: usize = 4;
/// `polite`: latency of each request.
pub const POLITE_LATENCY_MS: u64 = 20;
/// `polite`: `--max-tasks`.
pub const POLITE_TASKS: usize = 8;
/// `polite`: the politeness flags every model is given.
pub const POLITE: Polite = Polite { max_per_host: 2, delay_ms: 50 };
/// `tiny`: a smoke test for CI, a second or two even in a debug build.
pub const TINY_PAGES: usize = 300;
/// `tiny`: `--max-tasks`.
pub const TINY_TASKS: usize = 10;
/// The seed of every generated site: the same seed, the same site, in every run.
pub const SEED: u64 = 1;

/// A generated site, as the flags of the `testsite` binary describe it (and the page size,
/// which it has no flag for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// HTML pages (`--pages`).
    pub pages: usize,
    /// Size each page is padded to.
    pub page_size: usize,
    /// Latency of every request (`--latency-ms`).
    pub latency_ms: u64,
    /// The seed (`--seed`).
    pub seed: u64,
    /// Whether connections are kept alive (`--no-keep-alive` when not: every request on a new
    /// connection).
    pub keep_alive: bool,
    /// Ports the site is served on (`--hosts`): several hosts to politeness.
    pub hosts: usize,
}

impl Generated {
    /// A site of `pages` pages of the default size with `latency_ms` of latency.
    pub fn new(pages: usize, latency_ms: u64) -> Generated {
        let page_size = SiteSpec::default().page_size;
        Generated { pages, page_size, latency_ms, seed: SEED, keep_alive: true, hosts: 1 }
    }

    /// The spec, built exactly as the `testsite` binary builds it from its flags, so that the
    /// oracle here and the site served in another process are the same site.
    pub fn spec(&self) -> SiteSpec {
        SiteSpec {
            seed: self.seed,
            latency: Latency::Fixed(Duration::from_millis(self.latency_ms)),
            page_size: self.page_size,
            ..SiteSpec::with_pages(self.pages)
        }
    }

    /// [`spec`](Self::spec) of the site served on several hosts: `urls`, the roots of its
    /// ports as the `testsite` binary printed them (none for one host).
    pub fn spec_on(&self, urls: &[url::Url]) -> SiteSpec {
        let hosts = if urls.len() > 1 {
            urls.iter().map(|u| u.origin().ascii_serialization()).collect()
        } else {
            Vec::new()
        };
        SiteSpec { hosts, ..self.spec() }
    }
}

/// The politeness flags of a scenario: `--max-per-host` and `--delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polite {
    /// `--max-per-host`.
    pub max_per_host: usize,
    /// `--delay`, in milliseconds.
    pub delay_ms: u64,
}

impl Polite {
    /// The flags, as a model's command line takes them.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--max-per-host".into(),
            self.max_per_host.to_string(),
            "--delay".into(),
            format!("{}", self.delay_ms as f64 / 1000.0),
        ]
    }
}

/// Where a scenario's site comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteSource {
    /// A generated site: the oracle says what every crawl must report.
    Generated(Generated),
    /// The Rust documentation of the toolchain, served from disk: there is no oracle, so the
    /// models are checked against each other.
    RustDocs,
    /// The same, served by nginx (`compare --serve-nginx`) instead of the test site.
    RustDocsNginx,
}

/// What a scenario's runs are held against, in the table's "ideal" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    /// A fetch-only pass over the oracle's URLs, measured in the same run: with no latency the
    /// oracle's ideal is zero, and the fastest a crawl can be is the time the site takes to
    /// serve it.
    FetchOnly,
    /// The oracle's lower bound, `Site::ideal_secs(max_tasks)`: with latency, the wait dominates.
    Ideal,
    /// None (real pages: there is no oracle).
    None,
    /// wget2's wall time in the same run, where it ran (`--peers`, or named in `--models`):
    /// the real-world crawler the models are held against on real pages.
    Wget2,
}

/// One scenario of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The name `--scenario` takes.
    pub name: &'static str,
    /// One line on what it shows, printed above its table.
    pub about: &'static str,
    /// The site.
    pub site: SiteSource,
    /// The `--max-tasks` levels: one table each (the sweep has five).
    pub max_tasks: Vec<usize>,
    /// What the runs are held against.
    pub ceiling: Ceiling,
    /// Whether "RSS per in-flight fetch" means something here (many fetches in flight), which
    /// costs a baseline run per model with `--max-pages 1`.
    pub rss_per_fetch: bool,
    /// Politeness flags given to every model (the peers have none of them, and sit it out).
    pub polite: Option<Polite>,
}

/// What `--scenario` takes: a scenario's name, or `all`. The list `--help` shows, and the
/// only list of scenarios there is: `scenarios()` is built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioName {
    /// No latency, 8 KiB pages: the CPU each model spends
    CpuBound,
    /// No latency, four fetches in flight
    FewActive,
    /// A new connection for every request
    Handshakes,
    /// 50 ms a request, 1,000 in flight
    Sleepy,
    /// 1 s a request, 10,000 in flight: memory per waiting fetch
    C10k,
    /// 10 ms a request, 1 to 10,000 tasks
    Sweep,
    /// Four hosts, --max-per-host and --delay
    Polite,
    /// The Rust documentation, real pages
    Docs,
    /// The Rust documentation served by nginx, against wget2
    DocsNginx,
    /// A smoke test of a few hundred pages
    Tiny,
    /// Every scenario but tiny
    All,
}

impl ScenarioName {
    /// The name, as `--scenario` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioName::CpuBound => "cpu-bound",
            ScenarioName::FewActive => "few-active",
            ScenarioName::Handshakes => "handshakes",
            ScenarioName::Sleepy => "sleepy",
            ScenarioName::C10k => "c10k",
            ScenarioName::Sweep => "sweep",
            ScenarioName::Polite => "polite",
            ScenarioName::Docs => "docs",
            ScenarioName::DocsNginx => "docs-nginx",
            ScenarioName::Tiny => "tiny",
            ScenarioName::All => "all",
        }
    }
}

/// Every scenario, in the order `all` runs them (`tiny` last; `all` leaves it out).
pub fn scenarios() -> Vec<Scenario> {
    use clap::ValueEnum;
    ScenarioName::value_variants().iter().filter_map(|&name| scenario(name)).collect()
}

/// The scenario of that name (`None` for `all`).
fn scenario(pick: ScenarioName) -> Option<Scenario> {
    let name = pick.as_str();
    let generated = |pages, latency_ms| SiteSource::Generated(Generated::new(pages, latency_ms));
    Some(match pick {
        ScenarioName::CpuBound => Scenario {
            name,
            about: "no latency, 8 KiB pages: CPU bounds the crawl; ceiling = fetch-only pass",
            site: SiteSource::Generated(Generated {
                page_size: CPU_BOUND_PAGE_SIZE,
                ..Generated::new(CPU_BOUND_PAGES, 0)
            }),
            max_tasks: vec![CPU_BOUND_TASKS],
            ceiling: Ceiling::FetchOnly,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::FewActive => Scenario {
            name,
            about: "no latency, four fetches in flight: each model's cost per URL",
            site: generated(FEW_ACTIVE_PAGES, 0),
            max_tasks: vec![FEW_ACTIVE_TASKS],
            ceiling: Ceiling::FetchOnly,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::Handshakes => Scenario {
            name,
            about: "no latency, a new connection for every request: the cost of a connection \
                    (run it with and without --tls: the difference is a TLS handshake's)",
            site: SiteSource::Generated(Generated {
                keep_alive: false,
                ..Generated::new(HANDSHAKES_PAGES, 0)
            }),
            max_tasks: vec![HANDSHAKES_TASKS],
            ceiling: Ceiling::FetchOnly,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::Sleepy => Scenario {
            name,
            about: "50 ms a request, 1,000 in flight: waiting dominates; ceiling = the oracle's ideal",
            site: generated(SLEEPY_PAGES, SLEEPY_LATENCY_MS),
            max_tasks: vec![SLEEPY_TASKS],
            ceiling: Ceiling::Ideal,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::C10k => Scenario {
            name,
            about: "1 s per request, 10,000 fetches in flight: the memory of a waiting fetch",
            site: generated(C10K_PAGES, C10K_LATENCY_MS),
            max_tasks: vec![C10K_TASKS],
            ceiling: Ceiling::Ideal,
            rss_per_fetch: true,
            polite: None,
        },
        ScenarioName::Sweep => Scenario {
            name,
            about: "10 ms a request, 1 to 10,000 tasks: throughput and memory against concurrency",
            site: generated(SWEEP_PAGES, SWEEP_LATENCY_MS),
            max_tasks: SWEEP_TASKS.to_vec(),
            ceiling: Ceiling::Ideal,
            rss_per_fetch: true,
            polite: None,
        },
        ScenarioName::Polite => Scenario {
            name,
            about: "4 hosts (ports), --max-per-host 2 --delay 0.05, 20 ms a request: a URL waiting \
                    for its host must not hold a task; ceiling = the polite oracle's ideal",
            site: SiteSource::Generated(Generated {
                hosts: POLITE_HOSTS,
                ..Generated::new(POLITE_PAGES, POLITE_LATENCY_MS)
            }),
            max_tasks: vec![POLITE_TASKS],
            ceiling: Ceiling::Ideal,
            rss_per_fetch: false,
            polite: Some(POLITE),
        },
        ScenarioName::Docs => Scenario {
            name,
            about: "the Rust documentation from disk: real pages, models checked against each other",
            site: SiteSource::RustDocs,
            max_tasks: vec![DOCS_TASKS],
            ceiling: Ceiling::None,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::DocsNginx => Scenario {
            name,
            about: "the Rust documentation served by nginx (one worker, keep-alive without a \
                    request limit): real pages from a real server, wget2 the time to beat",
            site: SiteSource::RustDocsNginx,
            max_tasks: vec![DOCS_TASKS],
            ceiling: Ceiling::Wget2,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::Tiny => Scenario {
            name,
            about: "a smoke test: a few hundred pages, no latency",
            site: generated(TINY_PAGES, 0),
            max_tasks: vec![TINY_TASKS],
            ceiling: Ceiling::FetchOnly,
            rss_per_fetch: false,
            polite: None,
        },
        ScenarioName::All => return None,
    })
}

/// The scenarios `--scenario` asks for: one, or `all` (every one but `tiny`, which only says
/// the harness works).
pub fn select(pick: ScenarioName) -> Vec<Scenario> {
    match scenario(pick) {
        Some(one) => vec![one],
        None => scenarios().into_iter().filter(|s| s.name != "tiny").collect(),
    }
}

/// The toolchain's documentation folder, `$(rustc --print sysroot)/share/doc/rust/html`, if the
/// `rust-docs` component is installed (it has the book's index).
pub fn docs_dir() -> Option<PathBuf> {
    let out = std::process::Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let dir = PathBuf::from(sysroot.trim()).join("share/doc/rust/html");
    dir.join(DOCS_ROOT).is_file().then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brief's sizes hold: they are what make each scenario mean what it says.
    #[test]
    fn sizes_are_as_promised() {
        let all = scenarios();
        let get = |name: &str| all.iter().find(|s| s.name == name).unwrap().clone();
        let pages = |s: &Scenario| match &s.site {
            SiteSource::Generated(g) => *g,
            SiteSource::RustDocs | SiteSource::RustDocsNginx => {
                panic!("{} is not generated", s.name)
            }
        };
        let cpu = get("cpu-bound");
        assert!(pages(&cpu).pages >= 10_000 && pages(&cpu).page_size == 8192);
        assert_eq!((pages(&cpu).latency_ms, cpu.max_tasks.as_slice()), (0, &[10][..]));
        assert!(pages(&get("sleepy")).pages >= 20_000);
        assert_eq!(get("sleepy").max_tasks, [1_000]);
        let c10k = get("c10k");
        assert!(pages(&c10k).pages >= 20_000 && c10k.rss_per_fetch);
        assert_eq!((pages(&c10k).latency_ms, c10k.max_tasks.as_slice()), (1_000, &[10_000][..]));
        assert_eq!(get("sweep").max_tasks, [1, 10, 100, 1_000, 10_000]);
        assert_eq!(get("few-active").max_tasks, [4]);
        let handshakes = get("handshakes");
        assert!(!pages(&handshakes).keep_alive && pages(&get("few-active")).keep_alive);
        assert_eq!(handshakes.max_tasks, [4]);
        assert!(pages(&get("tiny")).pages < 1_000);
    }

    /// `all` runs every scenario but the smoke test; a name, its scenario; the names are
    /// clap's (what `--help` lists and the command line takes).
    #[test]
    fn select_by_name() {
        use clap::ValueEnum;
        let all = select(ScenarioName::All);
        assert_eq!(all.len(), scenarios().len() - 1);
        assert!(all.iter().all(|s| s.name != "tiny"));
        assert_eq!(select(ScenarioName::FewActive)[0].name, "few-active");
        for name in ScenarioName::value_variants() {
            assert_eq!(name.to_possible_value().unwrap().get_name(), name.as_str());
        }
        assert!(ScenarioName::from_str("nope", false).is_err());
    }

    /// The spec is the `testsite` binary's: its defaults but for pages, seed and latency.
    #[test]
    fn spec_matches_the_binary() {
        let spec = Generated::new(500, 20).spec();
        let binary = SiteSpec {
            seed: 1,
            latency: Latency::Fixed(Duration::from_millis(20)),
            ..SiteSpec::with_pages(500)
        };
        assert_eq!(spec, binary);
    }
}
