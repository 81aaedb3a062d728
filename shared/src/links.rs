//! Links of an HTML or XML body: which charset it declares, decoding by it, then the `href` of
//! every `a`, `area` and `link`, resolved against `<base href>` or the page URL, in document
//! order, deduplicated, as a browser that runs no scripts sees them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};
use html5ever::driver::ParseOpts;
use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use scraper::{Html, HtmlTreeSink, Selector};
use url::Url;

/// `a`, `area` and `link` elements that have an `href`: the chapter's crawler looked for exactly
/// these with a regular expression; a real parser also handles odd quoting and comments.
static LINKS: LazyLock<Selector> = LazyLock::new(|| {
    // Cannot fail: a constant, valid CSS selector.
    Selector::parse("a[href], area[href], link[href]").expect("valid selector")
});
static BASE: LazyLock<Selector> = LazyLock::new(|| {
    // Cannot fail: a constant, valid CSS selector.
    Selector::parse("base[href]").expect("valid selector")
});

/// How many leading bytes are searched for a `<meta charset>` (as browsers do).
const META_PRESCAN: usize = 1024;

/// The charset of a body: the label to report and the decoder to use (contract.md).
///
/// The `charset` parameter of Content-Type (`declared`) wins, reported as sent, lower-cased:
/// `ISO-8859-1` reports `iso-8859-1` although WHATWG decodes it as windows-1252. Without one, and
/// if `prescan` (an HTML or XML body), the first `<meta>` charset of a known encoding in the first
/// kilobyte. Else `utf-8`. A label no decoder knows decodes as UTF-8.
///
/// # Examples
/// ```
/// use shared::links::charset;
/// let (label, enc) = charset(Some("\"ISO-8859-1\""), b"", true);
/// assert_eq!((label.as_str(), enc.name()), ("iso-8859-1", "windows-1252"));
/// let (label, enc) = charset(None, b"<meta charset='KOI8-R'>", true);
/// assert_eq!((label.as_str(), enc.name()), ("koi8-r", "KOI8-R"));
/// let (label, enc) = charset(None, b"<meta charset='KOI8-R'>", false);
/// assert_eq!((label.as_str(), enc.name()), ("utf-8", "UTF-8"));
/// ```
pub fn charset(declared: Option<&str>, body: &[u8], prescan: bool) -> (String, &'static Encoding) {
    let declared =
        declared.map(|label| label.trim().trim_matches('"').trim()).filter(|l| !l.is_empty());
    if let Some(label) = declared {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap_or(UTF_8);
        return (label.to_ascii_lowercase(), encoding);
    }
    if prescan && let Some(found) = meta_charset(body) {
        return found;
    }
    ("utf-8".to_string(), UTF_8)
}

/// Decodes a body with `encoding`, unless it starts with a byte-order mark, which wins (as in
/// WHATWG's decode). Malformed bytes become U+FFFD; decoding never fails.
///
/// # Examples
/// ```
/// let text = shared::links::decode(encoding_rs::WINDOWS_1252, b"caf\xe9");
/// assert_eq!(text, "café");
/// let text = shared::links::decode(encoding_rs::WINDOWS_1252, b"\xef\xbb\xbfcaf\xc3\xa9");
/// assert_eq!(text, "café");
/// ```
pub fn decode<'a>(encoding: &'static Encoding, body: &'a [u8]) -> Cow<'a, str> {
    // `decode` sniffs a BOM, removes it, and replaces malformed sequences.
    let (text, _used, _had_errors) = encoding.decode(body);
    text
}

