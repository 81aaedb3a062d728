//! What a crawl produces: one [`FetchStatistic`] per URL done, and the [`Report`] that prints them
//! as the chapter's `reporting.py` did, or as JSON Lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::NetError;

/// The record of one URL done: the chapter's `FetchStatistic` namedtuple, field for field.
///
/// Exactly one of `status` and `exception` is `None`. Field order is the JSON key order of
/// `docs/contract.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchStatistic {
    /// The URL fetched, in normal form.
    pub url: String,
    /// Where a redirect points (absolute, normal form); `None` for anything but a redirect.
    pub next_url: Option<String>,
    /// The HTTP status; `None` when the fetch failed.
    pub status: Option<u16>,
    /// The last network error's text when every try failed; `None` otherwise.
    pub exception: Option<String>,
    /// Body bytes kept (up to the cap); 0 for redirects and failures.
    pub size: u64,
    /// The media type without parameters, lower-case; `None` without a Content-Type or for a
    /// redirect.
    pub content_type: Option<String>,
    /// The encoding the body was decoded with (only for pages parsed for links).
    pub encoding: Option<String>,
    /// Distinct allowed links on the page.
    pub num_urls: usize,
    /// Those links that had not been seen when the page was parsed.
    pub num_new_urls: usize,
}

impl FetchStatistic {
    /// The record of a URL whose every try failed with a network error.
    pub fn failed(url: &str, error: NetError) -> FetchStatistic {
        FetchStatistic {
            url: url.to_string(),
            next_url: None,
            status: None,
            exception: Some(error.to_string()),
            size: 0,
            content_type: None,
            encoding: None,
            num_urls: 0,
            num_new_urls: 0,
        }
    }

    /// The kind of failure (`ConnectionReset`, `Timeout`, ...) for the `fail_<kind>` counter.
    fn fail_kind(&self) -> Option<&str> {
        let exception = self.exception.as_deref()?;
        Some(exception.split(':').next().unwrap_or(exception))
    }
}

/// The outcome of a crawl: every URL done, sorted by URL, and how the crawl went.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// One record per URL done, sorted by `url`.
    pub stats: Vec<FetchStatistic>,
    /// URLs still queued (or in flight) when the crawl ended: 0 unless it was interrupted.
    pub todo: usize,
    /// Wall time of the crawl.
    pub elapsed: Duration,
    /// The crawl's `--max-tasks`.
    pub max_tasks: usize,
    /// Whether Ctrl-C ended the crawl early.
    pub interrupted: bool,
    /// URLs not fetched because robots.txt disallows them (`--robots`): they have no record.
    pub robots_disallowed: usize,
}

impl Report {
    /// A report of `stats` (sorted here, so every model reports in the same order).
    pub fn new(
        mut stats: Vec<FetchStatistic>,
        todo: usize,
        elapsed: Duration,
        max_tasks: usize,
        interrupted: bool,
    ) -> Report {
        stats.sort_by(|a, b| a.url.cmp(&b.url));
        Report { stats, todo, elapsed, max_tasks, interrupted, robots_disallowed: 0 }
    }

    /// The report with the count of URLs robots.txt disallowed.
    pub fn with_robots_disallowed(mut self, robots_disallowed: usize) -> Report {
        self.robots_disallowed = robots_disallowed;
        self
    }

    /// The record of `url`, if it was done.
    pub fn get(&self, url: &str) -> Option<&FetchStatistic> {
        self.stats.binary_search_by(|s| s.url.as_str().cmp(url)).ok().map(|i| &self.stats[i])
    }

    /// The report as JSON Lines: one object per URL, sorted by URL (docs/contract.md). After
    /// Ctrl-C, one more line, the trailer `{"interrupted":true,"todo":N,"done":M}`: no record
    /// has an `interrupted` key, so a reader tells the two apart, and a crawl that ran to its
    /// end prints records only.
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        for stat in &self.stats {
            // Cannot fail: the record holds only strings and integers.
            out.push_str(&serde_json::to_string(stat).expect("serializable"));
            out.push('\n');
        }
        if self.interrupted {
            let (todo, done) = (self.todo, self.stats.len());
            let _ = writeln!(out, r#"{{"interrupted":true,"todo":{todo},"done":{done}}}"#);
        }
        out
    }

