//! [`draw`]: the charts of `--svg FILE`, drawn with plotters' SVG backend: a bar chart of wall
//! time per model for a scenario, and for the sweep pages/s and peak RSS against `--max-tasks`
//! (log axes), a line per model.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::Error;

/// Width of the SVG, in pixels.
const WIDTH: u32 = 1100;
/// Height of a sweep's panel, and the least a bar chart's takes.
const PANEL_HEIGHT: u32 = 380;
/// Height of one bar (with its gap): a dozen contenders' names, one per line, never overlap.
const BAR_HEIGHT: u32 = 30;
/// Width of the names of the bars, left of them.
const NAME_WIDTH: u32 = 190;
/// Font of titles and labels (SVG text: the viewer picks the face).
const FONT: &str = "sans-serif";

/// One value of one model. `color` indexes plotters' palette, the same for a model in every
/// chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The model.
    pub model: String,
    /// Its colour.
    pub color: usize,
    /// The value.
    pub value: f64,
}

/// One model's sweep: (`--max-tasks`, pages/s, peak RSS in MB) at each level.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The model.
    pub model: String,
    /// Its colour.
    pub color: usize,
    /// The points, by increasing `--max-tasks`.
    pub points: Vec<(usize, f64, f64)>,
}

/// A chart to draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Wall time per model, with the ceiling as a line when there is one.
    Bars {
        /// The title.
        title: String,
        /// A bar per model.
        bars: Vec<Point>,
        /// The ceiling, seconds.
        ideal: Option<f64>,
    },
    /// The sweep: two panels side by side, throughput and memory against concurrency.
    Sweep {
        /// The title.
        title: String,
        /// A line per model.
        lines: Vec<Line>,
    },
}

impl Chart {
    /// The height of its panel: a bar chart grows with its bars.
    fn height(&self) -> u32 {
        match self {
            Chart::Bars { bars, .. } => {
                let n = u32::try_from(bars.len()).unwrap_or(u32::MAX / BAR_HEIGHT);
                (100 + BAR_HEIGHT * n).max(PANEL_HEIGHT)
            }
            Chart::Sweep { .. } => PANEL_HEIGHT,
        }
    }
}

/// Draws `charts` one under another into the SVG file `path`.
pub fn draw(path: &Path, charts: &[Chart]) -> Result<(), Error> {
    let height = charts.iter().map(Chart::height).sum::<u32>().max(PANEL_HEIGHT);
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let mut rest = root.clone();
    for chart in charts {
        let (area, below) = rest.split_vertically(chart.height());
        rest = below;
        let area = &area;
        match chart {
            Chart::Bars { title, bars, ideal } => bar_chart(area, title, bars, *ideal)?,
            Chart::Sweep { title, lines } => {
                let (left, right) = area.split_horizontally(WIDTH / 2);
                let rate: Vec<_> = lines.iter().map(|l| line_of(l, |p| p.1)).collect();
                let rss: Vec<_> = lines.iter().map(|l| line_of(l, |p| p.2)).collect();
                // Throughput rises from the lower left, memory from the lower right: the
                // legends go where the lines are not.
                let (lower, upper) =
                    (SeriesLabelPosition::LowerRight, SeriesLabelPosition::UpperLeft);
                line_chart(&left, &format!("{title}: pages/s"), "pages/s (median)", &rate, lower)?;
                line_chart(
                    &right,
                    &format!("{title}: peak RSS"),
                    "peak RSS MB (median)",
                    &rss,
                    upper,
                )?;
            }
        }
    }
    root.present().map_err(fail)
}

/// One line of a line chart: a model's (x, y) points.
struct Series<'a> {
    model: &'a str,
    color: usize,
    points: Vec<(f64, f64)>,
}

/// A sweep line's (max-tasks, value) points, for one of its two values.
fn line_of(line: &Line, value: fn(&(usize, f64, f64)) -> f64) -> Series<'_> {
    let points = line.points.iter().map(|p| (p.0 as f64, value(p))).collect();
    Series { model: &line.model, color: line.color, points }
}