/// The first `<meta charset=...>` or `<meta http-equiv content="...; charset=...">` in the first
/// [`META_PRESCAN`] bytes whose label names a known encoding: the label lower-cased, and its
/// decoder (a meta tag naming UTF-16 means UTF-8: HTML's rule for an ASCII-compatible parse).
fn meta_charset(body: &[u8]) -> Option<(String, &'static Encoding)> {
    let head = &body[..body.len().min(META_PRESCAN)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let tag_start = from + at;
        let tag_end = find(&lower[tag_start..], b">").map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        // A tag that mentions "charset" without "charset=" (name="charset-note") is skipped.
        let value = find(tag, b"charset")
            .and_then(|c| tag[c + b"charset".len()..].trim_ascii_start().strip_prefix(b"="));
        if let Some(rest) = value {
            let rest = rest.trim_ascii_start();
            let rest = rest.strip_prefix(b"\"").or(rest.strip_prefix(b"'")).unwrap_or(rest);
            let end = rest
                .iter()
                .position(|&b| {
                    matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace()
                })
                .unwrap_or(rest.len());
            let label = &rest[..end];
            if let Some(enc) = Encoding::for_label(label) {
                let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    enc
                };
                return Some((String::from_utf8_lossy(label).into_owned(), enc));
            }
        }
        from = tag_end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The http and https links of a document, resolved against its `<base href>` (or `page_url`),
/// fragments dropped, deduplicated, in document order. Hrefs that do not resolve are skipped.
///
/// # Examples
/// ```
/// let page = url::Url::parse("http://example.com/dir/page").unwrap();
/// let html = r#"<a href="a#x">1</a><A HREF=/b>2</A><a href='a'>3</a><a href="mailto:x@y">4</a>"#;
/// let links: Vec<String> = shared::links::extract(&page, html).iter().map(|u| u.to_string()).collect();
/// assert_eq!(links, ["http://example.com/dir/a", "http://example.com/b"]);
/// ```
pub fn extract(page_url: &Url, text: &str) -> Vec<Url> {
    let document = parse(text);
    let base = document
        .select(&BASE)
        .next()
        .and_then(|el| el.value().attr("href"))
        .and_then(|href| page_url.join(href).ok())
        .filter(|b| !b.cannot_be_a_base())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for element in document.select(&LINKS) {
        let Some(href) = element.value().attr("href") else {
            continue;
        };
        let Ok(mut url) = base.join(href) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            continue;
        }
        url.set_fragment(None);
        if seen.insert(url.clone()) {
            links.push(url);
        }
    }
    links
}

