//! [`Table`]: the results as a fixed-width text table (one line per model, columns that line up
//! in a terminal and in a README's code block) or as a Markdown table.

use crate::stats::{Summary, fit};

/// Which side of its column a cell sticks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Names.
    Left,
    /// Numbers.
    Right,
}

/// A column: its header and its least width (a longer cell widens it: nothing is cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header.
    pub header: String,
    /// The least width, in characters.
    pub width: usize,
    /// The alignment of its cells.
    pub align: Align,
}

impl Column {
    fn new(header: &str, width: usize, align: Align) -> Column {
        Column { header: header.to_string(), width, align }
    }
}

/// A table: a title, columns, rows of cells, and notes printed under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The line above the table.
    pub title: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, a cell per column.
    pub rows: Vec<Vec<String>>,
    /// Lines under the table: what the ceiling is, what the site counted.
    pub notes: Vec<String>,
}

impl Table {
    /// The table as fixed-width text: every line of the grid is as long as every other (the last
    /// column is right-aligned, so no line ends in spaces).
    pub fn text(&self) -> String {
        let widths = self.widths();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&self.columns)
                .zip(&widths)
                .map(|((cell, col), &w)| match col.align {
                    Align::Left => format!("{cell:<w$}"),
                    Align::Right => format!("{cell:>w$}"),
                })
                .collect();
            padded.join("  ")
        };
        let headers: Vec<String> = self.columns.iter().map(|c| c.header.clone()).collect();
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        let mut out = format!("{}\n{}\n{}\n", self.title, line(&headers), line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(&format!("  {note}\n"));
        }
        out
    }

    /// The table in Markdown, the title as a heading and the notes as a list.
    pub fn markdown(&self) -> String {
        let row = |cells: Vec<&str>| format!("| {} |\n", cells.join(" | "));
        let mut out = format!("### {}\n\n", self.title);
        out.push_str(&row(self.columns.iter().map(|c| c.header.as_str()).collect()));
        out.push_str(&row(self
            .columns
            .iter()
            .map(|c| if c.align == Align::Right { "---:" } else { "---" })
            .collect()));
        for cells in &self.rows {
            out.push_str(&row(cells.iter().map(String::as_str).collect()));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }

    /// Each column's width: its least width, or its longest cell (in characters, so that `µ`
    /// counts one).
    fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let cells = self.rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count());
                cells.chain([col.width, col.header.chars().count()]).max().unwrap_or(0)
            })
            .collect()
    }
}

/// The table of one scenario at one `--max-tasks`: a row per model. `ideal` is the ceiling in
/// seconds, if the scenario has one; the RSS per in-flight fetch is shown when a baseline was
/// run.
pub fn scenario_table(
    title: String,
    summaries: &[Summary],
    max_tasks: usize,
    ideal: Option<f64>,
) -> Table {
    use Align::{Left, Right};
    // Kernel and total memory per fetch where there are baselines to count them from.
    let per_fetch = summaries.iter().any(|s| s.baseline.is_some());
    let mut columns = vec![
        Column::new("model", 20, Left),
        Column::new("pages", 6, Right),
        Column::new("wall s", 7, Right),
        Column::new("pages/s", 7, Right),
        Column::new("CPU s", 6, Right),
        Column::new("CPU µs/page", 11, Right),
        Column::new("peak RSS MB", 11, Right),
        Column::new("RSS/fetch KiB", 13, Right),
    ];
    if per_fetch {
        columns.push(Column::new("kernel/fetch KiB", 16, Right));
        columns.push(Column::new("total/fetch KiB", 15, Right));
    }
    columns.extend([
        Column::new("threads", 7, Right),
        Column::new("ideal s", 7, Right),
        Column::new("ideal/actual", 12, Right),
        Column::new("oracle", 8, Right),
    ]);
    let kib = |k: Option<f64>| k.map_or("-".into(), |k| format!("{k:.1}"));
    let rows = summaries
        .iter()
        .map(|s| {
            let mut row = vec![
                s.model.clone(),
                s.pages.to_string(),
                format!("{:.3}", s.wall_secs),
                format!("{:.0}", s.pages_per_sec()),
                format!("{:.2}", s.cpu_secs),
                format!("{:.1}", s.cpu_us_per_page()),
                format!("{:.1}", s.max_rss_kib / 1024.0),
                kib(s.rss_per_fetch_kib(max_tasks)),
            ];
            if per_fetch {
                row.push(kib(s.kernel_per_fetch_kib(max_tasks)));
                row.push(kib(s.total_per_fetch_kib(max_tasks)));
            }
            row.extend([
                format!("{:.0}", s.peak_threads),
                ideal.map_or("-".into(), |i| format!("{i:.3}")),
                ratio(ideal, s.wall_secs),
                verdict(s.ok).into(),
            ]);
            row
        })
        .collect();
    Table { title, columns, rows, notes: Vec::new() }
}

