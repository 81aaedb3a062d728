//! [`Machine`]: what the numbers were measured on and with (CPU, cores, memory, `rustc -V`,
//! commit, date), printed above the tables, as results must be published.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The machine and build a comparison ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// The CPU model, from `/proc/cpuinfo`.
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// Memory, from `/proc/meminfo`, in GiB.
    pub memory_gib: u64,
    /// `rustc -V`.
    pub rustc: String,
    /// `git rev-parse --short HEAD` of the workspace, with a note when the tree has changes.
    pub commit: String,
    /// The date, UTC, `YYYY-MM-DD`.
    pub date: String,
}

impl Machine {
    /// Looks everything up; what cannot be found reads `unknown`.
    pub fn detect() -> Machine {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        let unknown = || "unknown".to_string();
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpu: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(unknown),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: memory_kib(&read("/proc/meminfo")).map_or(0, |kib| kib.div_ceil(1 << 20)),
            rustc: output("rustc", &["-V"], None).unwrap_or_else(unknown),
            commit: commit().unwrap_or_else(unknown),
            date: date_of(secs),
        }
    }

    /// The header line above the tables.
    pub fn line(&self) -> String {
        format!(
            "Machine: {}, {} cores, {} GiB; {}; commit {}; {}",
            self.cpu, self.cores, self.memory_gib, self.rustc, self.commit, self.date
        )
    }
}

/// The workspace's commit, short, marked when the working tree has uncommitted changes (the
/// numbers then belong to no commit exactly).
fn commit() -> Option<String> {
    // The workspace root: this crate's parent folder, where it was built.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let hash = output("git", &["rev-parse", "--short", "HEAD"], Some(root))?;
    let changes = output("git", &["status", "--porcelain", "--untracked-files=no"], Some(root));
    Some(match changes {
        Some(c) if !c.is_empty() => format!("{hash} (+ uncommitted changes)"),
        _ => hash,
    })
}

/// A command's stdout, trimmed, if it ran and succeeded.
fn output(program: &str, args: &[&str], dir: Option<&Path>) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The first `model name` of a `/proc/cpuinfo` text.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `MemTotal` of a `/proc/meminfo` text, in KiB.
fn memory_kib(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The UTC date of a Unix time, `YYYY-MM-DD` (Howard Hinnant's `civil_from_days`: no date crate
/// for one line of a header).
pub fn date_of(unix_secs: u64) -> String {
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates across a leap day and a century.
    #[test]
    fn dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(951_782_400), "2000-02-29");
        assert_eq!(date_of(951_868_800), "2000-03-01");
        assert_eq!(date_of(1_798_675_200 + 86_399), "2026-12-31");
    }

    /// The CPU model and memory are read from the kernel's text, spaces squeezed.
    #[test]
    fn proc_files() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD  EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(memory_kib("MemTotal:       24684084 kB\nMemFree: 1 kB\n"), Some(24_684_084));
    }

    /// The header names everything a published number needs.
    #[test]
    fn header_line() {
        let m = Machine {
            cpu: "X".into(),
            cores: 2,
            memory_gib: 24,
            rustc: "rustc 1.95.0".into(),
            commit: "abc1234".into(),
            date: "2026-11-27".into(),
        };
        assert_eq!(
            m.line(),
            "Machine: X, 2 cores, 24 GiB; rustc 1.95.0; commit abc1234; 2026-11-27"
        );
    }
}
