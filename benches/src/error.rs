//! [`Error`]: why the harness itself could not measure (a crawl that reports the wrong URLs is
//! not an error here but a MISMATCH in the table).

use std::fmt;
use std::path::PathBuf;

/// What stops `compare` before or during a scenario.
#[derive(Debug)]
pub enum Error {
    /// A binary the harness runs (a model or `testsite`) is not beside `compare`: the workspace
    /// was not built in this profile.
    MissingBinary {
        /// The binary's name.
        name: String,
        /// The folder it was looked for in (`compare`'s own).
        dir: PathBuf,
    },
    /// A bad command-line value: an unknown scenario or model name, `--runs 0`.
    Usage(String),
    /// The test site did not start, or did not print its URL.
    Site(String),
    /// An I/O error, with what the harness was doing.
    Io {
        /// What was being done, for the message.
        doing: String,
        /// The error.
        source: std::io::Error,
    },
    /// The SVG chart could not be drawn.
    Chart(String),
}

impl Error {
    /// An [`Error::Io`] saying what was being done.
    pub fn io(doing: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { doing: doing.into(), source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingBinary { name, dir } => {
                // The binaries are built in the profile `compare` was built in: the folder's
                // name says which (`target/release`, `target/debug`).
                let build = if dir.ends_with("release") {
                    "cargo build --release --workspace"
                } else {
                    "cargo build --workspace"
                };
                write!(
                    f,
                    "the crawler binaries are not built: `{name}` is missing from {}; \
                     run `{build}` first",
                    dir.display()
                )
            }
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Site(msg) => write!(f, "test site: {msg}"),
            Error::Io { doing, source } => write!(f, "{doing}: {source}"),
            Error::Chart(msg) => write!(f, "cannot draw the chart: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing binary names the build command of `compare`'s own profile, on one line.
    #[test]
    fn missing_binary_says_what_to_build() {
        let release =
            Error::MissingBinary { name: "threads".into(), dir: "/w/target/release".into() };
        let text = release.to_string();
        assert!(text.contains("`cargo build --release --workspace`"), "{text}");
        assert!(text.contains("`threads`") && !text.contains('\n'), "{text}");
        let debug = Error::MissingBinary { name: "threads".into(), dir: "/w/target/debug".into() };
        assert!(debug.to_string().contains("`cargo build --workspace`"));
    }
}
