//! Property tests: arbitrary bytes, and markup generated from a grammar of tags, attributes,
//! character references, comments and raw-text elements, each compared with the reference
//! (whole, and split at a random point). On a mismatch proptest shrinks to a smallest input.
//!
//! The generated documents leave out the first documented departure (see
//! `closes_foreign_from_below`): an end tag that closes an HTML element *around* an open
//! `<svg>`/`<math>`.

#[path = "support/check.rs"]
mod check;
#[path = "support/reference.rs"]
mod reference;

use proptest::prelude::*;
use proptest::sample::select;

#[rustfmt::skip]
const NAMES: &[&str] = &[
    "a", "A", "area", "link", "LINK", "base", "script", "SCRIPT", "style", "title", "textarea",
    "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript", "svg", "math", "foreignObject",
    "desc", "mi", "mtext", "mglyph", "annotation-xml", "template", "table", "tr", "td", "select",
    "option", "frameset", "frame", "body", "head", "html", "p", "div", "br", "font", "input", "meta",
    "img", "image", "b", "span", "col", "colgroup", "caption", "x-y", "g", "path", "use", "li",
    "pre", "hr", "button", "object", "embed", "wbr", "h1", "ul", "form",
];

/// The names whose rules interact most (raw text, foreign content, templates, framesets).
#[rustfmt::skip]
const CORE: &[&str] = &[
    "a", "svg", "math", "style", "script", "title", "div", "p", "template", "col", "frameset",
    "foreignObject", "mi", "annotation-xml", "table", "td", "textarea", "noscript", "body", "head",
    "br", "font", "b", "plaintext", "base", "link", "desc", "span",
];

#[rustfmt::skip]
const ATTRIBUTES: &[&str] = &[
    "href", "HREF", "href", "type", "charset", "http-equiv", "content", "color", "xlink:href",
    "title", "=x", "id", "hreff", "src", "a\"b", "h'", "=", "HrEf",
];

#[rustfmt::skip]
const VALUES: &[&str] = &[
    "x", "/a", "../b/c", "http://other.example/p", "#frag", "?q", "hidden", "HIDDEN",
    "content-type", "text/html; charset=utf-8", "", " ", "a b", "a>b", "a\"b", "a'b", "&amp;",
    "&amp", "&ampx", "&amp=", "&lt;&gt", "&notin;", "&noti", "&#65;", "&#x41", "&#0;", "&#x80;",
    "&#xD800;", "&#1114112;", "é", "\u{0}", "\r\n", "\t", "&Tab;", "javascript:x", "mailto:m",
    "//h/p", "https://", "http:x", "&#32;", "caf&eacute;", "a&b", "=", "a=\"b", "/",
];

#[rustfmt::skip]
const TEXT: &[&str] = &[
    "x", " ", "\n", "\t", "\r\n", "&amp;", "&#32;", "&#x20", "&Tab;", "&NewLine;", "&", "&#",
    "<", ">", "</", "\u{0}", "é", "\u{feff}", "-", "--", "]]>", "]", "<!--", "-->", "--!>",
    "<!-->", "<!--->", "<!-", "<!x>", "<?x>", "</1>", "</>", "<!DOCTYPE html>", "<!doctype",
    "<![CDATA[", "<![CDATA[x]]>", "<script>", "</script>", "</script ", "<scr", "</scripta>",
    "<!--<script>", "</style>", "</title x=\">\">", " /", "=",
];

fn attribute() -> impl Strategy<Value = String> {
    (select(ATTRIBUTES), select(VALUES), 0..5u8).prop_map(|(name, value, quoting)| match quoting {
        0 => format!(" {name}"),
        1 => format!(" {name}={value}"),
        2 => format!(" {name}='{value}'"),
        3 => format!("{name}=\"{value}\""),
        _ => format!("/{name} = \"{value}\""),
    })
}

fn name() -> impl Strategy<Value = &'static str> {
    prop_oneof![2 => select(CORE), 1 => select(NAMES)]
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (name(), proptest::collection::vec(attribute(), 0..3), any::<bool>()).prop_map(
            |(name, attributes, self_closing)| {
                format!("<{name}{}{}>", attributes.concat(), if self_closing { "/" } else { "" })
            }
        ),
        2 => name().prop_map(|name| format!("</{name}>")),
        3 => select(TEXT).prop_map(str::to_owned),
    ]
}

