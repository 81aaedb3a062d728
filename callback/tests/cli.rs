//! The `callback` binary as a user runs it: the contract's exit codes, report, proxy and Ctrl-C.

testsite::cli_tests!(env!("CARGO_BIN_EXE_callback"));

/// `callback --version` prints the binary's own name and the workspace's version, not the name
/// of the crate that defines the shared command line.
#[test]
fn version_names_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callback"))
        .arg("--version")
        .output()
        .expect("callback runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, concat!("callback ", env!("CARGO_PKG_VERSION"), "\n"));
}
