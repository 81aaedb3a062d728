//! `compare --measure -- CMD...`: the tiny intermediate process that runs one model and measures
//! that child only: wall time, user and system CPU and peak RSS (`getrusage(RUSAGE_CHILDREN)`
//! once its single child is reaped), and, sampled from `/proc` while it runs, its peak threads,
//! page tables and open descriptors, and the socket memory the machine's kernel grew by.
//!
//! What the kernel holds for a process and RSS does not count ([`Usage::kernel_kib`]):
//! - a kernel stack per thread ([`KERNEL_STACK_KIB`] each, x86-64's `THREAD_SIZE`);
//! - its page tables (`VmPTE` of `/proc/<pid>/status`, exact);
//! - its sockets: the objects (`struct tcp_sock`, the inode, the file, epoll's entry) and the
//!   buffers. No file gives them per process, so they are read for the whole machine: the
//!   growth of `Slab` (`/proc/meminfo`) and of TCP's `mem` (`/proc/net/sockstat`) since the
//!   model started, halved, because each connection is two sockets on this machine, the
//!   model's and the test site's, built alike. Anything else that grows the slab during a run
//!   (a build beside it) is counted too: measure on a quiet machine.
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

/// How often `/proc/<pid>/status`, `/proc/meminfo` and `/proc/net/sockstat` are read.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Every how many samples the open descriptors are counted: listing `/proc/<pid>/fd` costs
/// about 0.7 µs a descriptor (7 ms at 10,000), too much for every sample; a peak of connections
/// lasts far longer than 200 ms in the scenarios that need it.
const COUNT_FDS_EVERY: u32 = 20;

/// The kernel stack of one thread, KiB: `THREAD_SIZE` on x86-64 (and on arm64), allocated for
/// every thread whatever it does. The task struct (about 6 KiB more, `task_struct` in
/// `/proc/slabinfo`) is slab, counted (halved) with the sockets.
pub const KERNEL_STACK_KIB: u64 = 16;

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
    /// The largest page tables seen, KiB (`VmPTE`).
    pub peak_page_tables_kib: u64,
    /// The most the machine's socket memory grew by while the model ran, halved (the model's
    /// end of each loopback connection), KiB: see the module's comment.
    pub peak_socket_kib: u64,
    /// Most descriptors open at once (counted every 200 ms): the model's connections, plus a
    /// few files of its own.
    pub peak_fds: u64,
    /// The exit status, or `None` when a signal ended the model.
    pub exit_code: Option<i32>,
}

impl Usage {
    /// User plus system CPU time.
    pub fn cpu_secs(&self) -> f64 {
        self.user_secs + self.sys_secs
    }

    /// What the kernel held for the model at its peak and RSS leaves out, KiB: kernel stacks,
    /// page tables and its share of socket memory (each at its own peak, so a bound from above
    /// when they peak at different times).
    pub fn kernel_kib(&self) -> u64 {
        self.peak_threads * KERNEL_STACK_KIB + self.peak_page_tables_kib + self.peak_socket_kib
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
    let machine = SocketMemory::read();
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
        std::thread::spawn(move || sample(pid, machine, &done))
    };
    let status = child.wait();
    let wall = start.elapsed();
    // The sampler stops at its next look; the pid is reaped, so it may read one more sample of
    // nothing, never another process's (a pid is not reused within 10 ms in practice).
    done.store(true, Ordering::Relaxed);
    let peaks = sampler.join().unwrap_or_default();
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
        peak_threads: peaks.threads,
        peak_page_tables_kib: peaks.page_tables_kib,
        peak_socket_kib: peaks.socket_kib,
        peak_fds: peaks.fds,
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

/// The machine-wide figures a socket grows: `Slab` of `/proc/meminfo` and TCP's `mem` of
/// `/proc/net/sockstat`, both in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SocketMemory {
    slab_kib: u64,
    tcp_mem_kib: u64,
}

impl SocketMemory {
    /// Now (0 for what cannot be read).
    fn read() -> SocketMemory {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        SocketMemory {
            slab_kib: parse_field(&read("/proc/meminfo"), "Slab:").unwrap_or(0),
            tcp_mem_kib: parse_tcp_mem_pages(&read("/proc/net/sockstat")).unwrap_or(0) * 4,
        }
    }

