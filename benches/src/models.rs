//! [`Model`]: the contenders, one table of (name, program, extra flags), so that a new model (the
//! hand-made coroutine runtime, say) is one more line; and [`PEERS`], the real crawlers of each
//! style that `--peers` runs beside them where they are installed.

use std::process::{Command, Stdio};

use crate::Error;

/// One contender: how `--models` and the table name it, which program runs it, and the flags
/// beside the contract's that select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// The name in the table, `--models` and the JSON file.
    pub name: &'static str,
    /// What runs it.
    pub program: Program,
    /// Flags of the model's own (the contract's flags, docs/contract.md, are added by the harness).
    pub args: &'static [&'static str],
}

/// What runs a contender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// One of this workspace's binaries, found beside `compare` (the same build profile).
    Binary(&'static str),
    /// A crawler in Python in `benches/peers/`, run by `python3`, that needs `module`
    /// installed. It keeps the contract's command line and report.
    Python {
        /// The script, in this crate's source folder.
        script: &'static str,
        /// The module it cannot run without.
        module: &'static str,
        /// How to install it.
        install: &'static str,
    },
    /// spider, the Rust crawler, through `benches/peers/spider/` (`SPIDER_PEER`), a Cargo
    /// project of its own: the contract's command line, its pages mapped to records.
    Spider,
    /// GNU wget2 (C, a thread per connection), from `PATH`. Its per-URL statistics give the
    /// URL and the status, so only those are checked.
    Wget2,
}

/// The chapter's crawler in Python: asyncio and aiohttp.
pub const AIOHTTP_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/crawl.py");

/// Scrapy, the Python crawler on Twisted, with a spider of ours.
pub const SCRAPY_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/scrapy/crawl.py");

/// The spider peer's binary, once built with `cargo build --release --locked --manifest-path
/// benches/peers/spider/Cargo.toml` (as `.ci/run` does).
pub const SPIDER_PEER: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/peers/spider/target/release/spider-peer");

impl Program {
    /// This workspace's binary, if it is one.
    pub fn binary(&self) -> Option<&'static str> {
        match self {
            Program::Binary(name) => Some(name),
            Program::Python { .. } | Program::Spider | Program::Wget2 => None,
        }
    }

    /// Why a peer cannot run here (it is not installed), or `None` when it can. This
    /// workspace's binaries are found (or built) by `compare` itself.
    pub fn missing(&self) -> Option<String> {
        let works = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        match self {
            Program::Binary(_) => None,
            Program::Python { module, install, .. } => {
                (!works("python3", &["-c", &format!("import {module}")]))
                    .then(|| format!("python3 with {module} is not installed ({install})"))
            }
            Program::Spider => (!works(SPIDER_PEER, &["--version"])).then(|| {
                "spider-peer is not built (cargo build --release --locked --manifest-path \
                 benches/peers/spider/Cargo.toml)"
                    .into()
            }),
            Program::Wget2 => (!works("wget2", &["--version"]))
                .then(|| "wget2 is not installed (apt-get install wget2)".into()),
        }
    }
}

/// Every contender: the models, then the peers. `--models` takes any of their names.
pub const CONTENDERS: &[Model] = &[
    Model { name: "threads-ureq", program: Program::Binary("threads"), args: &["--http", "ureq"] },
    Model {
        name: "threads-shared",
        program: Program::Binary("threads"),
        args: &["--http", "shared"],
    },
    Model { name: "callback", program: Program::Binary("callback"), args: &[] },
    Model {
        name: "coroutine-ct-reqwest",
        program: Program::Binary("coroutine"),
        args: &["--runtime", "current-thread", "--http", "reqwest"],
    },
    Model {
        name: "coroutine-ct-shared",
        program: Program::Binary("coroutine"),
        args: &["--runtime", "current-thread", "--http", "shared"],
    },
    Model {
        name: "coroutine-mt-reqwest",
        program: Program::Binary("coroutine"),
        args: &["--runtime", "multi-thread", "--http", "reqwest"],
    },
    Model {
        name: "coroutine-mt-shared",
        program: Program::Binary("coroutine"),
        args: &["--runtime", "multi-thread", "--http", "shared"],
    },
    // The chapter's own machinery: a hand-made executor on the callback model's event loop,
    // always over the shared codec.
    Model {
        name: "coroutine-handmade",
        program: Program::Binary("coroutine"),
        args: &["--runtime", "handmade"],
    },
    // The peers: real crawlers of the styles, run by `--peers` (or named in `--models`) where
    // installed.
    // The chapter's own crawler, in its own language: coroutines on asyncio.
    Model {
        name: "python-aiohttp",
        program: Program::Python {
            script: AIOHTTP_PEER,
            module: "aiohttp",
            install: "pip install aiohttp",
        },
        args: &[],
    },
    // The most used Python crawler: Twisted's reactor, the callback model in production.
    Model {
        name: "scrapy",
        program: Program::Python {
            script: SCRAPY_PEER,
            module: "scrapy",
            install: "pip install scrapy",
        },
        args: &[],
    },
    // The most used Rust crawler, on tokio.
    Model { name: "spider", program: Program::Spider, args: &[] },
    // A real-world crawler of the thread style, in C.
    Model { name: "wget2", program: Program::Wget2, args: &[] },
];

