//! What one HTTP response means, as a pure function: a redirect to follow, a page whose links to
//! add, or a plain record. No I/O, so every model interprets responses identically.

use std::sync::atomic::{AtomicBool, Ordering};

use url::Url;

use crate::Policy;
use crate::http::Response;
use crate::links::{self, Link};
use crate::report::FetchStatistic;

/// The statuses that are redirects when they carry a `Location` (304 is not one).
pub const REDIRECTS: [u16; 6] = [300, 301, 302, 303, 307, 308];

/// Bodies are kept up to this many bytes; the rest is never read. `size` reports what was kept.
pub const BODY_CAP: u64 = 10 * 1024 * 1024;

/// What a response means for the crawl.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 3xx with a usable `Location`: record it, and follow `target` if `allowed` (the host
    /// policy and `--exclude`) and the seen-set and redirect budget agree.
    Redirect {
        /// `{url, next_url, status, size 0}`, everything else empty.
        stat: FetchStatistic,
        /// The absolute target, fragment dropped.
        target: Url,
        /// Whether the policy lets the crawl go there.
        allowed: bool,
    },
    /// A 200 `text/html` or `application/xml` response: its allowed links, in document order.
    /// `stat.num_new_urls` is 0 until the model has checked the links against its seen-set.
    Page {
        /// The record, `num_urls` filled in.
        stat: FetchStatistic,
        /// Distinct allowed links, in document order.
        links: Vec<Link>,
    },
    /// Anything else (404, an image, a 3xx without Location...): just a record.
    Record {
        /// The record.
        stat: FetchStatistic,
    },
}

impl Outcome {
    /// The record, whatever the outcome.
    pub fn stat(&self) -> &FetchStatistic {
        match self {
            Outcome::Redirect { stat, .. }
            | Outcome::Page { stat, .. }
            | Outcome::Record { stat } => stat,
        }
    }
}

/// Interprets one response to a GET of `url`.
///
/// Only `Content-Type` and `Location` matter among the headers (names in any case). The body is
/// what was read, at most [`BODY_CAP`] bytes. As in the original, `content_type` and `encoding`
/// describe a 200 response only: any other status is recorded with both empty, whatever the
/// server sent.
///
/// # Examples
/// ```
/// use shared::page::{interpret, Outcome};
/// use shared::http::{Header, Response};
/// let config = shared::Config::new(["http://h/"]).unwrap();
/// let policy = shared::Policy::new(&config);
/// let url = url::Url::parse("http://h/a/b").unwrap();
/// let location = Header { name: "location".into(), value: b"../c#x".to_vec() };
/// let response = Response { status: 302, headers: vec![location], ..Response::default() };
/// let Outcome::Redirect { stat, target, allowed } = interpret(&policy, &url, &response) else {
///     panic!("a 302 with a Location is a redirect")
/// };
/// assert_eq!((stat.status, target.as_str(), allowed), (Some(302), "http://h/c", true));
/// assert_eq!(stat.next_url.as_deref(), Some("http://h/c"));
/// ```
pub fn interpret(policy: &Policy, url: &Url, response: &Response) -> Outcome {
    let header = |name: &str| response.header(name).map(|v| String::from_utf8_lossy(v));
    let status = response.status;
    let mut stat = FetchStatistic {
        url: url.to_string(),
        next_url: None,
        status: Some(status),
        exception: None,
        size: 0,
        content_type: None,
        encoding: None,
        num_urls: 0,
        num_new_urls: 0,
    };
    if REDIRECTS.contains(&status)
        && let Some(mut target) = header("location").and_then(|l| url.join(l.trim()).ok())
    {
        target.set_fragment(None);
        stat.next_url = Some(target.to_string());
        let allowed = policy.allowed(&target);
        return Outcome::Redirect { stat, target, allowed };
    }
    let body = &response.body;
    stat.size = body.len() as u64;
    if status != 200 {
        return Outcome::Record { stat };
    }
    let (media_type, declared) = parse_content_type(header("content-type").as_deref());
    // A body in a content coding no client decodes (zstd, say) is kept as sent: not text.
    let decoded = crate::http::Coding::of(&response.headers) != crate::http::Coding::Other;
    let parsed = decoded && matches!(media_type.as_deref(), Some("text/html" | "application/xml"));
    let (label, encoding) = links::charset(declared.as_deref(), body, parsed);
    stat.content_type = media_type;
    stat.encoding = Some(label);
    if !parsed {
        return Outcome::Record { stat };
    }
    if INJECT_PANIC.load(Ordering::Relaxed) && url.path() == PANIC_IN_LINK_EXTRACTION {
        panic!("fault injected: link extraction of {url} panics");
    }
    // The scanner reads the body's bytes as they are (decoding only hrefs, or the whole body
    // for the multi-byte legacy charsets): no decoded copy of the page, and no DOM.
    let mut links = links::extract_bytes(url, body, encoding);
    policy.keep_allowed(&mut links);
    stat.num_urls = links.len();
    Outcome::Page { stat, links }
}

