//! The HTML files of a folder, and where the toolchain keeps its documentation: the corpus of the
//! Rust-docs test and of the link-extraction bench.

use std::path::{Path, PathBuf};

/// `$(rustc --print sysroot)/share/doc/rust/html` (a path that does not exist if `rustc` cannot
/// be asked).
pub fn docs_root() -> PathBuf {
    let sysroot = std::process::Command::new("rustc").args(["--print", "sysroot"]).output();
    let sysroot = sysroot.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    Path::new(&sysroot.unwrap_or_default()).join("share/doc/rust/html")
}

/// Every `.html` file below `dir`, appended to `out` (none if `dir` cannot be read).
pub fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}