/// What TLS costs each model (`compare --tls-cost`): a row per model of `plain`, with its CPU
/// per page and RSS per in-flight fetch plain and over TLS (`tls`, matched by model).
pub fn tls_cost_table(
    title: String,
    plain: &[Summary],
    tls: &[Summary],
    max_tasks: usize,
) -> Table {
    let rows = plain
        .iter()
        .filter_map(|p| {
            let t = tls.iter().find(|t| t.model == p.model)?;
            Some(tls_cost_row(p, t, max_tasks))
        })
        .collect();
    Table { title, columns: tls_cost_columns(), rows, notes: Vec::new() }
}

fn tls_cost_columns() -> Vec<Column> {
    use Align::{Left, Right};
    vec![
        Column::new("model", 20, Left),
        Column::new("CPU µs/page", 11, Right),
        Column::new("over TLS", 8, Right),
        Column::new("TLS - plain", 11, Right),
        Column::new("RSS/fetch KiB", 13, Right),
        Column::new("over TLS", 8, Right),
        Column::new("TLS/plain", 9, Right),
        Column::new("oracle", 8, Right),
    ]
}

fn tls_cost_row(plain: &Summary, tls: &Summary, max_tasks: usize) -> Vec<String> {
    let (cpu, cpu_tls) = (plain.cpu_us_per_page(), tls.cpu_us_per_page());
    let (rss, rss_tls) = (plain.rss_per_fetch_kib(max_tasks), tls.rss_per_fetch_kib(max_tasks));
    let kib = |k: Option<f64>| k.map_or("-".into(), |k| format!("{k:.1}"));
    let ratio = match (rss, rss_tls) {
        (Some(a), Some(b)) if a > 0.0 => format!("{:.2}", b / a),
        _ => "-".into(),
    };
    vec![
        plain.model.clone(),
        format!("{cpu:.1}"),
        format!("{cpu_tls:.1}"),
        format!("{:.1}", cpu_tls - cpu),
        kib(rss),
        kib(rss_tls),
        ratio,
        verdict(plain.ok && tls.ok).into(),
    ]
}

/// The sweep's summary: a row per model, its pages/s and peak RSS at each `--max-tasks`, and
/// memory as a slope: the least-squares line of peak RSS (and of RSS plus kernel memory)
/// against the connections open at the peak, over the levels, with the points' RMS distance
/// from it. `levels` is each level with its summaries.
pub fn sweep_table(title: String, levels: &[(usize, Vec<Summary>)]) -> Table {
    let mut columns = vec![Column::new("model", 20, Align::Left)];
    for (n, _) in levels {
        columns.push(Column::new(&format!("pages/s @{n}"), 9, Align::Right));
    }
    for (n, _) in levels {
        columns.push(Column::new(&format!("RSS MB @{n}"), 8, Align::Right));
    }
    columns.push(Column::new("RSS KiB/conn", 12, Align::Right));
    columns.push(Column::new("± MB", 6, Align::Right));
    columns.push(Column::new("total KiB/conn", 14, Align::Right));
    columns.push(Column::new("± MB", 6, Align::Right));
    columns.push(Column::new("oracle", 8, Align::Right));
    let mut models: Vec<&str> = Vec::new();
    for s in levels.iter().flat_map(|(_, sums)| sums) {
        if !models.contains(&s.model.as_str()) {
            models.push(&s.model);
        }
    }
    let find = |model: &str, sums: &'_ [Summary]| sums.iter().find(|s| s.model == model).cloned();
    let rows = models
        .iter()
        .map(|&model| {
            let at: Vec<Option<Summary>> =
                levels.iter().map(|(_, sums)| find(model, sums)).collect();
            let mut row = vec![model.to_string()];
            row.extend(
                at.iter().map(|s| {
                    s.as_ref().map_or("-".into(), |s| format!("{:.0}", s.pages_per_sec()))
                }),
            );
            row.extend(at.iter().map(|s| {
                s.as_ref().map_or("-".into(), |s| format!("{:.1}", s.max_rss_kib / 1024.0))
            }));
            for y in [|s: &Summary| s.max_rss_kib, |s: &Summary| s.max_rss_kib + s.kernel_kib] {
                let points: Vec<(f64, f64)> =
                    at.iter().flatten().filter_map(|s| Some((s.in_flight()?, y(s)))).collect();
                match fit(&points) {
                    Some(f) => row
                        .extend([format!("{:.1}", f.slope), format!("{:.1}", f.residual / 1024.0)]),
                    None => row.extend(["-".into(), "-".into()]),
                }
            }
            row.push(verdict(at.iter().flatten().all(|s| s.ok)).into());
            row
        })
        .collect();
    Table { title, columns, rows, notes: Vec::new() }
}

