//! The chapter's own test suite (links, cycles, hosts, redirects, encodings, content types),
//! rewritten against the local test site.
//! The rules: docs/contract.md, "Links", "Root domains and host matching", "Redirects", "Each URL
//! once", "Content type and encoding".

use bytes::Bytes;

use super::{CrawlFn, Run};
use crate::Site;

/// "/" links to foo, which is a leaf.
pub fn link(crawl: CrawlFn) {
    let site = Site::new().page("/", &["/foo"]).page("/foo", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/foo"]);
    let root = run.stat("/");
    assert_eq!((root.status, root.num_urls, root.num_new_urls), (Some(200), 1, 1));
    assert_eq!(root.content_type.as_deref(), Some("text/html"));
    assert_eq!(root.encoding.as_deref(), Some("utf-8"));
    let leaf = run.stat("/foo");
    assert_eq!((leaf.num_urls, leaf.num_new_urls), (0, 0));
    assert!(leaf.size > 0);
    run.assert_each_fetched_once();
}

/// foo links to bar, bar links back to foo: each fetched once, bar's link is not new.
pub fn link_cycle(crawl: CrawlFn) {
    let site = Site::new().page("/", &["/foo"]).page("/foo", &["/bar"]).page("/bar", &["/foo"]);
    let run = Run::new(crawl, &site, |c| {
        c.max_tasks(1);
    });
    run.assert_done(&["/", "/bar", "/foo"]);
    assert_eq!((run.stat("/foo").num_urls, run.stat("/foo").num_new_urls), (1, 1));
    assert_eq!((run.stat("/bar").num_urls, run.stat("/bar").num_new_urls), (1, 0));
    run.assert_each_fetched_once();
}

/// A link to the page itself counts in num_urls, and is not new (the page is seen).
pub fn self_link_counts(crawl: CrawlFn) {
    let site = Site::new().page("/", &["/", "/#top", "/a"]).page("/a", &["/a"]);
    let run = Run::new(crawl, &site, |_| {});
    assert_eq!((run.stat("/").num_urls, run.stat("/").num_new_urls), (2, 1));
    assert_eq!((run.stat("/a").num_urls, run.stat("/a").num_new_urls), (1, 0));
    run.assert_each_fetched_once();
}

/// Links to other hosts are not counted and not fetched (localhost is not 127.0.0.1).
pub fn prohibited_host(crawl: CrawlFn) {
    let site = Site::new().page("/", &["http://example.com/", "http://www.example.com/x"]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/"]);
    assert_eq!(run.stat("/").num_urls, 0);
    let localhost = format!("http://localhost:{}/", run.server.addr().port());
    let site = Site::new().page("/", &[&localhost, "/ok"]).page("/ok", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/ok"]);
    assert_eq!(run.stat("/").num_urls, 1);
}

/// Host matching ignores the port: a link to another port of 127.0.0.1 is crawled (and, with
/// nobody listening there, fails as refused).
pub fn port_is_ignored(crawl: CrawlFn) {
    let (_reserved, port) = super::closed_port();
    let other = format!("http://127.0.0.1:{port}/elsewhere");
    let site = Site::new().page("/", &[&other]);
    let run = Run::new(crawl, &site, |c| {
        c.max_tries(1);
    });
    assert_eq!(run.stat("/").num_urls, 1);
    let failed = run.report.get(&other).expect("the other port was tried");
    assert_eq!(failed.exception.as_deref(), Some("ConnectionRefused: connection refused"));
}

/// mailto:, javascript:, ftp: and data: links are not counted; http links are.
pub fn non_http_links(crawl: CrawlFn) {
    let links = [
        "mailto:me@example.com",
        "javascript:void(0)",
        "ftp://127.0.0.1/f",
        "data:text/html,x",
        "/ok",
    ];
    let site = Site::new().page("/", &links).page("/ok", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/ok"]);
    assert_eq!(run.stat("/").num_urls, 1);
}

/// "/" redirects to foo: a redirect record, then foo.
pub fn redirect(crawl: CrawlFn) {
    let site = Site::new().redirect("/", "/foo", 302).page("/foo", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/foo"]);
    let root = run.stat("/");
    assert_eq!(root.status, Some(302));
    assert_eq!(root.next_url.as_deref(), Some(run.url("/foo").as_str()));
    assert_eq!(run.stat("/foo").status, Some(200));
    run.assert_each_fetched_once();
}

/// A chain of redirects of every status is followed to its end within --max-redirect.
pub fn redirect_chain(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/r0"])
        .redirect("/r0", "/r1", 301)
        .redirect("/r1", "r2", 303)
        .redirect("/r2", "/r3#frag", 307)
        .redirect("/r3", "/r4", 308)
        .redirect("/r4", "/end", 300)
        .page("/end", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/end", "/r0", "/r1", "/r2", "/r3", "/r4"]);
    assert_eq!(run.stat("/r2").next_url.as_deref(), Some(run.url("/r3").as_str()));
    run.assert_oracle(&site);
    run.assert_each_fetched_once();
}

/// --max-redirect N follows N redirects from a link and no more; 0 follows none.
pub fn redirect_limit(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/r0"])
        .redirect("/r0", "/r1", 302)
        .redirect("/r1", "/r2", 302)
        .redirect("/r2", "/end", 302)
        .page("/end", &[]);
    let run = Run::new(crawl, &site, |c| {
        c.max_redirect(2);
    });
    run.assert_done(&["/", "/r0", "/r1", "/r2"]);
    assert_eq!(run.stat("/r2").next_url.as_deref(), Some(run.url("/end").as_str()));
    assert_eq!(run.server.requests("/end"), 0);
    run.assert_oracle(&site);
    let run = Run::new(crawl, &site, |c| {
        c.max_redirect(0);
    });
    run.assert_done(&["/", "/r0"]);
    let run = Run::new(crawl, &site, |c| {
        c.max_redirect(3);
    });
    run.assert_done(&["/", "/end", "/r0", "/r1", "/r2"]);
}

/// foo redirects to bar, which redirects back to foo: both recorded once, the crawl ends.
pub fn redirect_cycle(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/foo"])
        .redirect("/foo", "/bar", 302)
        .redirect("/bar", "/foo", 302);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/bar", "/foo"]);
    assert_eq!(run.stat("/foo").next_url.as_deref(), Some(run.url("/bar").as_str()));
    assert_eq!(run.stat("/bar").next_url.as_deref(), Some(run.url("/foo").as_str()));
    run.assert_each_fetched_once();
}

/// foo and bar both redirect to baz: baz is fetched once.
pub fn redirect_join(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/foo", "/bar"])
        .redirect("/foo", "/baz", 302)
        .redirect("/bar", "/baz", 302)
        .page("/baz", &[]);
    for max_tasks in [1, 10] {
        let run = Run::new(crawl, &site, |c| {
            c.max_tasks(max_tasks);
        });
        run.assert_done(&["/", "/bar", "/baz", "/foo"]);
        assert_eq!(run.server.requests("/baz"), 1);
        run.assert_each_fetched_once();
    }
}

/// A redirect to a host the policy refuses is recorded, with its target, and not followed.
pub fn redirect_to_refused_host(crawl: CrawlFn) {
    let site = Site::new().page("/", &["/away"]).redirect("/away", "http://example.com/x#y", 301);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/away"]);
    assert_eq!(run.stat("/away").next_url.as_deref(), Some("http://example.com/x"));
    assert_eq!(run.stat("/away").status, Some(301));
}

/// A 3xx without Location, and a 304, are ordinary records, not redirects.
pub fn not_redirects(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/nowhere", "/same"])
        .raw("/nowhere", 302, Some("text/html"), "<a href=/x>x</a>", &[])
        .resource("/same", crate::Resource::Redirect { status: 304, location: "/x".into() });
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/nowhere", "/same"]);
    for path in ["/nowhere", "/same"] {
        let s = run.stat(path);
        assert_eq!((s.next_url.as_deref(), s.num_urls), (None, 0), "{path}");
    }
    assert_eq!(run.stat("/nowhere").status, Some(302));
    assert_eq!(run.stat("/same").status, Some(304));
    run.assert_oracle(&site);
}

/// Bodies are decoded by the Content-Type charset, else the meta charset, else UTF-8; bad bytes
/// never stop a page from being parsed. `encoding` reports the label as declared, lower-cased
/// (`iso-8859-1`, not the decoder's name `windows-1252`), and is never null for a 200.
pub fn encodings(crawl: CrawlFn) {
    let latin1 = b"<p>caf\xe9</p><a href=\"/a\">a</a>".to_vec();
    let sjis_meta =
        b"<meta charset=\"Shift_JIS\"><p>\x83\x65\x83\x58\x83\x67</p><a href=/b>b</a>".to_vec();
    let broken = b"<p>\xff\xfe\xc3</p><a href=/c>c</a>".to_vec();
    let site = Site::new()
        .page("/", &["/latin1", "/sjis", "/broken", "/ascii", "/image"])
        .raw("/latin1", 200, Some("text/html; charset=ISO-8859-1"), latin1, &["/a"])
        .raw("/sjis", 200, Some("text/html"), sjis_meta, &["/b"])
        .raw("/broken", 200, Some("text/html"), broken, &["/c"])
        .raw("/ascii", 200, Some("text/html; charset=\"ASCII\""), "<a href=/a>a</a>", &["/a"])
        .raw("/image", 200, Some("image/png"), &b"\x89PNG\r\n"[..], &[])
        .page("/a", &[])
        .page("/b", &[])
        .page("/c", &[]);
    let run = Run::new(crawl, &site, |_| {});
    for (path, encoding) in [
        ("/latin1", "iso-8859-1"),
        ("/sjis", "shift_jis"),
        ("/broken", "utf-8"),
        ("/ascii", "ascii"),
        ("/image", "utf-8"),
    ] {
        assert_eq!(run.stat(path).encoding.as_deref(), Some(encoding), "{path}");
    }
    for path in ["/latin1", "/sjis", "/broken", "/ascii"] {
        assert_eq!(run.stat(path).num_urls, 1, "{path}");
    }
    run.assert_oracle(&site);
}

/// (path, status, Content-Type sent, content_type reported, num_urls).
type Case = (&'static str, u16, Option<&'static str>, Option<&'static str>, usize);

/// Only 200 text/html and application/xml are parsed; the media type is reported without its
/// parameters, lower-case; no Content-Type reports null. Only a 200 reports a content type and an
/// encoding: a 404 sent as text/html reports neither (and so counts as an error, not as html).
pub fn content_types(crawl: CrawlFn) {
    let body = Bytes::from_static(b"<a href=\"/leaf\">leaf</a>");
    let cases: [Case; 7] = [
        ("/html", 200, Some("TEXT/HTML; charset=UTF-8"), Some("text/html"), 1),
        ("/xml", 200, Some("application/xml"), Some("application/xml"), 1),
        ("/plain", 200, Some("text/plain"), Some("text/plain"), 0),
        ("/png", 200, Some("image/png"), Some("image/png"), 0),
        ("/none", 200, None, None, 0),
        ("/gone", 404, Some("text/html"), None, 0),
        ("/oops", 500, Some("text/html"), None, 0),
    ];
    let mut site = Site::new().page("/", &cases.map(|c| c.0)).page("/leaf", &[]);
    for (path, status, header, _, _) in cases {
        site = site.raw(path, status, header, body.clone(), &["/leaf"]);
    }
    let run = Run::new(crawl, &site, |_| {});
    for (path, status, _, reported, num_urls) in cases {
        let s = run.stat(path);
        assert_eq!(
            (s.status, s.content_type.as_deref(), s.num_urls),
            (Some(status), reported, num_urls),
            "{path}"
        );
        assert_eq!(s.size, body.len() as u64, "{path}");
        assert_eq!(s.encoding.is_some(), status == 200, "encoding only for a 200: {path}");
    }
    run.assert_oracle(&site);
    let text = run.report.text();
    assert!(text.contains("\n         2 error\n"), "the 404 and the 500 are errors:\n{text}");
    assert!(text.contains("\n         3 html\n"), "/, /html and /leaf are html:\n{text}");
}

/// Links are found as a browser that runs no scripts sees them: inside `<noscript>` they count,
/// inside `<script>`, `<style>` and comments they do not.
pub fn noscript_links(crawl: CrawlFn) {
    let html = r#"<html><head><noscript><link rel="stylesheet" href="/noscript.css"></noscript>
<script>document.write('<a href="/in-script">x</a>')</script>
<style>/* <a href="/in-style">s</a> */</style></head>
<body><!-- <a href="/in-comment">c</a> --><noscript><a href="/ns-page">n</a></noscript></body></html>"#;
    let site = Site::new()
        .raw("/", 200, Some("text/html"), html, &["/noscript.css", "/ns-page"])
        .raw("/noscript.css", 200, Some("text/css"), "body {}", &[])
        .page("/ns-page", &[])
        .page("/in-script", &[])
        .page("/in-style", &[])
        .page("/in-comment", &[]);
    let run = Run::new(crawl, &site, |_| {});
    run.assert_done(&["/", "/noscript.css", "/ns-page"]);
    assert_eq!(run.stat("/").num_urls, 2);
    run.assert_oracle(&site);
}

/// Links in an XML document (a feed's link hrefs) are found and followed.
pub fn xml_links(crawl: CrawlFn) {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><link href="/feed-home"/>
<entry><link href="/entry/1"/></entry><entry><link href="/entry/2"/></entry></feed>"#;
    let site = Site::new()
        .page("/", &["/feed.xml"])
        .raw(
            "/feed.xml",
            200,
            Some("application/xml"),
            xml,
            &["/feed-home", "/entry/1", "/entry/2"],
        )
        .page("/feed-home", &[])
        .page("/entry/1", &[])
        .page("/entry/2", &[]);
    let run = Run::new(crawl, &site, |_| {});
    assert_eq!(run.stat("/feed.xml").num_urls, 3);
    run.assert_done(&["/", "/entry/1", "/entry/2", "/feed-home", "/feed.xml"]);
}

/// Several roots are all crawled and all seen from the start; --exclude skips matching links
/// but never a root.
pub fn roots_and_exclude(crawl: CrawlFn) {
    let site = Site::new()
        .page("/", &["/a", "/skip-me", "/b?x=skip"])
        .page("/a", &["/other-root"])
        .page("/other-root", &["/"])
        .page("/skip-me", &[])
        .page("/b", &[]);
    let run = Run::new(crawl, &site, |c| {
        let root = url::Url::parse(&c.roots()[0]).expect("valid");
        let other = root.join("/other-root").expect("valid");
        c.root(other.as_str()).exclude("skip");
    });
    run.assert_done(&["/", "/a", "/other-root"]);
    assert_eq!(run.stat("/").num_urls, 1);
    assert_eq!(run.stat("/a").num_new_urls, 0, "a root is seen from the start");
    let excluded_root = Run::new(crawl, &site, |c| {
        c.exclude("127");
    });
    excluded_root.assert_done(&["/"]);
}
