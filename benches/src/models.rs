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
    /// The chapter's crawler in Python, asyncio and aiohttp ([`PYTHON_PEER`]), run by
    /// `python3`. It keeps the contract, so its report is checked as a model's is.
    Python,
    /// GNU wget2 (C, a thread per connection), from `PATH`. Its per-URL statistics give the
    /// URL and the status, so only those are checked.
    Wget2,
}

/// The Python peer's script, in this crate's source folder.
pub const PYTHON_PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/crawl.py");

impl Program {
    /// This workspace's binary, if it is one.
    pub fn binary(&self) -> Option<&'static str> {
        match self {
            Program::Binary(name) => Some(name),
            Program::Python | Program::Wget2 => None,
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
            Program::Python => (!works("python3", &["-c", "import aiohttp"]))
                .then(|| "python3 with aiohttp is not installed (pip install aiohttp)".into()),
            Program::Wget2 => (!works("wget2", &["--version"]))
                .then(|| "wget2 is not installed (apt-get install wget2)".into()),
        }
    }
}

/// Every model, in the order of the table. `ureq`/`reqwest`: the HTTP library its users would
/// pick; `shared`: the workspace's own codec, which every model can run on, so that what differs
/// between two `shared` rows is the model alone. `ct`/`mt`: tokio's current-thread or multi-thread
/// runtime; `handmade`: the hand-made coroutine runtime (always on the shared codec).
pub const MODELS: &[Model] = &[
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
];

/// The peers: real crawlers of two of the styles, run by `--peers` where installed.
pub const PEERS: &[Model] = &[
    // The chapter's own crawler, in its own language: coroutines on asyncio.
    Model { name: "python-aiohttp", program: Program::Python, args: &[] },
    // A real-world crawler of the thread style, in C.
    Model { name: "wget2", program: Program::Wget2, args: &[] },
];

/// The models named in `list` (comma-separated, in the table's order), or all of them.
///
/// # Examples
/// ```
/// let picked = benches::models::select(Some("callback,threads-ureq")).unwrap();
/// assert_eq!(picked.iter().map(|m| m.name).collect::<Vec<_>>(), ["threads-ureq", "callback"]);
/// assert!(benches::models::select(Some("fibers")).is_err());
/// ```
pub fn select(list: Option<&str>) -> Result<Vec<Model>, Error> {
    let Some(list) = list else {
        return Ok(MODELS.to_vec());
    };
    let wanted: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = wanted.iter().find(|w| !MODELS.iter().any(|m| m.name == **w)) {
        return Err(Error::Usage(format!(
            "unknown model `{unknown}`; the models are: {}",
            names().join(", ")
        )));
    }
    if wanted.is_empty() {
        return Err(Error::Usage("--models names no model".into()));
    }
    Ok(MODELS.iter().filter(|m| wanted.contains(&m.name)).copied().collect())
}

/// The names of every model, for messages and `--help`.
pub fn names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

/// The peers installed here, and a note for each that is not (skipped, never a failure).
pub fn installed_peers() -> (Vec<Model>, Vec<String>) {
    let mut peers = Vec::new();
    let mut notes = Vec::new();
    for peer in PEERS {
        match peer.program.missing() {
            None => peers.push(*peer),
            Some(why) => notes.push(format!("peer {} skipped: {why}", peer.name)),
        }
    }
    (peers, notes)
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
            Program::Binary(_) | Program::Python => crate::check::Fields::All,
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

    /// With no list every model runs; an empty list is refused, not taken as "none".
    #[test]
    fn select_all_or_some() {
        assert_eq!(select(None).unwrap().len(), MODELS.len());
        assert!(select(Some(" , ")).is_err());
        let one = select(Some("coroutine-mt-shared")).unwrap();
        assert_eq!(one[0].args, ["--runtime", "multi-thread", "--http", "shared"]);
    }
}