/// `ideal ÷ actual`: 1.00 is a perfect crawl.
fn ratio(ideal: Option<f64>, actual: f64) -> String {
    match ideal {
        Some(ideal) if actual > 0.0 => format!("{:.2}", ideal / actual),
        _ => "-".into(),
    }
}

/// The oracle column: loud when wrong.
fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISMATCH" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Baseline;

    fn summary(model: &str, ok: bool) -> Summary {
        Summary {
            model: model.into(),
            runs: 3,
            pages: 12_098,
            wall_secs: 3.316,
            cpu_secs: 4.5,
            max_rss_kib: 48_128.0,
            peak_threads: 101.0,
            kernel_kib: 1_000.0,
            peak_fds: 110.0,
            baseline: Some(Baseline { rss_kib: 8_192.0, kernel_kib: 100.0, fds: 10.0 }),
            ok,
        }
    }

    /// Every line of the grid has the same width, the numbers are right-aligned under their
    /// headers, and a MISMATCH shows.
    #[test]
    fn fixed_width_text() {
        let sums = [summary("threads", true), summary("coroutine-mt-reqwest", false)];
        let table = scenario_table("sleepy @ 100".into(), &sums, 100, Some(2.42));
        let text = table.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "sleepy @ 100");
        let width = lines[1].chars().count();
        assert!(lines[1..4].iter().all(|l| l.chars().count() == width), "{text}");
        assert!(lines[2].chars().all(|c| c == '-' || c == ' '));
        let cells: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "threads", "12098", "3.316", "3648", "4.50", "372.0", "47.0", "399.4", "9.0",
                "408.4", "101", "2.420", "0.73", "ok"
            ]
        );
        assert!(lines[4].ends_with("MISMATCH"), "{}", lines[4]);
        let col = lines[1].find("wall s").unwrap() + "wall s".len();
        assert_eq!(
            lines[3].chars().take(col).collect::<String>().trim_end().len(),
            col,
            "right-aligned"
        );
    }

    /// With no ideal and no baseline the columns say `-`, not a made-up zero.
    #[test]
    fn absent_values_are_dashes() {
        let mut s = summary("callback", true);
        s.baseline = None;
        let table = scenario_table("docs @ 10".into(), &[s], 10, None);
        let cells = &table.rows[0];
        assert_eq!((cells[7].as_str(), cells[9].as_str(), cells[10].as_str()), ("-", "-", "-"));
        // No baseline anywhere: no kernel or total column either.
        assert!(table.columns.iter().all(|c| !c.header.contains("kernel")));
    }

    /// Markdown: a heading, a header row, an alignment row, a row per model, notes as a list.
    #[test]
    fn markdown_table() {
        let mut table = scenario_table("tiny @ 10".into(), &[summary("threads", true)], 10, None);
        table.notes.push("ceiling: none".into());
        let md = table.markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "### tiny @ 10");
        assert!(lines[2].starts_with("| model | pages | wall s |"));
        assert!(lines[3].starts_with("| --- | ---: |"));
        assert!(lines[4].starts_with("| threads | 12098 | 3.316 |"));
        assert_eq!(lines.last(), Some(&"- ceiling: none"));
    }

    /// The sweep has a row per model and a column per level, for pages/s and for memory, and
    /// memory's slope against the connections open.
    #[test]
    fn sweep_summary() {
        let mut wide = summary("threads", true);
        // 1,000 more connections than the first level (100), 20 MiB more RSS, 4 MiB more kernel.
        (wide.peak_fds, wide.max_rss_kib, wide.kernel_kib) = (1_110.0, 68_608.0, 5_096.0);
        let levels = vec![(1, vec![summary("threads", true)]), (10, vec![wide])];
        let table = sweep_table("sweep".into(), &levels);
        let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(
            headers,
            [
                "model",
                "pages/s @1",
                "pages/s @10",
                "RSS MB @1",
                "RSS MB @10",
                "RSS KiB/conn",
                "± MB",
                "total KiB/conn",
                "± MB",
                "oracle"
            ]
        );
        assert_eq!(
            table.rows,
            [["threads", "3648", "3648", "47.0", "67.0", "20.5", "0.0", "24.6", "0.0", "ok"]]
        );
        let text = table.text();
        let widths: Vec<usize> = text.lines().skip(1).map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}
