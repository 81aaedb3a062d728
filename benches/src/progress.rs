//! [`RunProgress`]: a line on stderr saying which run is going, when stderr is a terminal, and
//! nothing at all otherwise (a log file or CI gets the tables and nothing between them).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The progress of a whole comparison, one step per run.
#[derive(Debug)]
pub struct RunProgress {
    /// Hidden when stderr is not a terminal: then every call is a no-op.
    bar: ProgressBar,
}

impl RunProgress {
    /// A progress line of `steps` runs, drawn only on a terminal.
    pub fn new(steps: u64) -> RunProgress {
        if !std::io::stderr().is_terminal() {
            return RunProgress { bar: ProgressBar::hidden() };
        }
        let bar = ProgressBar::new(steps);
        // The template is a constant known to parse; a failure would only lose the styling.
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:24}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        // Ticks on its own, so that the clock moves during a 25-second c10k run.
        bar.enable_steady_tick(Duration::from_millis(250));
        RunProgress { bar }
    }

    /// Says which run starts now.
    pub fn start(&self, what: String) {
        self.bar.set_message(what);
    }

    /// Counts one run done.
    pub fn done(&self) {
        self.bar.inc(1);
    }

    /// Prints `text` on stderr above the progress line (always: a MISMATCH must be seen even
    /// off a terminal).
    pub fn note(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    /// Prints `text` on stdout without tearing the progress line.
    pub fn print(&self, text: &str) {
        self.bar.suspend(|| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        });
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
