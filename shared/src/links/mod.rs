//! The links of an HTML (or XML) page — the `href` of every `a`, `area` and `link` element,
//! resolved against the first `<base href>` — found by a streaming tokenizer instead of a DOM,
//! with the answer html5ever + scraper give with scripting disabled.
//!
//! # Why a scanner and not a DOM
//!
//! Building a DOM allocates a node for every element and text run and keeps the whole page, to
//! then read one attribute of a few elements. A link only needs the tokenizer, plus the few
//! decisions of the tree builder that change what the tokenizer sees. Measured in one
//! `cargo bench -p shared --bench parse_links` run (one thread, on a 2-core machine shared with
//! other work, whose speed varies by a quarter from hour to hour), on 2,031 pages (22.2 MB: the
//! pages in `tests/pages` and an even sample of the installed Rust docs), from body bytes to
//! resolved, deduplicated links (MB/s from criterion's median times):
//!
//! | option | MB/s |
//! |---|---|
//! | html5ever + scraper DOM, then `select` (the reference) | 66 |
//! | html5ever's tokenizer alone, no tree and no URLs (a possible foundation) | 121 |
//! | this scanner as it was at commit 3bacc86 (kept in the bench, `benches/baseline/`) | 608 |
//! | this scanner | 1,100 (17× the DOM, 1.81× the one at 3bacc86) |
//!
//! Even html5ever's bare tokenizer is far slower than the whole scanner: it decodes the page to
//! UTF-8 first, builds a token (name and attribute strings) for every tag and a text token for
//! every run of text. The scanner reads the bytes as they are, jumps over text to the next `<`,
//! allocates nothing per tag (only the hrefs it keeps, back to back in one buffer), and once the
//! tree emulation has nothing left to decide (past the first tags of nearly every page) skips a
//! tag that can change nothing without its tag states. Links come out as text
//! ([`Link`]), most of them resolved without parsing a URL ([`fast_join`]): a crawl parses a
//! link only if it is new.
//!
//! It streams: [`LinkScanner::feed`] takes any split of the body, and what it carries between
//! calls is the unfinished tag, the open SVG/MathML elements, and the hrefs found so far.
//!
//! # What it emulates of the tree builder
//!
//! Exactly: raw text (`<script>` with its escape states, `<style>`, `<title>`, `<textarea>`,
//! `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, `<plaintext>`), `<noscript>` as a normal
//! element; SVG and MathML content (where `<style>` is not raw text and `<![CDATA[` is CDATA),
//! with its integration points and breakout tags; a `<frameset>` that is accepted (after it,
//! every element but frames is dropped) — which depends on the "frameset-ok" flag and the
//! head/body insertion modes; a `<template>` whose first element is `<col>` (its other content
//! is dropped); U+FEFF that html5ever drops at the start and after `</script>` or a `<meta>`
//! naming a charset. scraper lists elements in creation order, so foster parenting out of
//! tables does not reorder links, and clones made by the adoption agency repeat an href
//! already seen.
//!
//! # Where it departs from a tree builder
//!
//! Known departures (the differential tests find no others; the first is left out of the
//! property-test grammar):
//!
//! 1. HTML elements *around* SVG/MathML are not tracked. An end tag that closes one of them
//!    while an `<svg>` or `<math>` inside it is still open (`<div><svg></div>`) also closes the
//!    SVG in a tree builder; here the SVG stays open until `</svg>`/`</math>` or a breakout start
//!    tag (`<div>`, `<p>`, `<b>`, ...). Until then `<style>`, `<script>`, `<title>`, ... are read
//!    as SVG elements (their content as markup) and `<![CDATA[` as CDATA.
//! 2. HTML elements *inside* an integration point (`<foreignObject>`, `<desc>`, SVG `<title>`,
//!    `<mi>`, `<mo>`, `<mn>`, `<ms>`, `<mtext>`) are closed by a simplified rule: an end tag
//!    closes the nearest open element of that name, looking through SVG/MathML elements but
//!    not past an integration point; no implied end tags, no "special" elements blocking, no
//!    adoption agency, no table modes. This matters only when SVG/MathML is opened again
//!    inside such an element and closed from outside it, as in 1.
//!
//! Not departures, but worth knowing: like scraper (and unlike a browser),
//! `<annotation-xml encoding="text/html">` is not an HTML integration point, and links inside
//! `<template>` count.

mod attributes;
mod charset;
mod emit;
mod entities;
mod entities_table;
mod input;
mod markup;
mod resolve;
mod scanner;
mod tags;
mod tree;

#[cfg(test)]
mod tests;

pub use charset::charset;
pub use resolve::{Link, fast_join};

use encoding_rs::Encoding;
use url::Url;

use self::input::Input;
use self::resolve::resolve;

