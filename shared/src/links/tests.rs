//! The extractor's behaviour on the cases the DOM extractor was tested with: tags, `<base>`,
//! odd hrefs, duplicates, XML, `<noscript>`, and arbitrary bytes and hrefs.

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

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

/// Links inside `<noscript>` count, as for a browser that runs no scripts; links inside
/// `<script>`, `<style>`, comments and `<template>`-free raw text do not.
#[test]
fn noscript_links_count_script_links_do_not() {
    let html = r#"<html><head><noscript><link rel="stylesheet" href="/noscript.css"></noscript>
        <script>document.write('<a href="/in-script">x</a>')</script>
        <style>a::after { content: '<a href="/in-style">' }</style></head>
        <body><!-- <a href="/in-comment">c</a> --><noscript><a href="/ns">n</a></noscript>
        <textarea><a href="/in-textarea"></a></textarea><a href="/after">a</a></body></html>"#;
    assert_eq!(urls("http://h/", html), ["http://h/noscript.css", "http://h/ns", "http://h/after"]);
}

proptest! {
    /// No body, however broken, makes decoding or extraction panic, and every link found is an
    /// absolute http(s) URL without a fragment.
    #[test]
    fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048),
                             declared in proptest::option::of("[a-zA-Z0-9_-]{0,12}")) {
        let page = Url::parse("http://h/p").unwrap();
        let (_, encoding) = charset(declared.as_deref(), &body, true);
        for link in extract_bytes(&page, &body, encoding) {
            let url = link.to_url();
            prop_assert_eq!(url.as_str(), link.as_str());
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert!(url.fragment().is_none());
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
            let url = link.to_url();
            prop_assert_eq!(url.as_str(), link.as_str());
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert!(url.fragment().is_none());
        }
    }
}

/// One segment of a generated href: names, dot segments, and the bytes that make
/// [`fast_join`] decline (a `%2e` dot segment, a scheme's `:`, a query, a backslash, a space,
/// a tab, non-ASCII).
fn href_segment() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            "",
            ".",
            "..",
            "...",
            "a",
            "b.html",
            "index.html",
            "~u",
            "a+b",
            "@",
            "!$&'()*+,;=",
            "%2e",
            "%2E%2e",
            ".%2e",
            "x:y",
            "c|",
            "?q",
            "a?b=c",
            "\\",
            " ",
            "\t",
            "é",
            "#f",
            "x#y",
            "a..b",
            "-_.",
            "?",
            "?a=%2e&b='c'",
            "?<\">",
            "??",
            "x?y\\z",
            "?%zz",
            "?a#b?c",
        ][..],
    )
}

proptest! {
    /// Wherever `fast_join` answers, its text is `Url::join`'s, with the fragment dropped.
    #[test]
    fn fast_join_is_url_join(
        base in proptest::sample::select(&[
            "http://h/", "https://h:8443/a/b/c.html", "http://u:p@h/a/", "http://h/a/b?q=1",
            "http://[::1]:80/x/y", "https://h/a//b/", "http://h/a/b/..", "HTTP://H.example/A",
            "http://h/a%2Fb/c", "http://h:80/",
        ][..]),
        start in proptest::sample::select(&[
            "", "/", "//", "./", "../", "?", "https://", "http://h.example", "https://a-b.c9/",
            "https://H.ex/", "https://1.2.3.4/", "http://0x7f.1/", "https://xn--e1a.x/",
            "http://a..b/", "http://a.b./", "https://a.b:8080/", "https://u@a.b/", "http:/a/",
            "https://-a.b/", "https://a-.b/", "http://a.9b/", "https://é.x/", "https://%41.x/",
        ][..]),
        segments in proptest::collection::vec(href_segment(), 1..6),
    ) {
        let base = Url::parse(base).unwrap();
        let href = format!("{start}{}", segments.join("/"));
        if let Some(text) = fast_join(&base, &href) {
            let mut url = base.join(&href).unwrap();
            url.set_fragment(None);
            prop_assert_eq!(text, url.as_str(), "{} joined to {:?}", base, href);
        }
    }
}

/// The hrefs of real pages take the fast way, and give what `Url::join` gives.
#[test]
fn fast_join_takes_the_common_hrefs() {
    let base = Url::parse("https://doc.example/std/vec/struct.Vec.html").unwrap();
    for (href, expected) in [
        ("struct.IntoIter.html", "https://doc.example/std/vec/struct.IntoIter.html"),
        ("../../core/index.html#x", "https://doc.example/core/index.html"),
        ("../../../../up.html", "https://doc.example/up.html"),
        ("/about", "https://doc.example/about"),
        ("./", "https://doc.example/std/vec/"),
        ("..", "https://doc.example/std/"),
        ("a/./b/../c", "https://doc.example/std/vec/a/c"),
        ("?search=Vec&x", "https://doc.example/std/vec/struct.Vec.html?search=Vec&x"),
        ("../index.html?q=%2e#f", "https://doc.example/std/index.html?q=%2e"),
        (
            "https://github.com/rust-lang/rust/issues/1",
            "https://github.com/rust-lang/rust/issues/1",
        ),
        ("http://a-b.example", "http://a-b.example/"),
        (
            "https://play.rust-lang.org/?code=%23!%5B&edition=2021",
            "https://play.rust-lang.org/?code=%23!%5B&edition=2021",
        ),
        ("https://h.example/a/../../b/./c/..", "https://h.example/b/"),
    ] {
        assert_eq!(fast_join(&base, href).as_deref(), Some(expected), "{href}");
        assert_eq!(base.join(href).unwrap()[..url::Position::AfterQuery], *expected);
    }
    for declined in [
        "//other/",
        "a%2e",
        "mailto:x",
        "a b",
        "\\x",
        "é",
        "#top",
        "?a b",
        "?\"",
        "https://H.example/",
        "https://h.example:443/",
        "https://u@h.example/",
        "https://1.2.3.4/",
        "https://h.0x1/",
        "https://xn--nxasmq6b.example/",
        "https://h.example./",
        "https://-h.example/",
        "https://h..example/",
        "https:///h/",
        "HTTPS://h/",
        "https://h/a%2e",
        "ftp://h/",
    ] {
        assert_eq!(fast_join(&base, declined), None, "{declined}");
    }
}