/// Parses a document as a user agent that runs no scripts: html5ever with `scripting_enabled`
/// off, so that `<noscript>` holds elements (its links count), not raw text.
/// (`Html::parse_document` would parse with scripting on, and miss them.)
fn parse(text: &str) -> Html {
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts { scripting_enabled: false, ..Default::default() },
        ..Default::default()
    };
    html5ever::driver::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn urls(page: &str, html: &str) -> Vec<String> {
        extract(&Url::parse(page).unwrap(), html).into_iter().map(String::from).collect()
    }

    /// a, area and link hrefs are found in document order; img src and script src are not links.
    #[test]
    fn finds_a_area_link_in_order() {
        let html = r#"<html><head><link rel=stylesheet href="/s.css"></head><body>
            <img src="/i.png"><script src="/j.js"></script>
            <a href="/1">x</a><map><area href="/2"></map><a href="/3">y</a></body></html>"#;
        assert_eq!(
            urls("http://h/", html),
            ["http://h/s.css", "http://h/1", "http://h/2", "http://h/3"]
        );
    }

    /// <base href> changes what relative links resolve against.
    #[test]
    fn base_href_applies() {
        let html = r#"<head><base href="http://h/sub/"></head><a href="x">x</a><a href="/y">y</a>"#;
        assert_eq!(urls("http://h/a/b", html), ["http://h/sub/x", "http://h/y"]);
        let html = r#"<base href="../up/"><a href="x">x</a>"#;
        assert_eq!(urls("http://h/a/b/c", html), ["http://h/a/up/x"]);
    }

    /// The odd hrefs of real pages: quoting, case, whitespace, entities, protocol-relative,
    /// fragments and schemes that are not crawlable.
    #[test]
    fn odd_hrefs() {
        let html = "<A HREF=unquoted>1</A><a href='single'>2</a><a href=\"  spaced \n\">3</a>\
            <a href=\"q?a=1&amp;b=2\">4</a><a href=\"//other.org/p\">5</a><a href=\"#top\">6</a>\
            <a href=\"javascript:void(0)\">7</a><a href=\"mailto:x@y.z\">8</a>\
            <a href=\"data:text/html,hi\">9</a><a href=\"http://[::1\">10</a><a href=\"\">11</a>\
            <a href=\"HTTP://H/Upper\">12</a><a href=\"ftp://h/f\">13</a><a>no href</a>";
        assert_eq!(
            urls("http://h/dir/page#frag", html),
            [
                "http://h/dir/unquoted",
                "http://h/dir/single",
                "http://h/dir/spaced",
                "http://h/dir/q?a=1&b=2",
                "http://other.org/p",
                "http://h/dir/page",
                "http://h/Upper",
            ]
        );
    }

    /// Links are deduplicated after resolving and dropping fragments.
    #[test]
    fn deduplicated() {
        let html = r#"<a href="/a">1</a><a href="/a#x">2</a><a href="http://h:80/a">3</a>"#;
        assert_eq!(urls("http://h/", html), ["http://h/a"]);
    }

    /// XML documents (sitemaps, feeds) give their link hrefs too.
    #[test]
    fn xml_links() {
        let xml = r#"<?xml version="1.0"?><feed><link href="/feed1"/><entry><link href="/e1"/></entry></feed>"#;
        assert_eq!(urls("http://h/f.xml", xml), ["http://h/feed1", "http://h/e1"]);
    }

    /// Charset: Content-Type wins over meta, meta over the default; the label is reported as
    /// declared, lower-cased, and an unknown declared label decodes as UTF-8; a BOM wins the
    /// decoding.
    #[test]
    fn charset_order() {
        let body = b"<meta charset=utf-8>\x83\x65";
        let (label, enc) = charset(Some("Shift_JIS"), body, true);
        assert_eq!((label.as_str(), enc.name()), ("shift_jis", "Shift_JIS"));
        assert!(decode(enc, body).ends_with('テ'));
        let meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=EUC-KR\">";
        let (label, enc) = charset(None, meta, true);
        assert_eq!((label.as_str(), enc.name()), ("euc-kr", "EUC-KR"));
        let (label, enc) = charset(Some("no-such-charset"), meta, true);
        assert_eq!((label.as_str(), enc.name()), ("no-such-charset", "UTF-8"));
        let (label, enc) = charset(Some("ascii"), b"", true);
        assert_eq!((label.as_str(), enc.name()), ("ascii", "windows-1252"));
        assert_eq!(decode(encoding_rs::WINDOWS_1252, b"\xef\xbb\xbfcaf\xc3\xa9"), "café");
        assert_eq!(decode(UTF_8, b"bad \xff bytes"), "bad \u{fffd} bytes");
        let (label, enc) = charset(None, b"<meta charset=\"utf-16\">", true);
        assert_eq!((label.as_str(), enc.name()), ("utf-16", "UTF-8"));
        let skipped =
            b"<meta name=\"charset-note\" content=x><meta charset=bogus><meta charset=koi8-r>";
        let (label, enc) = charset(None, skipped, true);
        assert_eq!(
            (label.as_str(), enc.name()),
            ("koi8-r", "KOI8-R"),
            "unknown labels are skipped"
        );
        assert_eq!(charset(None, b"", true).0, "utf-8");
    }

    /// Links inside `<noscript>` count, as for a browser that runs no scripts; links inside
    /// `<script>`, `<style>`, comments and `<template>`-free raw text do not.
    #[test]
    fn noscript_links_count_script_links_do_not() {
        let html = r#"<html><head><noscript><link rel="stylesheet" href="/noscript.css"></noscript>
            <script>document.write('<a href="/in-script">x</a>')</script>
            <style>a::after { content: '<a href="/in-style">' }</style></head>
            <body><!-- <a href="/in-comment">c</a> --><noscript><a href="/ns">n</a></noscript>
            <textarea><a href="/in-textarea"></a></textarea><a href="/after">a</a></body></html>"#;
        assert_eq!(
            urls("http://h/", html),
            ["http://h/noscript.css", "http://h/ns", "http://h/after"]
        );
    }

    proptest! {
        /// No body, however broken, makes decoding or extraction panic, and every link found is an
        /// absolute http(s) URL without a fragment.
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048),
                                 declared in proptest::option::of("[a-zA-Z0-9_-]{0,12}")) {
            let page = Url::parse("http://h/p").unwrap();
            let (_, encoding) = charset(declared.as_deref(), &body, true);
            let text = decode(encoding, &body);
            for link in extract(&page, &text) {
                prop_assert!(matches!(link.scheme(), "http" | "https"));
                prop_assert!(link.fragment().is_none());
            }
        }

        /// Arbitrary href values, in every quoting style, never panic and never leak a bad link.
        #[test]
        fn never_panics_on_hrefs(hrefs in proptest::collection::vec(
            prop_oneof![
                "[ -~]{0,40}",
                "(https?:|//|/|\\.\\./|#|\\?|javascript:|mailto:|data:)[ -~]{0,30}",
                "\\PC{0,20}",
            ], 0..8),
            quote in prop_oneof![Just("\""), Just("'"), Just("")],
            base in proptest::option::of("[ -~]{0,30}")) {
            let mut html = String::new();
            if let Some(b) = base {
                html.push_str(&format!("<base href=\"{}\">", b.replace('"', "&quot;")));
            }
            for h in &hrefs {
                html.push_str(&format!("<a HREF={quote}{h}{quote}>x</a><area href=\"{h}\"><link href='{h}'>"));
            }
            let page = Url::parse("https://example.com/a/b?c#d").unwrap();
            let links = extract(&page, &html);
            let distinct: HashSet<_> = links.iter().collect();
            prop_assert_eq!(distinct.len(), links.len());
            for link in &links {
                prop_assert!(matches!(link.scheme(), "http" | "https"));
                prop_assert!(link.fragment().is_none());
            }
        }
    }
}