/// Finds the links of one page, fed in chunks as they arrive.
///
/// It holds the links found so far and the unfinished tag, never the body.
///
/// ```
/// use shared::links::LinkScanner;
/// use url::Url;
///
/// # fn main() -> Result<(), url::ParseError> {
/// let page = Url::parse("https://example.com/docs/")?;
/// let mut scanner = LinkScanner::new(&page, encoding_rs::UTF_8);
/// scanner.feed(b"<p><a hr");
/// scanner.feed(b"ef='guide.html#intro'>Guide</a> <a href=/about>");
/// let links: Vec<String> = scanner.finish().into_iter().map(String::from).collect();
/// assert_eq!(links, ["https://example.com/docs/guide.html", "https://example.com/about"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LinkScanner {
    page_url: Url,
    input: Input,
}

impl LinkScanner {
    /// A scanner for the body of `page_url`, in `encoding` (a BOM in the body overrides it).
    ///
    /// ```
    /// use shared::links::LinkScanner;
    /// use url::Url;
    ///
    /// # fn main() -> Result<(), url::ParseError> {
    /// let page = Url::parse("http://example.com/")?;
    /// let mut scanner = LinkScanner::new(&page, encoding_rs::WINDOWS_1252);
    /// scanner.feed(b"\xEF\xBB\xBF<a href=/caf\xC3\xA9>"); // a UTF-8 BOM wins
    /// assert_eq!(scanner.finish()[0].as_str(), "http://example.com/caf%C3%A9");
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(page_url: &Url, encoding: &'static Encoding) -> Self {
        LinkScanner { page_url: page_url.clone(), input: Input::new(encoding) }
    }

    /// Feeds the next bytes of the body; any split is fine, even inside a tag or a character.
    ///
    /// ```
    /// use shared::links::LinkScanner;
    /// use url::Url;
    ///
    /// # fn main() -> Result<(), url::ParseError> {
    /// let page = Url::parse("http://example.com/")?;
    /// let mut scanner = LinkScanner::new(&page, encoding_rs::WINDOWS_1252);
    /// for byte in b"<a href=caf\xe9&amp;x>" {
    ///     scanner.feed(&[*byte]);
    /// }
    /// assert_eq!(scanner.finish()[0].as_str(), "http://example.com/caf%C3%A9&x");
    /// # Ok(())
    /// # }
    /// ```
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.feed(bytes);
    }

    /// Ends the body: the http and https links, resolved against the first `<base href>` (or the
    /// page URL), without fragments, deduplicated, in document order.
    ///
    /// ```
    /// use shared::links::LinkScanner;
    /// use url::Url;
    ///
    /// # fn main() -> Result<(), url::ParseError> {
    /// let page = Url::parse("http://example.com/a/")?;
    /// let mut scanner = LinkScanner::new(&page, encoding_rs::UTF_8);
    /// scanner.feed(b"<a href=x#1><a href=x#2><a href='mailto:me@example.com'><base href=/b/>");
    /// assert_eq!(scanner.finish()[0].as_str(), "http://example.com/b/x");
    /// # Ok(())
    /// # }
    /// ```
    pub fn finish(self) -> Vec<Link> {
        resolve(&self.page_url, self.input.finish())
    }
}

/// The links of a whole body: the same result as the DOM extractor on
/// `encoding.decode(body)`.
///
/// ```
/// use shared::links::extract_bytes;
/// use url::Url;
///
/// # fn main() -> Result<(), url::ParseError> {
/// let page = Url::parse("http://example.jp/")?;
/// let body = b"<a href=\"/\x93\xfa\x96\x7b\">"; // "/日本" in Shift_JIS
/// let links = extract_bytes(&page, body, encoding_rs::SHIFT_JIS);
/// assert_eq!(links[0].as_str(), "http://example.jp/%E6%97%A5%E6%9C%AC");
/// # Ok(())
/// # }
/// ```
pub fn extract_bytes(page_url: &Url, body: &[u8], encoding: &'static Encoding) -> Vec<Link> {
    let mut scanner = LinkScanner::new(page_url, encoding);
    scanner.feed(body);
    scanner.finish()
}

/// The links of a page that is already text.
///
/// ```
/// use shared::links::extract;
/// use url::Url;
///
/// # fn main() -> Result<(), url::ParseError> {
/// let page = Url::parse("https://example.com/")?;
/// let html = r#"<script>"<a href=/no>"</script><noscript><a href=/yes></noscript>"#;
/// assert_eq!(extract(&page, html)[0].as_str(), "https://example.com/yes");
/// # Ok(())
/// # }
/// ```
pub fn extract(page_url: &Url, text: &str) -> Vec<Link> {
    let mut input = Input::for_text();
    input.feed(text.as_bytes());
    resolve(page_url, input.finish())
}
