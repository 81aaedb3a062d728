//! The `threads` binary as a user runs it: the contract's exit codes, report, proxy and Ctrl-C.

testsite::cli_tests!(env!("CARGO_BIN_EXE_threads"));

/// `threads --version` prints the binary's own name and the workspace's version, not the name
/// of the crate that defines the shared command line.
#[test]
fn version_names_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threads"))
        .arg("--version")
        .output()
        .expect("threads runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, concat!("threads ", env!("CARGO_PKG_VERSION"), "\n"));
}

/// A root with whitespace is refused with one line and exit 2, before any crawl: no report on
/// stdout. (Each root names 127.0.0.1, so that even a regression would resolve nothing; the
/// other malformed roots, `ht!tp://x y` among them, are `shared::cli`'s unit tests.)
#[test]
fn roots_with_whitespace_exit_2() {
    for root in ["127.0.0.1:9/a b", "http://127.0.0.1:9/a\tb", "http://127.0.0.1:9/\nx"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_threads"))
            .arg(root)
            .output()
            .expect("threads runs");
        assert_eq!(out.status.code(), Some(2), "{root:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{root:?}: {stderr}");
        assert!(stderr.starts_with("error: bad URL "), "{root:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{root:?}: the crawl did not start");
    }
}