/// A horizontal bar per model, its name on the left and its value at its end, and the ceiling
/// as a black line. Horizontal so that the names, one per line, never run into each other.
fn bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    bars: &[Point],
    ideal: Option<f64>,
) -> Result<(), Error> {
    // A discrete range includes its end: `0..n - 1` is n segments, a bar each.
    let n = bars.len().max(1);
    let right = bars.iter().map(|b| b.value).chain(ideal).fold(0.0, f64::max).max(1e-3) * 1.12;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(NAME_WIDTH)
        .build_cartesian_2d(0.0..right, (0..n - 1).into_segmented())
        .map_err(fail)?;
    // The first bar at the top: the table's order, read downwards.
    let row = |i: usize| n - 1 - i;
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(at) => {
            bars.get(n - 1 - at).map(|b| b.model.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(n)
        .y_label_formatter(&label)
        .y_label_style((FONT, 14))
        .x_desc(match ideal {
            Some(ideal) => format!("wall s (median); the black line: the ceiling, {ideal:.2} s"),
            None => "wall s (median)".into(),
        })
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let corners =
                [(0.0, SegmentValue::Exact(row(i))), (b.value, SegmentValue::Exact(row(i) + 1))];
            let mut bar = Rectangle::new(corners, Palette99::pick(b.color).filled());
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(fail)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let at = (b.value + right * 0.01, SegmentValue::CenterOf(row(i)));
            let style =
                (FONT, 13).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
            Text::new(format!("{:.2}", b.value), at, style)
        }))
        .map_err(fail)?;
    if let Some(ideal) = ideal {
        let ends = [(ideal, SegmentValue::Exact(0)), (ideal, SegmentValue::Last)];
        chart.draw_series(LineSeries::new(ends, BLACK.stroke_width(2))).map_err(fail)?;
    }
    Ok(())
}

/// A line per model over log-log axes: `--max-tasks` spans four decades, and so do memory and
/// throughput between one task and ten thousand.
fn line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    lines: &[Series<'_>],
    legend: SeriesLabelPosition,
) -> Result<(), Error> {
    let points = || lines.iter().flat_map(|l| l.points.iter().copied());
    let span = |f: fn((f64, f64)) -> f64| {
        let lo = points().map(f).fold(f64::INFINITY, f64::min);
        let hi = points().map(f).fold(0.0, f64::max);
        let lo = if lo.is_finite() { lo.max(1e-3) } else { 1.0 };
        (lo * 0.7, hi.max(lo) * 1.5)
    };
    let ((x0, x1), (y0, y1)) = (span(|p| p.0), span(|p| p.1));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(fail)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        // Fewer labels than the default: on a log axis they crowd below each power of ten.
        .y_labels(6)
        .x_desc("--max-tasks")
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(fail)?;
    for line in lines {
        let style = Palette99::pick(line.color).stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style).point_size(3))
            .map_err(fail)?
            .label(line.model)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 12))
        .draw()
        .map_err(fail)?;
    Ok(())
}

/// A plotters error as ours.
fn fail(e: impl std::fmt::Display) -> Error {
    Error::Chart(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kinds of chart draw into one SVG file, with the models' names in it.
    #[test]
    fn draws_svg() {
        let path = std::env::temp_dir().join(format!("benches-chart-{}.svg", std::process::id()));
        let point = |model: &str, color, value| Point { model: model.into(), color, value };
        let line = |model: &str, color| Line {
            model: model.into(),
            color,
            points: vec![(1, 90.0, 5.0), (100, 4000.0, 9.0), (10_000, 5000.0, 900.0)],
        };
        let charts = vec![
            Chart::Bars {
                title: "cpu-bound".into(),
                bars: vec![point("threads", 0, 2.5), point("callback", 1, 3.25)],
                ideal: Some(1.0),
            },
            Chart::Sweep {
                title: "sweep".into(),
                lines: vec![line("threads", 0), line("callback", 1)],
            },
        ];
        draw(&path, &charts).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        for text in ["cpu-bound", "threads", "callback", "3.25", "sweep: peak RSS", "--max-tasks"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    /// A dozen contenders' names are a line each: no two names' labels share a line or come
    /// closer than the font's height.
    #[test]
    fn names_do_not_overlap() {
        let path = std::env::temp_dir().join(format!("benches-names-{}.svg", std::process::id()));
        let names: Vec<String> = (0..12).map(|i| format!("contender-number-{i:02}")).collect();
        let bars = names
            .iter()
            .enumerate()
            .map(|(i, m)| Point { model: m.clone(), color: i, value: 1.0 + i as f64 })
            .collect();
        draw(&path, &[Chart::Bars { title: "twelve".into(), bars, ideal: Some(2.0) }]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        // Each name's <text ... y="Y" ...>name</text>.
        let mut ys: Vec<f64> = names
            .iter()
            .map(|name| {
                let end = svg.find(&format!(">\n{name}\n</text>")).expect(name);
                let tag = &svg[svg[..end].rfind("<text").unwrap()..end];
                let y = tag.split(" y=\"").nth(1).unwrap();
                y[..y.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        // The first contender is on top.
        assert!(ys[0] < ys[11], "{ys:?}");
        ys.sort_by(f64::total_cmp);
        assert!(ys.windows(2).all(|w| w[1] - w[0] >= 14.0), "{ys:?}");
    }
}
