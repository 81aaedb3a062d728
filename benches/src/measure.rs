//! `compare --measure -- CMD...`: the tiny intermediate process that runs one model and measures
//! that child only: wall time, user and system CPU and peak RSS (`getrusage(RUSAGE_CHILDREN)`
//! once its single child is reaped), and peak threads (sampled from `/proc`).
//!
//! Why a process in between: the harness runs many children over its life (the test site, the
//! models), and `RUSAGE_CHILDREN` sums them all. A process whose only child is the model reads
//! exactly the model's numbers, with nix's safe `getrusage` and no `unsafe` `wait4`.

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;
use serde::{Deserialize, Serialize};

/// The hidden first argument that makes `compare` the measuring process.
pub const MEASURE_FLAG: &str = "--measure";

/// The prefix of the one line of numbers the measuring process writes on stderr, after
/// whatever the model wrote there.
pub const MARKER: &str = "compare-measure: ";

/// How often `/proc/<pid>/status` is read for the thread count.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// What the OS says one run of a model cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// From spawn to reaped, in seconds.
    pub wall_secs: f64,
    /// CPU time in user mode, in seconds.
    pub user_secs: f64,
    /// CPU time in the kernel, in seconds.
    pub sys_secs: f64,
    /// Peak resident set size, in KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
    /// Most threads seen at once (sampled every 10 ms, so a thread that lives less may be
    /// missed; worker pools live for the whole crawl).
    pub peak_threads: u64,
    /// The exit status, or `None` when a signal ended the model.
    pub exit_code: Option<i32>,
}

impl Usage {
    /// User plus system CPU time.
    pub fn cpu_secs(&self) -> f64 {
        self.user_secs + self.sys_secs
    }
}

/// The measuring process's `main`: `args` is `[MEASURE_FLAG, "--", program, args...]`. The
/// model inherits stdout (its report goes straight to the harness) and stderr; the numbers are
/// one more line on stderr, after [`MARKER`]. Exits with the model's status.
pub fn measure_main(args: &[OsString]) -> ExitCode {
    let [_, separator, program, rest @ ..] = args else {
        eprintln!("usage: compare {MEASURE_FLAG} -- PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    if separator != "--" {
        eprintln!("usage: compare {MEASURE_FLAG} -- PROGRAM [ARGS...]");
        return ExitCode::from(2);
    }
    let start = Instant::now();
    let mut child = match Command::new(program).args(rest).stdin(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("cannot start {}: {e}", program.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, pid) = (done.clone(), child.id());
        std::thread::spawn(move || sample_threads(pid, &done))
    };
    let status = child.wait();
    let wall = start.elapsed();
    // The sampler stops at its next look; the pid is reaped, so it may read one more sample of
    // nothing, never another process's (a pid is not reused within 10 ms in practice).
    done.store(true, Ordering::Relaxed);
    let peak_threads = sampler.join().unwrap_or(0);
    let exit_code = status.ok().and_then(|s| s.code());
    let (user, sys, rss) = match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => (secs(u.user_time()), secs(u.system_time()), u.max_rss().max(0) as u64),
        Err(e) => {
            eprintln!("getrusage: {e}");
            (0.0, 0.0, 0)
        }
    };
    let usage = Usage {
        wall_secs: wall.as_secs_f64(),
        user_secs: user,
        sys_secs: sys,
        max_rss_kib: rss,
        peak_threads,
        exit_code,
    };
    // Cannot fail: the struct holds only numbers.
    eprintln!("{MARKER}{}", serde_json::to_string(&usage).expect("serializable"));
    ExitCode::from(exit_code.map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// A `TimeVal` in seconds.
fn secs(t: TimeVal) -> f64 {
    t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6
}

/// Reads the thread count of `pid` every [`SAMPLE_EVERY`] until `done`, and returns the most
/// seen.
fn sample_threads(pid: u32, done: &AtomicBool) -> u64 {
    let path = format!("/proc/{pid}/status");
    let mut peak = 0;
    while !done.load(Ordering::Relaxed) {
        if let Some(n) = std::fs::read_to_string(&path).ok().as_deref().and_then(parse_threads) {
            peak = peak.max(n);
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    peak
}

/// The `Threads:` field of a `/proc/<pid>/status` text.
pub fn parse_threads(status: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

/// Splits the stderr of a measuring process into the [`Usage`] it printed (if it printed one)
/// and the rest, which the model wrote.
pub fn split_usage(stderr: &str) -> (Option<Usage>, String) {
    let Some(at) = stderr.rfind(MARKER) else {
        return (None, stderr.to_string());
    };
    let after = &stderr[at + MARKER.len()..];
    let end = after.find('\n').unwrap_or(after.len());
    let usage = serde_json::from_str(&after[..end]).ok();
    let rest = format!("{}{}", &stderr[..at], after[end..].trim_start_matches('\n'));
    (usage, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The thread count is read from its line, wherever it is.
    #[test]
    fn threads_from_proc_status() {
        let status = "Name:\tthreads\nState:\tS (sleeping)\nThreads:\t10001\nSigQ:\t0/9\n";
        assert_eq!(parse_threads(status), Some(10_001));
        assert_eq!(parse_threads("Name:\tx\n"), None);
    }

    /// The numbers line is found after the model's own output (even one without a final
    /// newline), and the model's output is kept apart from it.
    #[test]
    fn usage_line_is_split_off() {
        let usage = Usage {
            wall_secs: 1.5,
            user_secs: 0.25,
            sys_secs: 0.5,
            max_rss_kib: 2048,
            peak_threads: 3,
            exit_code: Some(0),
        };
        let line = serde_json::to_string(&usage).unwrap();
        let stderr = format!("WARN something\npartial{MARKER}{line}\n");
        let (parsed, rest) = split_usage(&stderr);
        assert_eq!(parsed, Some(usage));
        assert_eq!(rest, "WARN something\npartial");
        assert_eq!(parsed.unwrap().cpu_secs(), 0.75);
        assert_eq!(split_usage("no numbers\n"), (None, "no numbers\n".to_string()));
    }

    /// The measuring process runs its child and reports it: the wall time covers the child's
    /// life, and its exit status is passed on.
    #[test]
    fn measures_a_child() {
        let args: Vec<OsString> = [MEASURE_FLAG, "--", "sh", "-c", "sleep 0.05; exit 3"]
            .iter()
            .map(OsString::from)
            .collect();
        // Run in-process would reap our own children into RUSAGE_CHILDREN; this test only
        // checks the argument handling and the status, which are the same either way.
        let code = measure_main(&args);
        assert_eq!(code, ExitCode::from(3));
        let bad: Vec<OsString> = [MEASURE_FLAG, "sh"].iter().map(OsString::from).collect();
        assert_eq!(measure_main(&bad), ExitCode::from(2));
    }
}
