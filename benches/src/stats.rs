//! [`Summary`]: a model's runs at one `--max-tasks`, reduced to medians, and the per-page and
//! per-fetch numbers the table derives from them.

use crate::measure::Usage;
use crate::record::{Kind, RunRecord};

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
/// A median, not a mean: one run slowed by a neighbour's build should not move the result.
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

/// The medians of a model's baseline runs: the program with one task and one page, what a crawl
/// costs before it has fetches in flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// Peak RSS, KiB.
    pub rss_kib: f64,
    /// Kernel memory, KiB.
    pub kernel_kib: f64,
    /// Most descriptors open at once.
    pub fds: f64,
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
    /// What the kernel held for it beside RSS, KiB ([`Usage::kernel_kib`]).
    pub kernel_kib: f64,
    /// Most descriptors open at once.
    pub peak_fds: f64,
    /// The baseline (one task, one page), when one was run: its peak RSS, its kernel memory,
    /// KiB, and its descriptors.
    pub baseline: Option<Baseline>,
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
        let baselines: Vec<Usage> = mine(Kind::Baseline).filter_map(|r| r.usage).collect();
        let of_baseline = |f: fn(&Usage) -> f64| {
            median(&baselines.iter().map(f).collect::<Vec<_>>()).unwrap_or(0.0)
        };
        let baseline = (!baselines.is_empty()).then(|| Baseline {
            rss_kib: of_baseline(|u| u.max_rss_kib as f64),
            kernel_kib: of_baseline(|u| u.kernel_kib() as f64),
            fds: of_baseline(|u| u.peak_fds as f64),
        });
        Some(Summary {
            model: model.to_string(),
            runs: runs.len(),
            pages: of(|r| Some(r.pages as f64)).round() as usize,
            wall_secs: of(|r| Some(r.wall_secs)),
            cpu_secs: of(|r| r.usage.map(|u| u.cpu_secs())),
            max_rss_kib: of(|r| r.usage.map(|u| u.max_rss_kib as f64)),
            peak_threads: of(|r| r.usage.map(|u| u.peak_threads as f64)),
            kernel_kib: of(|r| r.usage.map(|u| u.kernel_kib() as f64)),
            peak_fds: of(|r| r.usage.map(|u| u.peak_fds as f64)),
            baseline,
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

    /// (peak RSS − baseline RSS) ÷ `max_tasks`, in KiB: the user-space memory of one task
    /// with its fetch in flight, when a baseline was run.
    pub fn rss_per_fetch_kib(&self, max_tasks: usize) -> Option<f64> {
        let baseline = self.baseline?;
        Some((self.max_rss_kib - baseline.rss_kib) / max_tasks.max(1) as f64)
    }

    /// (kernel memory − the baseline's) ÷ `max_tasks`, in KiB: what the kernel holds for one
    /// task with its fetch in flight (its thread's kernel stack, page tables, its socket).
    pub fn kernel_per_fetch_kib(&self, max_tasks: usize) -> Option<f64> {
        let baseline = self.baseline?;
        Some((self.kernel_kib - baseline.kernel_kib) / max_tasks.max(1) as f64)
    }

    /// User and kernel memory per fetch, KiB.
    pub fn total_per_fetch_kib(&self, max_tasks: usize) -> Option<f64> {
        Some(self.rss_per_fetch_kib(max_tasks)? + self.kernel_per_fetch_kib(max_tasks)?)
    }

    /// Connections open at the peak: descriptors beyond the baseline's, when one was run.
    pub fn in_flight(&self) -> Option<f64> {
        Some((self.peak_fds - self.baseline?.fds).max(0.0))
    }
}

/// A straight line fitted by least squares: `y ≈ intercept + slope · x`, and how far the points
/// lie from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Growth of y per unit of x.
    pub slope: f64,
    /// y at x = 0.
    pub intercept: f64,
    /// The root mean square of the points' distances from the line, in y's unit.
    pub residual: f64,
}

/// The least-squares line through `points` (x, y); `None` with fewer than two distinct x.
pub fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if points.len() < 2 || sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let squares: f64 = points.iter().map(|p| (p.1 - intercept - slope * p.0).powi(2)).sum();
    Some(Fit { slope, intercept, residual: (squares / n).sqrt() })
}

#[cfg(test)]
mod tests {
    use super::*;

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
                peak_page_tables_kib: 100,
                peak_socket_kib: 52,
                peak_fds: 106,
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
        let mut baseline = run("a", Kind::Baseline, 0.5, 5_000, true);
        if let Some(u) = baseline.usage.as_mut() {
            (u.peak_threads, u.peak_socket_kib, u.peak_fds) = (1, 2, 6);
        }
        let records = vec![
            run("a", Kind::Run, 1.0, 10_000, true),
            run("a", Kind::Run, 9.0, 30_000, true),
            run("a", Kind::Run, 2.0, 20_000, true),
            baseline,
            run("b", Kind::Run, 1.0, 1, false),
        ];
        let a = Summary::of(&records, "a", 100).unwrap();
        assert_eq!((a.runs, a.pages, a.wall_secs, a.max_rss_kib), (3, 1000, 2.0, 20_000.0));
        assert_eq!(a.cpu_secs, 1.5);
        assert_eq!(a.pages_per_sec(), 500.0);
        assert_eq!(a.cpu_us_per_page(), 1500.0);
        assert_eq!(a.rss_per_fetch_kib(100), Some(150.0));
        // Kernel: 3 stacks, 100 KiB of page tables, 52 KiB of sockets, against 1, 100 and 2.
        assert_eq!(a.kernel_per_fetch_kib(100), Some((200.0 - 118.0) / 100.0));
        assert_eq!(a.total_per_fetch_kib(100), Some(150.82));
        assert_eq!(a.in_flight(), Some(100.0));
        assert!(a.ok);
        assert!(!Summary::of(&records, "b", 100).unwrap().ok);
        assert_eq!(Summary::of(&records, "b", 100).unwrap().rss_per_fetch_kib(100), None);
        assert!(Summary::of(&records, "a", 10).is_none());
    }

    /// The middle value; the mean of the middle two; nothing of nothing.
    #[test]
    fn median_of_few() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    /// Points on a line give that line and no residual; one x alone gives no line.
    #[test]
    fn fit_exact() {
        let fit = fit(&[(0.0, 1.0), (10.0, 21.0), (100.0, 201.0)]).unwrap();
        assert!((fit.slope - 2.0).abs() < 1e-9 && (fit.intercept - 1.0).abs() < 1e-9);
        assert!(fit.residual < 1e-9);
        assert!(super::fit(&[(5.0, 1.0), (5.0, 2.0)]).is_none());
    }

    /// A line through scattered points: the slope is the least-squares one, and the residual
    /// is the points' RMS distance from it.
    #[test]
    fn fit_with_scatter() {
        let fit = fit(&[(0.0, 0.0), (1.0, 2.0), (2.0, 2.0), (3.0, 4.0)]).unwrap();
        assert!((fit.slope - 1.2).abs() < 1e-12, "{fit:?}");
        assert!((fit.intercept - 0.2).abs() < 1e-12, "{fit:?}");
        // Residuals: -0.2, 0.6, -0.6, 0.2.
        assert!((fit.residual - (0.8f64 / 4.0).sqrt()).abs() < 1e-12, "{fit:?}");
    }

    /// An even count takes the mean of the middle two; NaN-free inputs sort totally.
    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[1.0, 100.0]), Some(50.5));
        assert_eq!(median(&[2.0, 2.0, 1.0, 7.0, 3.0]), Some(2.0));
    }
}