/// The documented departure: an end tag `</x>` that closes an HTML element `<x>` opened around
/// an `<svg>` or `<math>` closes the foreign content in a tree builder, not in the scanner.
/// Found syntactically and conservatively (comments and raw text are not told apart): some
/// `<x ...>`, then `<svg` or `<math`, then `</x`. Names whose end tags are handled exactly
/// anyway (foreign roots, breakouts, templates, self-closing raw-text elements) are exempt.
fn closes_foreign_from_below(html: &str) -> bool {
    const EXEMPT: &[&str] = &[
        "svg", "math", "p", "br", "template", "style", "script", "title", "textarea", "xmp",
        "iframe", "noembed", "noframes",
    ];
    let bytes = html.as_bytes();
    let mut opened: Vec<String> = Vec::new();
    let mut around: Vec<String> = Vec::new();
    for (i, _) in html.match_indices('<') {
        let end_tag = bytes.get(i + 1) == Some(&b'/');
        let start = i + 1 + usize::from(end_tag);
        let name: String = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        if name.is_empty() || (end_tag && EXEMPT.contains(&name.as_str())) {
            continue;
        }
        if end_tag {
            if around.contains(&name) {
                return true;
            }
        } else if name == "svg" || name == "math" {
            around.clone_from(&opened);
        } else {
            opened.push(name);
        }
    }
    false
}

fn document() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..24)
        .prop_map(|pieces| pieces.concat())
        .prop_filter("closes foreign content from below", |html| !closes_foreign_from_below(html))
}

/// Names for documents that start in foreign content.
#[rustfmt::skip]
const FOREIGN: &[&str] = &[
    "svg", "math", "foreignObject", "foreignobject", "desc", "title", "mi", "mo", "mtext",
    "annotation-xml", "mglyph", "malignmark", "g", "path", "a", "style", "script", "div", "span",
    "p", "b", "li", "table", "td", "font", "br", "template", "textarea", "link", "base", "img",
];

/// A document that opens with `<svg>` or `<math>` and mixes SVG, MathML and HTML start tags.
fn foreign_document() -> impl Strategy<Value = String> {
    let start = (select(FOREIGN), proptest::collection::vec(attribute(), 0..2), any::<bool>())
        .prop_map(|(name, attributes, self_closing)| {
            format!("<{name}{}{}>", attributes.concat(), if self_closing { "/" } else { "" })
        });
    let end = select(FOREIGN).prop_map(|name| format!("</{name}>"));
    let piece = prop_oneof![3 => start, 1 => end, 1 => select(TEXT).prop_map(str::to_owned)];
    (select(&["<svg>", "<math>"][..]), proptest::collection::vec(piece, 0..24))
        .prop_map(|(root, pieces)| format!("{root}{}", pieces.concat()))
        .prop_filter("closes foreign content from below", |html| !closes_foreign_from_below(html))
}

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(3000),
        max_global_rejects: 1_000_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_markup(html in document(), split in any::<prop::sample::Index>()) {
        let split = split.index(html.len() + 1).max(1);
        if let Err(diff) = check::compare(html.as_bytes(), encoding_rs::UTF_8, false, &[&[split, 0], &[3]]) {
            prop_assert!(false, "{}", diff);
        }
    }

    #[test]
    fn generated_foreign_content(html in foreign_document()) {
        if let Err(diff) = check::compare(html.as_bytes(), encoding_rs::UTF_8, false, &[&[5]]) {
            prop_assert!(false, "{}", diff);
        }
    }

    #[test]
    fn arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        for encoding in [encoding_rs::UTF_8, encoding_rs::WINDOWS_1252, encoding_rs::SHIFT_JIS] {
            if let Err(diff) = check::compare(&body, encoding, false, &[&[1], &[7]]) {
                prop_assert!(false, "{}", diff);
            }
        }
    }

    #[test]
    fn arbitrary_markup_bytes(
        body in proptest::collection::vec(select(b"<>/!-=\"' \n&#;ahrefscipt[CDAT]xvgm\x00\xe9\x82".as_slice()), 0..60)
    ) {
        for encoding in [encoding_rs::UTF_8, encoding_rs::SHIFT_JIS, encoding_rs::UTF_16LE] {
            if let Err(diff) = check::compare(&body, encoding, false, &[&[1]]) {
                prop_assert!(false, "{}", diff);
            }
        }
    }
}
