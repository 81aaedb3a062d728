//! The `callback` binary as a user runs it: the contract's exit codes, report, proxy and Ctrl-C.

testsite::cli_tests!(env!("CARGO_BIN_EXE_callback"));
