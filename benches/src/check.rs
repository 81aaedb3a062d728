//! [`check`]: is a run's report right? Every URL the reference has, exactly once, with the same
//! status, redirect target, content type and link count. The reference is the oracle
//! (`Site::expected`) for a generated site, and another model's run for real pages.

use std::collections::BTreeMap;

use shared::FetchStatistic;
use testsite::Expected;
use url::Url;

use crate::Model;

/// What a run is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A generated site: the oracle's records for a full crawl, and for `--max-pages 1` (the
    /// baseline runs).
    Oracle {
        /// `Site::expected` of the crawl.
        full: Vec<Expected>,
        /// `Site::expected` with `--max-pages 1`.
        first: Vec<Expected>,
    },
    /// Real pages, with no oracle: the first clean run's records, and whose they were, once
    /// there is one.
    Peers(Option<(String, Vec<Expected>)>),
}

/// Which fields of a record a run can be checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Every field [`Expected`] has: a report in the contract's JSON Lines.
    All,
    /// The URL and the status only: all a peer's own log tells (wget2's `--stats-site`).
    UrlAndStatus,
}

impl Fields {
    /// `e` with the fields not checked blanked.
    fn project(self, e: Expected) -> Expected {
        match self {
            Fields::All => e,
            Fields::UrlAndStatus => {
                Expected { next_url: None, content_type: None, num_urls: 0, ..e }
            }
        }
    }
}

impl Reference {
    /// The problems of `records`, a run of `model` (`clean` when the run itself had no problem:
    /// it exited 0 and every line was a record; `baseline` for a `--max-pages 1` run), checked
    /// on `fields`. With no reference yet, a clean run of one of the models (not a peer) with
    /// each URL once, checked on every field, becomes the reference.
    pub fn check(
        &mut self,
        model: &Model,
        records: &[FetchStatistic],
        clean: bool,
        baseline: bool,
    ) -> Vec<String> {
        let fields = model.fields();
        match self {
            Reference::Oracle { full, first } => {
                check_fields(records, if baseline { first } else { full }, fields)
            }
            Reference::Peers(Some((name, expected))) => check_fields(records, expected, fields)
                .into_iter()
                .map(|p| format!("against {name}: {p}"))
                .collect(),
            Reference::Peers(reference) => {
                let mut expected: Vec<Expected> = records.iter().map(Expected::of).collect();
                expected.sort();
                expected.dedup_by(|a, b| a.url == b.url);
                let problems = check(records, &expected);
                if clean && problems.is_empty() && !model.is_peer() {
                    *reference = Some((model.name.to_string(), expected));
                }
                problems
            }
        }
    }

    /// The oracle's URLs, for the fetch-only pass (none without an oracle).
    pub fn urls(&self) -> Vec<Url> {
        match self {
            Reference::Oracle { full, .. } => {
                full.iter().filter_map(|e| Url::parse(&e.url).ok()).collect()
            }
            Reference::Peers(_) => Vec::new(),
        }
    }

    /// The model whose run is the reference, when it is a run.
    pub fn peer(&self) -> Option<&str> {
        match self {
            Reference::Peers(Some((name, _))) => Some(name),
            _ => None,
        }
    }
}

/// How many examples of each kind of difference a problem line shows.
const EXAMPLES: usize = 3;

/// The differences between a run's `records` and the `expected` ones, a line per kind; empty
/// when the run is right. `expected` holds each URL once.
pub fn check(records: &[FetchStatistic], expected: &[Expected]) -> Vec<String> {
    check_fields(records, expected, Fields::All)
}

/// [`check`] on `fields` only: the others are blanked on both sides before comparing.
pub fn check_fields(
    records: &[FetchStatistic],
    expected: &[Expected],
    fields: Fields,
) -> Vec<String> {
    let mut got: BTreeMap<&str, Vec<Expected>> = BTreeMap::new();
    for record in records {
        got.entry(record.url.as_str()).or_default().push(fields.project(Expected::of(record)));
    }
    let projected: Vec<Expected>;
    let expected = if fields == Fields::All {
        expected
    } else {
        projected = expected.iter().map(|e| fields.project(e.clone())).collect();
        &projected
    };
    let want: BTreeMap<&str, &Expected> = expected.iter().map(|e| (e.url.as_str(), e)).collect();
    let mut problems = Vec::new();

    let repeated: Vec<String> = got
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(url, v)| format!("{url} ({} times)", v.len()))
        .collect();
    push(&mut problems, "URLs reported more than once", &repeated);
    let missing: Vec<String> =
        want.keys().filter(|url| !got.contains_key(*url)).map(|u| u.to_string()).collect();
    push(&mut problems, "URLs missing", &missing);
    let extra: Vec<String> =
        got.keys().filter(|url| !want.contains_key(*url)).map(|u| u.to_string()).collect();
    push(&mut problems, "URLs not expected", &extra);
    let differ: Vec<String> = got
        .iter()
        .filter_map(|(url, records)| {
            let want = want.get(url)?;
            let wrong = records.iter().find(|r| r != want)?;
            Some(format!("{url}: expected {}, got {}", brief(want), brief(wrong)))
        })
        .collect();
    push(&mut problems, "records differ", &differ);
    problems
}

