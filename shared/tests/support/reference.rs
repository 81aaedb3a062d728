//! The DOM extractor the scanner replaces (html5ever + scraper, scripting disabled), kept as the
//! oracle for the differential tests and the benchmark.
#![allow(dead_code)]

use std::collections::HashSet;

use html5ever::driver::ParseOpts;
use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use scraper::{Html, HtmlTreeSink, Selector};
use url::Url;

fn parse(text: &str) -> Html {
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts { scripting_enabled: false, ..Default::default() },
        ..Default::default()
    };
    html5ever::driver::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(text)
}

/// The http and https links of a document, resolved against its `<base href>` (or `page_url`),
/// fragments dropped, deduplicated, in document order. Hrefs that do not resolve are skipped.
pub fn extract(page_url: &Url, text: &str) -> Vec<Url> {
    let document = parse(text);
    // Both selectors are constant and valid CSS: parsing them cannot fail.
    let base = document
        .select(&Selector::parse("base[href]").unwrap())
        .next()
        .and_then(|el| el.value().attr("href"))
        .and_then(|href| page_url.join(href).ok())
        .filter(|b| !b.cannot_be_a_base())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for element in document.select(&Selector::parse("a[href], area[href], link[href]").unwrap()) {
        let Some(href) = element.value().attr("href") else { continue };
        let Ok(mut url) = base.join(href) else { continue };
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

/// The reference on bytes: decode as the crawler does, then extract.
pub fn extract_bytes(
    page_url: &Url,
    body: &[u8],
    encoding: &'static encoding_rs::Encoding,
) -> Vec<Url> {
    extract(page_url, &encoding.decode(body).0)
}