    /// How much the sockets grew since `before`, halved: the model's end, KiB.
    fn socket_share_since(&self, before: SocketMemory) -> u64 {
        (self.slab_kib.saturating_sub(before.slab_kib)
            + self.tcp_mem_kib.saturating_sub(before.tcp_mem_kib))
            / 2
    }
}

/// The largest of each figure seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Peaks {
    threads: u64,
    page_tables_kib: u64,
    socket_kib: u64,
    fds: u64,
}

/// Samples `pid` (and the machine, against `before`) every [`SAMPLE_EVERY`] until `done`;
/// the peaks.
fn sample(pid: u32, before: SocketMemory, done: &AtomicBool) -> Peaks {
    let (status, fd_dir) = (format!("/proc/{pid}/status"), format!("/proc/{pid}/fd"));
    let mut peaks = Peaks::default();
    let mut tick = 0u32;
    while !done.load(Ordering::Relaxed) {
        if let Ok(text) = std::fs::read_to_string(&status) {
            peaks.threads = peaks.threads.max(parse_field(&text, "Threads:").unwrap_or(0));
            let pte = parse_field(&text, "VmPTE:").unwrap_or(0);
            peaks.page_tables_kib = peaks.page_tables_kib.max(pte);
        }
        peaks.socket_kib = peaks.socket_kib.max(SocketMemory::read().socket_share_since(before));
        if tick.is_multiple_of(COUNT_FDS_EVERY)
            && let Ok(dir) = std::fs::read_dir(&fd_dir)
        {
            peaks.fds = peaks.fds.max(dir.count() as u64);
        }
        tick = tick.wrapping_add(1);
        std::thread::sleep(SAMPLE_EVERY);
    }
    peaks
}

/// The number after `name` on its line of a `/proc` text (`Threads:\t10001`, `VmPTE:\t  88
/// kB`: the unit is left off).
pub fn parse_field(text: &str, name: &str) -> Option<u64> {
    let rest = text.lines().find_map(|l| l.strip_prefix(name))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// TCP's `mem` (in pages) of a `/proc/net/sockstat` text.
fn parse_tcp_mem_pages(sockstat: &str) -> Option<u64> {
    let line = sockstat.lines().find_map(|l| l.strip_prefix("TCP:"))?;
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        if word == "mem" {
            return words.next()?.parse().ok();
        }
    }
    None
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

    /// The thread count and the page tables are read from their lines, wherever they are;
    /// TCP's pages from sockstat's TCP line, not UDP's.
    #[test]
    fn fields_from_proc() {
        let status = "Name:\tthreads\nVmPTE:\t     408 kB\nThreads:\t10001\nSigQ:\t0/9\n";
        assert_eq!(parse_field(status, "Threads:"), Some(10_001));
        assert_eq!(parse_field(status, "VmPTE:"), Some(408));
        assert_eq!(parse_field("Name:\tx\n", "Threads:"), None);
        let sockstat = "sockets: used 13\nTCP: inuse 3 orphan 0 tw 0 alloc 3 mem 451\n\
                        UDP: inuse 0 mem 7\n";
        assert_eq!(parse_tcp_mem_pages(sockstat), Some(451));
        assert_eq!(parse_tcp_mem_pages("UDP: inuse 0 mem 7\n"), None);
    }

    /// The model's share of socket memory is half the machine's growth; a shrink is no growth.
    #[test]
    fn socket_share() {
        let before = SocketMemory { slab_kib: 1000, tcp_mem_kib: 40 };
        let after = SocketMemory { slab_kib: 21_000, tcp_mem_kib: 20 };
        assert_eq!(after.socket_share_since(before), 10_000);
        let usage =
            Usage { peak_threads: 10, peak_page_tables_kib: 100, peak_socket_kib: 5, ..usage() };
        assert_eq!(usage.kernel_kib(), 10 * KERNEL_STACK_KIB + 105);
    }

    /// A usage with every figure set.
    fn usage() -> Usage {
        Usage {
            wall_secs: 1.5,
            user_secs: 0.25,
            sys_secs: 0.5,
            max_rss_kib: 2048,
            peak_threads: 3,
            peak_page_tables_kib: 96,
            peak_socket_kib: 12,
            peak_fds: 9,
            exit_code: Some(0),
        }
    }

    /// The numbers line is found after the model's own output (even one without a final
    /// newline), and the model's output is kept apart from it.
    #[test]
    fn usage_line_is_split_off() {
        let usage = usage();
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
