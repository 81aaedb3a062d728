//! [`Summary`]: a model's runs at one `--max-tasks`, reduced to medians, and the per-page and
//! per-fetch numbers the table derives from them.

use crate::record::{Kind, RunRecord};

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
/// A median, not a mean: one run slowed by a neighbour's build should not move the result.
///
/// # Examples
/// ```
/// assert_eq!(benches::stats::median(&[3.0, 1.0, 2.0]), Some(2.0));
/// assert_eq!(benches::stats::median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
/// assert_eq!(benches::stats::median(&[]), None);
/// ```
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// One model at one `--max-tasks`: the medians of its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The model's name.
    pub model: String,
    /// Runs summarized.
    pub runs: usize,
    /// Records in the report (the same in every right run).
    pub pages: usize,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// User plus system CPU, seconds.
    pub cpu_secs: f64,
    /// Peak RSS, KiB.
    pub max_rss_kib: f64,
    /// Peak threads.
    pub peak_threads: f64,
    /// Peak RSS of the `--max-pages 1` baseline, KiB, when one was run.
    pub baseline_rss_kib: Option<f64>,
    /// Whether every run was right.
    pub ok: bool,
}

impl Summary {
    /// The summary of `model`'s runs at `max_tasks` among `records` (baselines included);
    /// `None` when it has no run there.
    pub fn of(records: &[RunRecord], model: &str, max_tasks: usize) -> Option<Summary> {
        let mine = |kind| {
            records
                .iter()
                .filter(move |r| r.model == model && r.max_tasks == max_tasks && r.kind == kind)
        };
        let runs: Vec<&RunRecord> = mine(Kind::Run).collect();
        if runs.is_empty() {
            return None;
        }
        let of = |f: fn(&RunRecord) -> Option<f64>| {
            median(&runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0)
        };
        let baselines: Vec<f64> =
            mine(Kind::Baseline).filter_map(|r| r.usage.map(|u| u.max_rss_kib as f64)).collect();
        Some(Summary {
            model: model.to_string(),
            runs: runs.len(),
            pages: of(|r| Some(r.pages as f64)).round() as usize,
            wall_secs: of(|r| Some(r.wall_secs)),
            cpu_secs: of(|r| r.usage.map(|u| u.cpu_secs())),
            max_rss_kib: of(|r| r.usage.map(|u| u.max_rss_kib as f64)),
            peak_threads: of(|r| r.usage.map(|u| u.peak_threads as f64)),
            baseline_rss_kib: median(&baselines),
            ok: runs.iter().all(|r| r.ok) && mine(Kind::Baseline).all(|r| r.ok),
        })
    }

    /// Records per second of wall time.
    pub fn pages_per_sec(&self) -> f64 {
        if self.wall_secs > 0.0 { self.pages as f64 / self.wall_secs } else { 0.0 }
    }

    /// CPU time per record, in microseconds: what a URL costs the machine, whatever the
    /// parallelism.
    pub fn cpu_us_per_page(&self) -> f64 {
        if self.pages > 0 { self.cpu_secs * 1e6 / self.pages as f64 } else { 0.0 }
    }

    /// (peak RSS − baseline RSS) ÷ `max_tasks`, in KiB: the memory of one fetch in flight, when
    /// a baseline was run.
    pub fn rss_per_fetch_kib(&self, max_tasks: usize) -> Option<f64> {
        let baseline = self.baseline_rss_kib?;
        Some((self.max_rss_kib - baseline) / max_tasks.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Usage;

    fn run(model: &str, kind: Kind, wall: f64, rss: u64, ok: bool) -> RunRecord {
        RunRecord {
            scenario: "s".into(),
            max_tasks: 100,
            model: model.into(),
            kind,
            round: 1,
            wall_secs: wall,
            usage: Some(Usage {
                wall_secs: wall,
                user_secs: wall / 2.0,
                sys_secs: wall / 4.0,
                max_rss_kib: rss,
                peak_threads: 3,
                exit_code: Some(0),
            }),
            pages: 1000,
            ok,
            problems: Vec::new(),
        }
    }

    /// Medians of the runs, the baseline apart; one bad run makes the model not ok.
    #[test]
    fn summary_of_runs() {
        let records = vec![
            run("a", Kind::Run, 1.0, 10_000, true),
            run("a", Kind::Run, 9.0, 30_000, true),
            run("a", Kind::Run, 2.0, 20_000, true),
            run("a", Kind::Baseline, 0.5, 5_000, true),
            run("b", Kind::Run, 1.0, 1, false),
        ];
        let a = Summary::of(&records, "a", 100).unwrap();
        assert_eq!((a.runs, a.pages, a.wall_secs, a.max_rss_kib), (3, 1000, 2.0, 20_000.0));
        assert_eq!(a.cpu_secs, 1.5);
        assert_eq!(a.pages_per_sec(), 500.0);
        assert_eq!(a.cpu_us_per_page(), 1500.0);
        assert_eq!(a.rss_per_fetch_kib(100), Some(150.0));
        assert!(a.ok);
        assert!(!Summary::of(&records, "b", 100).unwrap().ok);
        assert_eq!(Summary::of(&records, "b", 100).unwrap().rss_per_fetch_kib(100), None);
        assert!(Summary::of(&records, "a", 10).is_none());
    }

    /// An even count takes the mean of the middle two; NaN-free inputs sort totally.
    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[1.0, 100.0]), Some(50.5));
        assert_eq!(median(&[2.0, 2.0, 1.0, 7.0, 3.0]), Some(2.0));
    }
}
