//! Whether the binaries `compare` runs are the code in the work tree: each binary against the
//! source files it was built from, which cargo lists in its dep-info file (`<binary>.d`, beside
//! it). A binary built before its last source edit would measure code that is no longer there.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::machine::date_of;

/// A binary and when it was built (its file's modification time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The binary's name.
    pub name: String,
    /// When it was written.
    pub at: SystemTime,
    /// A source file changed after it was built, if any: the binary is stale.
    pub newer_source: Option<PathBuf>,
}

impl Built {
    /// `name` in `dir`, checked against the sources its dep-info file lists. A binary with no
    /// dep-info file (built elsewhere, copied here) is taken as it is.
    pub fn of(dir: &Path, name: &str) -> Option<Built> {
        let at = fs::metadata(dir.join(name)).and_then(|m| m.modified()).ok()?;
        let sources = fs::read_to_string(dir.join(format!("{name}.d")))
            .map(|d| dep_info_sources(&d))
            .unwrap_or_default();
        let newer_source = sources.into_iter().find(|source| {
            fs::metadata(source).and_then(|m| m.modified()).is_ok_and(|changed| changed > at)
        });
        Some(Built { name: name.to_string(), at, newer_source })
    }

    /// "threads (built 2026-12-03 06:05:56 UTC)".
    pub fn describe(&self) -> String {
        format!("{} (built {})", self.name, utc(self.at))
    }
}

/// The source files a dep-info file lists for its first target: `target: a.rs b.rs ...`, a
/// space inside a path escaped as `\ `.
fn dep_info_sources(dep_info: &str) -> Vec<PathBuf> {
    let Some(line) = dep_info.lines().next() else {
        return Vec::new();
    };
    // The target's own path ends at the first unescaped ": ".
    let Some((_, deps)) = line.split_once(": ") else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => {
                if !current.is_empty() {
                    sources.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        sources.push(PathBuf::from(current));
    }
    sources
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{} {:02}:{:02}:{:02} UTC", date_of(secs), day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::time::Duration;

    use super::*;

    /// Paths are split at spaces, an escaped space kept; only the first line's target counts.
    #[test]
    fn dep_info_is_read() {
        let d = "/t/release/threads: /w/a.rs /w/dir\\ x/b.rs\n\n/w/a.rs:\n";
        assert_eq!(dep_info_sources(d), [PathBuf::from("/w/a.rs"), PathBuf::from("/w/dir x/b.rs")]);
        assert!(dep_info_sources("").is_empty());
    }

    /// A binary older than one of its sources is stale, and says which source; one built after
    /// all of them is not; one with no dep-info is taken as it is.
    #[test]
    fn stale_is_older_than_a_source() {
        let dir = std::env::temp_dir().join(format!("crawler-models-fresh-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (binary, source) = (dir.join("model"), dir.join("model.rs"));
        fs::write(&binary, b"").unwrap();
        fs::write(&source, b"fn main() {}").unwrap();
        fs::write(dir.join("model.d"), format!("{}: {}\n", binary.display(), source.display()))
            .unwrap();
        let now = SystemTime::now();
        File::options().write(true).open(&binary).unwrap().set_modified(now).unwrap();
        let old = now - Duration::from_secs(3600);
        File::options().write(true).open(&source).unwrap().set_modified(old).unwrap();
        assert_eq!(Built::of(&dir, "model").unwrap().newer_source, None);
        let later = now + Duration::from_secs(60);
        File::options().write(true).open(&source).unwrap().set_modified(later).unwrap();
        assert_eq!(Built::of(&dir, "model").unwrap().newer_source, Some(source));
        fs::remove_file(dir.join("model.d")).unwrap();
        assert_eq!(Built::of(&dir, "model").unwrap().newer_source, None);
        assert!(Built::of(&dir, "no such binary").is_none());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Times read in UTC.
    #[test]
    fn utc_times() {
        let at = UNIX_EPOCH + Duration::from_secs(1_798_675_200 + 3_723);
        assert_eq!(utc(at), "2026-12-31 01:02:03 UTC");
    }
}