/// Adds "N <what>, e.g. a; b; c" to `problems` when `items` is not empty.
fn push(problems: &mut Vec<String>, what: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let examples: Vec<&str> = items.iter().take(EXAMPLES).map(String::as_str).collect();
    let more = if items.len() > EXAMPLES { "; ..." } else { "" };
    problems.push(format!("{} {what}, e.g. {}{more}", items.len(), examples.join("; ")));
}

/// The checked fields of a record, short: `200 text/html 3 links`, `301 -> http://h/x`.
fn brief(e: &Expected) -> String {
    let status = e.status.map_or("failed".to_string(), |s| s.to_string());
    match &e.next_url {
        Some(next) => format!("{status} -> {next}"),
        None => {
            let kind = e.content_type.as_deref().unwrap_or("None");
            format!("{status} {kind} {} links", e.num_urls)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{MODELS, PEERS, Program};

    fn record(url: &str, status: u16, num_urls: usize) -> FetchStatistic {
        FetchStatistic {
            url: url.into(),
            next_url: None,
            status: Some(status),
            exception: None,
            size: 100,
            content_type: Some("text/html".into()),
            encoding: Some("utf-8".into()),
            num_urls,
            num_new_urls: 0,
        }
    }

    fn oracle(records: &[FetchStatistic]) -> Vec<Expected> {
        records.iter().map(Expected::of).collect()
    }

    /// A right report passes, whatever its `num_new_urls` and `size`, which depend on the order
    /// pages are parsed in and are not checked.
    #[test]
    fn right_report_passes() {
        let want = vec![record("http://h/", 200, 2), record("http://h/a", 200, 0)];
        let mut got = want.clone();
        got[0].num_new_urls = 2;
        got[1].size = 7;
        assert_eq!(check(&got, &oracle(&want)), Vec::<String>::new());
    }

    /// A hand-made wrong report: a URL twice, one missing, one not on the site, one with the
    /// wrong status; each is named, with an example.
    #[test]
    fn hand_made_mismatch_is_reported() {
        let want = vec![
            record("http://h/", 200, 3),
            record("http://h/a", 200, 0),
            record("http://h/b", 200, 0),
        ];
        let got = vec![
            record("http://h/", 200, 3),
            record("http://h/a", 404, 0),
            record("http://h/a", 200, 0),
            record("http://h/zzz", 200, 0),
        ];
        let problems = check(&got, &oracle(&want));
        assert_eq!(
            problems,
            [
                "1 URLs reported more than once, e.g. http://h/a (2 times)",
                "1 URLs missing, e.g. http://h/b",
                "1 URLs not expected, e.g. http://h/zzz",
                "1 records differ, e.g. http://h/a: expected 200 text/html 0 links, got 404 text/html 0 links",
            ]
        );
    }

    fn model(name: &str) -> Model {
        *MODELS.iter().chain(PEERS).find(|m| m.name == name).expect("a model")
    }

    /// With no oracle, the first clean run is the reference, a later different run is wrong,
    /// and a run that was not clean never becomes the reference, nor does a peer's.
    #[test]
    fn peers_check_each_other() {
        let a = vec![record("http://h/", 200, 1), record("http://h/a", 200, 0)];
        let mut reference = Reference::Peers(None);
        assert!(reference.check(&model("threads-ureq"), &a, false, false).is_empty());
        assert_eq!(reference.peer(), None, "an unclean run is no reference");
        assert!(reference.check(&model("wget2"), &a, true, false).is_empty());
        assert!(reference.check(&model("python-aiohttp"), &a, true, false).is_empty());
        assert_eq!(reference.peer(), None, "a peer is no reference");
        assert!(reference.check(&model("threads-ureq"), &a, true, false).is_empty());
        assert_eq!(reference.peer(), Some("threads-ureq"));
        let b = vec![record("http://h/", 200, 2), record("http://h/a", 200, 0)];
        let problems = reference.check(&model("callback"), &b, true, false);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("against threads-ureq: 1 records differ"),
            "{}",
            problems[0]
        );
        assert!(reference.urls().is_empty());
    }

    /// wget2 is checked on the URL and the status only: a link count it cannot report is no
    /// difference, a status is.
    #[test]
    fn url_and_status_only() {
        let want = vec![record("http://h/", 200, 3), record("http://h/a", 200, 0)];
        let mut got: Vec<FetchStatistic> = want.clone();
        got[0].num_urls = 0;
        got[0].content_type = None;
        assert!(check_fields(&got, &oracle(&want), Fields::UrlAndStatus).is_empty());
        assert_eq!(check_fields(&got, &oracle(&want), Fields::All).len(), 1);
        got[1].status = Some(404);
        assert_eq!(check_fields(&got, &oracle(&want), Fields::UrlAndStatus).len(), 1);
        assert_eq!(model("wget2").fields(), Fields::UrlAndStatus);
        assert!(matches!(model("python-aiohttp").program, Program::Python { .. }));
    }

    /// A long list is cut to a few examples.
    #[test]
    fn examples_are_capped() {
        let want: Vec<FetchStatistic> =
            (0..10).map(|i| record(&format!("http://h/{i}"), 200, 0)).collect();
        let problems = check(&[], &oracle(&want));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .starts_with("10 URLs missing, e.g. http://h/0; http://h/1; http://h/2; ...")
        );
    }
}