    /// The text report, as the chapter's `reporting.py` prints it: a line per URL, then the
    /// totals, the counters in key order, Todo and Done.
    pub fn text(&self) -> String {
        let mut out = String::from("*** Report ***\n");
        let mut counters: BTreeMap<String, u64> = BTreeMap::new();
        let mut add = |key: &str, n: u64| *counters.entry(key.to_string()).or_default() += n;
        for s in &self.stats {
            let url = &s.url;
            // Writing to a String cannot fail.
            let _ = if let Some(kind) = s.fail_kind() {
                add("fail", 1);
                add(&format!("fail_{kind}"), 1);
                writeln!(out, "{url} error {}", s.exception.as_deref().unwrap_or_default())
            } else if let Some(next) = &s.next_url {
                add("redirect", 1);
                writeln!(out, "{url} {} redirect {next}", or_none(s.status))
            } else {
                if s.content_type.as_deref() == Some("text/html") {
                    add("html", 1);
                    add("html_bytes", s.size);
                } else {
                    if s.status == Some(200) {
                        add("other", 1);
                        add("other_bytes", s.size);
                    } else {
                        add("error", 1);
                        add("error_bytes", s.size);
                    }
                    add(&format!("status_{}", or_none(s.status)), 1);
                }
                writeln!(
                    out,
                    "{url} {} {} {} {} {}/{}",
                    or_none(s.status),
                    or_none(s.content_type.as_deref()),
                    or_none(s.encoding.as_deref()),
                    s.size,
                    s.num_new_urls,
                    s.num_urls
                )
            };
        }
        if self.robots_disallowed > 0 {
            add("robots_disallowed", self.robots_disallowed as u64);
        }
        if self.interrupted {
            out.push_str("\nInterrupted\n");
        }
        let secs = self.elapsed.as_secs_f64();
        let speed = if secs > 0.0 && self.max_tasks > 0 {
            self.stats.len() as f64 / secs / self.max_tasks as f64
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "Finished {} urls in {secs:.3} secs (max_tasks={}) ({speed:.3} urls/sec/task)",
            self.stats.len(),
            self.max_tasks
        );
        for (key, count) in &counters {
            let _ = writeln!(out, "{count:>10} {key}");
        }
        let _ = writeln!(out, "Todo: {}", self.todo);
        let _ = writeln!(out, "Done: {}", self.stats.len());
        out
    }
}

/// Python's `print(None)`: the chapter's report shows a missing value as `None`.
fn or_none<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(url: &str) -> FetchStatistic {
        FetchStatistic {
            url: url.into(),
            next_url: None,
            status: Some(200),
            exception: None,
            size: 10,
            content_type: Some("text/html".into()),
            encoding: Some("utf-8".into()),
            num_urls: 3,
            num_new_urls: 2,
        }
    }

    fn sample() -> Report {
        let mut redirect = stat("http://h/r");
        redirect.next_url = Some("http://h/a".into());
        redirect.status = Some(302);
        (redirect.size, redirect.content_type, redirect.encoding) = (0, None, None);
        (redirect.num_urls, redirect.num_new_urls) = (0, 0);
        let mut png = stat("http://h/i.png");
        png.content_type = Some("image/png".into());
        (png.encoding, png.num_urls, png.num_new_urls) = (None, 0, 0);
        let mut missing = png.clone();
        missing.url = "http://h/missing".into();
        missing.status = Some(404);
        let failed = FetchStatistic::failed("http://h/x", NetError::ConnectionReset);
        let stats = vec![stat("http://h/b"), failed, redirect, png, missing, stat("http://h/a")];
        Report::new(stats, 0, Duration::from_millis(1500), 2, false)
    }

    /// The text report has the chapter's lines and counters, byte for byte.
    #[test]
    fn text_report_matches_reporting_py() {
        let expected = "\
*** Report ***
http://h/a 200 text/html utf-8 10 2/3
http://h/b 200 text/html utf-8 10 2/3
http://h/i.png 200 image/png None 10 0/0
http://h/missing 404 image/png None 10 0/0
http://h/r 302 redirect http://h/a
http://h/x error ConnectionReset: connection reset by peer
Finished 6 urls in 1.500 secs (max_tasks=2) (2.000 urls/sec/task)
         1 error
        10 error_bytes
         1 fail
         1 fail_ConnectionReset
         2 html
        20 html_bytes
         1 other
        10 other_bytes
         1 redirect
         1 status_200
         1 status_404
Todo: 0
Done: 6
";
        assert_eq!(sample().text(), expected);
    }

    /// An interrupted crawl's JSON Lines end with the trailer, and only then.
    #[test]
    fn json_trailer_after_an_interrupt() {
        let mut report = sample();
        assert!(!report.json_lines().contains("interrupted"));
        (report.interrupted, report.todo) = (true, 7);
        let json = report.json_lines();
        let last = json.lines().last().unwrap();
        assert_eq!(last, r#"{"interrupted":true,"todo":7,"done":6}"#);
        assert_eq!(json.lines().count(), 7);
    }

    /// JSON Lines: sorted by URL, exactly the contract's keys in its order, nulls as null.
    #[test]
    fn json_lines_have_the_contract_keys() {
        let json = sample().json_lines();
        let lines: Vec<&str> = json.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[4],
            r#"{"url":"http://h/r","next_url":"http://h/a","status":302,"exception":null,"size":0,"content_type":null,"encoding":null,"num_urls":0,"num_new_urls":0}"#
        );
        for line in lines {
            let back: FetchStatistic = serde_json::from_str(line).unwrap();
            assert!(back.status.is_none() != back.exception.is_none());
        }
    }

    /// get finds a record by URL.
    #[test]
    fn get_by_url() {
        let r = sample();
        assert_eq!(r.get("http://h/b").unwrap().num_urls, 3);
        assert!(r.get("http://h/zzz").is_none());
    }
}