/// How many of [`CONTENDERS`] are this workspace's models.
const MODEL_COUNT: usize = 8;

/// Every model, in the order of the table. `ureq`/`reqwest`: the HTTP library its users would
/// pick; `shared`: the workspace's own codec, which every model can run on, so that what differs
/// between two `shared` rows is the model alone. `ct`/`mt`: tokio's current-thread or multi-thread
/// runtime; `handmade`: the hand-made coroutine runtime (always on the shared codec).
pub const MODELS: &[Model] = CONTENDERS.split_at(MODEL_COUNT).0;

/// The peers: real crawlers of each style, run by `--peers` where installed.
pub const PEERS: &[Model] = CONTENDERS.split_at(MODEL_COUNT).1;

/// `--models` takes the contenders' names, parsed by clap, which lists them under `--help`.
impl clap::ValueEnum for Model {
    fn value_variants<'a>() -> &'a [Self] {
        CONTENDERS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name))
    }
}

/// The contenders of `list` (in the table's order, each once), or every model; with `peers`,
/// every peer installed here too. A peer named in `list` must be installed; one that `peers`
/// brings and is not installed is left out, with a note (the second value).
pub fn select(list: Option<&[Model]>, peers: bool) -> Result<(Vec<Model>, Vec<String>), Error> {
    let mut picked: Vec<Model> = match list {
        Some(list) => CONTENDERS.iter().filter(|m| list.contains(m)).copied().collect(),
        None => MODELS.to_vec(),
    };
    if let Some(missing) = picked.iter().find_map(|m| m.program.missing()) {
        return Err(Error::Usage(missing));
    }
    let mut notes = Vec::new();
    if peers {
        for peer in PEERS {
            if picked.contains(peer) {
                continue;
            }
            match peer.program.missing() {
                None => picked.push(*peer),
                Some(why) => notes.push(format!("peer {} skipped: {why}", peer.name)),
            }
        }
    }
    if picked.is_empty() {
        return Err(Error::Usage("--models names no model".into()));
    }
    Ok((picked, notes))
}

impl Model {
    /// Whether this is a peer (not one of this workspace's models): its runs are shown and
    /// checked, but a peer that differs from the contract does not fail `compare`, and it is
    /// never the reference others are checked against.
    pub fn is_peer(&self) -> bool {
        self.program.binary().is_none()
    }

    /// The fields its report can be checked on.
    pub fn fields(&self) -> crate::check::Fields {
        match self.program {
            Program::Wget2 => crate::check::Fields::UrlAndStatus,
            Program::Binary(_) | Program::Python { .. } | Program::Spider => {
                crate::check::Fields::All
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique (they key the JSON file and the chart's legend).
    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = MODELS.iter().chain(PEERS).map(|m| m.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), MODELS.len() + PEERS.len());
        assert!(MODELS.iter().all(|m| !m.is_peer()) && PEERS.iter().all(Model::is_peer));
    }

    /// The contenders asked for run in the table's order, not the list's.
    #[test]
    fn select_keeps_the_tables_order() {
        let named = |n: &str| *CONTENDERS.iter().find(|m| m.name == n).unwrap();
        let (picked, _) = select(Some(&[named("callback"), named("threads-ureq")]), false).unwrap();
        assert_eq!(picked.iter().map(|m| m.name).collect::<Vec<_>>(), ["threads-ureq", "callback"]);
    }

    /// With no list every model runs; an empty list is refused, not taken as "none"; a name
    /// given twice runs once; clap takes every contender's name and no other.
    #[test]
    fn select_all_or_some() {
        use clap::ValueEnum;
        assert_eq!(select(None, false).unwrap().0.len(), MODELS.len());
        assert!(select(Some(&[]), false).is_err());
        let mt = Model::from_str("coroutine-mt-shared", false).unwrap();
        let (one, notes) = select(Some(&[mt, mt]), false).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].args, ["--runtime", "multi-thread", "--http", "shared"]);
        assert!(notes.is_empty());
        assert!(Model::from_str("fibers", false).is_err());
        assert_eq!(Model::value_variants().len(), MODELS.len() + PEERS.len());
        assert_eq!(MODELS.len(), MODEL_COUNT);
        assert!(MODELS.iter().all(|m| !m.is_peer()));
    }
}
