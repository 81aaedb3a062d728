//! Links of an HTML or XML body: decode by charset, then the `href` of every `a`, `area` and
//! `link`, resolved against `<base href>` or the page URL, in document order, deduplicated.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};
use scraper::{Html, Selector};
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

/// Decodes a body to text: a byte-order mark wins, then the Content-Type `charset` (if
/// `declared` names a known encoding), then a `<meta charset>` in the first kilobyte, else UTF-8.
/// Malformed bytes become U+FFFD; decoding never fails. Returns the text and the encoding used.
///
/// # Examples
/// ```
/// let (text, enc) = shared::links::decode(Some("ISO-8859-1"), b"caf\xe9");
/// assert_eq!(text, "café");
/// assert_eq!(enc.name(), "windows-1252");
/// let (text, enc) = shared::links::decode(None, b"<meta charset='koi8-r'>\xc1");
/// assert!(text.ends_with('а'));
/// assert_eq!(enc.name(), "KOI8-R");
/// ```
pub fn decode<'a>(declared: Option<&str>, body: &'a [u8]) -> (Cow<'a, str>, &'static Encoding) {
    let encoding = Encoding::for_bom(body)
        .map(|(enc, _)| enc)
        .or_else(|| declared.and_then(|label| Encoding::for_label(label.trim().as_bytes())))
        .or_else(|| meta_charset(body))
        .unwrap_or(UTF_8);
    // `decode` removes a BOM and replaces malformed sequences. A meta tag that names UTF-16 in
    // an ASCII-compatible document means UTF-8 (HTML's rule), which encoding_rs applies itself.
    let (text, used, _had_errors) = encoding.decode(body);
    (text, used)
}

/// The encoding named by a `<meta charset=...>` or `<meta http-equiv content="...; charset=...">`
/// in the first [`META_PRESCAN`] bytes.
fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
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
            if let Some(enc) = Encoding::for_label(&rest[..end]) {
                // HTML: a meta tag cannot switch an ASCII-compatible parse to UTF-16.
                return Some(if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    enc
                });
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
    let document = Html::parse_document(text);
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

    /// Charset: Content-Type wins over meta; meta over the default; BOM over everything.
    #[test]
    fn charset_order() {
        let (t, e) = decode(Some("shift_jis"), b"<meta charset=utf-8>\x83\x65");
        assert_eq!((e.name(), t.ends_with('テ')), ("Shift_JIS", true));
        let (_, e) = decode(
            Some("no-such-charset"),
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=EUC-KR\">",
        );
        assert_eq!(e.name(), "EUC-KR");
        let (t, e) = decode(Some("iso-8859-1"), b"\xef\xbb\xbfcaf\xc3\xa9");
        assert_eq!((e.name(), &*t), ("UTF-8", "café"));
        let (t, e) = decode(None, b"bad \xff bytes");
        assert_eq!((e.name(), &*t), ("UTF-8", "bad \u{fffd} bytes"));
        let (_, e) = decode(None, b"<meta charset=\"utf-16\">");
        assert_eq!(e.name(), "UTF-8");
        let (_, e) = decode(None, b"<meta name=\"charset-note\" content=x><meta charset=koi8-r>");
        assert_eq!(e.name(), "KOI8-R", "a meta that only mentions charset is skipped");
    }

    proptest! {
        /// No body, however broken, makes decoding or extraction panic, and every link found is an
        /// absolute http(s) URL without a fragment.
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048),
                                 declared in proptest::option::of("[a-zA-Z0-9_-]{0,12}")) {
            let page = Url::parse("http://h/p").unwrap();
            let (text, _) = decode(declared.as_deref(), &body);
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