/// Once [`inject_panics`] was called (by the conformance suite, in its own process), the path
/// whose link extraction panics: a bug on a page, as every model must survive it.
pub const PANIC_IN_LINK_EXTRACTION: &str = "/panic-in-link-extraction";

/// Whether [`PANIC_IN_LINK_EXTRACTION`] panics: off unless a test turns it on. A switch at run
/// time, not a cargo feature, so that the crawlers are the same build whichever package cargo
/// is asked to build (a feature of `shared` enabled by the test site would reach the binaries
/// of a workspace build, and not those of `cargo run -p threads`).
static INJECT_PANIC: AtomicBool = AtomicBool::new(false);

/// Turns on the panic at [`PANIC_IN_LINK_EXTRACTION`], for the rest of this process.
#[doc(hidden)]
pub fn inject_panics() {
    INJECT_PANIC.store(true, Ordering::Relaxed);
}

/// Splits a Content-Type into its lower-case media type and its `charset` parameter.
///
/// # Examples
/// ```
/// let (t, c) = shared::page::parse_content_type(Some("Text/HTML; Charset=\"ISO-8859-1\""));
/// assert_eq!((t.as_deref(), c.as_deref()), (Some("text/html"), Some("ISO-8859-1")));
/// ```
pub fn parse_content_type(header: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(header) = header else {
        return (None, None);
    };
    let mut parts = header.split(';');
    let media_type = parts.next().map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty());
    let charset = parts.find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
    });
    (media_type, charset.filter(|c| !c.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::http::Header;

    fn run(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
        let policy = Policy::new(&Config::new(["http://h/"]).unwrap());
        let url = Url::parse("http://h/dir/page").unwrap();
        let headers = headers
            .iter()
            .map(|(n, v)| Header { name: n.to_string(), value: v.as_bytes().to_vec() })
            .collect();
        let response = Response { status, headers, body: body.to_vec(), ..Response::default() };
        interpret(&policy, &url, &response)
    }

    /// Every redirect status with a Location is a redirect record: size 0, no type, absolute target.
    #[test]
    fn redirect_statuses() {
        for status in REDIRECTS {
            let out =
                run(status, &[("Location", "/next"), ("Content-Type", "text/html")], b"moved");
            let Outcome::Redirect { stat, target, allowed } = out else { panic!("{status}") };
            assert_eq!(target.as_str(), "http://h/next");
            assert!(allowed);
            assert_eq!((stat.size, stat.content_type, stat.encoding), (0, None, None));
            assert_eq!((stat.num_urls, stat.num_new_urls), (0, 0));
        }
    }

    /// A 3xx without a Location, and 304, are ordinary records.
    #[test]
    fn not_redirects() {
        for (status, headers) in [(302, vec![]), (304, vec![("location", "/x")])] {
            let Outcome::Record { stat } = run(status, &headers, b"") else { panic!("{status}") };
            assert_eq!((stat.status, stat.next_url), (Some(status), None));
        }
    }

    /// A redirect to another host is recorded with allowed = false.
    #[test]
    fn redirect_to_refused_host() {
        let Outcome::Redirect { stat, allowed, .. } =
            run(301, &[("location", "http://elsewhere.org/x#f")], b"")
        else {
            panic!()
        };
        assert!(!allowed);
        assert_eq!(stat.next_url.as_deref(), Some("http://elsewhere.org/x"));
    }

    /// A body in a content coding no client decodes is kept as sent: its size as received, its
    /// type as sent, and no links; a decoded one (its header still naming gzip) is parsed.
    #[test]
    fn unknown_content_coding_is_not_parsed() {
        let body = b"<a href=/x>x</a>";
        for (coding, links) in [("zstd", 0), ("gzip, br", 0), ("gzip", 1), ("identity", 1)] {
            let headers = [("content-type", "text/html"), ("content-encoding", coding)];
            let (Outcome::Record { stat } | Outcome::Page { stat, .. }) = run(200, &headers, body)
            else {
                panic!("{coding}: a record")
            };
            assert_eq!((stat.size, stat.num_urls), (body.len() as u64, links), "{coding}");
            assert_eq!(stat.content_type.as_deref(), Some("text/html"), "{coding}");
        }
    }

    /// Only 200 text/html and application/xml are parsed; a self-link counts; foreign hosts don't.
    #[test]
    fn parsed_pages() {
        let body = b"<a href=page>self</a><a href=/a>a</a><a href=http://x.org/>x</a>";
        let Outcome::Page { stat, links } =
            run(200, &[("content-type", "text/html; charset=utf-8")], body)
        else {
            panic!()
        };
        assert_eq!(links.len(), 2);
        assert_eq!((stat.num_urls, stat.size), (2, body.len() as u64));
        assert_eq!(stat.encoding.as_deref(), Some("utf-8"));
        assert!(matches!(
            run(200, &[("content-type", "application/xml")], body),
            Outcome::Page { .. }
        ));
        for (status, ct) in [(200, "image/png"), (200, "text/plain")] {
            let Outcome::Record { stat } = run(status, &[("content-type", ct)], body) else {
                panic!()
            };
            assert_eq!((stat.num_urls, stat.content_type.as_deref()), (0, Some(ct)));
            assert_eq!(stat.encoding.as_deref(), Some("utf-8"), "never null for a 200");
        }
        let Outcome::Record { stat } = run(200, &[], body) else { panic!() };
        assert_eq!((stat.content_type, stat.encoding.as_deref()), (None, Some("utf-8")));
    }

    /// Any status but 200 reports neither content type nor encoding, whatever was sent (so that
    /// the text report counts a 404 page under `error`), and is never parsed.
    #[test]
    fn only_a_200_has_a_content_type() {
        let body = b"<a href=/a>a</a>";
        for status in [404, 500, 203, 206, 304] {
            let Outcome::Record { stat } =
                run(status, &[("content-type", "text/html; charset=utf-8")], body)
            else {
                panic!("{status}")
            };
            assert_eq!((stat.content_type, stat.encoding, stat.num_urls), (None, None, 0));
            assert_eq!(stat.size, body.len() as u64);
        }
    }

    /// The encoding reported is the label declared, lower-cased, not the decoder's name; a
    /// non-HTML 200 declares its charset too.
    #[test]
    fn encoding_is_the_declared_label() {
        for (content_type, body, reported) in [
            ("text/html; charset=ISO-8859-1", &b"caf\xe9"[..], "iso-8859-1"),
            ("text/html; charset=\"ascii\"", b"x", "ascii"),
            ("text/html", b"<meta charset=Shift_JIS>\x83\x65", "shift_jis"),
            ("text/html", b"plain", "utf-8"),
            ("text/css; charset=Latin1", b"x", "latin1"),
            ("image/png", b"<meta charset=koi8-r>", "utf-8"),
        ] {
            let out = run(200, &[("content-type", content_type)], body);
            assert_eq!(out.stat().encoding.as_deref(), Some(reported), "{content_type}");
        }
    }
}
