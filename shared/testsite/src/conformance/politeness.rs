//! Politeness (docs/contract.md, "Politeness"): `--max-per-host` and `--delay` per host:port,
//! with other hosts kept busy while one waits, and `--robots` (RFC 9309). The hosts are test
//! sites on several ports of 127.0.0.1: one host to the host policy, several to politeness.

use std::time::{Duration, Instant};

use super::{CrawlFn, Run, check_invariants, config_for};
use crate::{Fault, Latency, Resource, ServerHandle, Site, SiteSpec, Start};
use shared::{ConfigBuilder, Report};

/// How a test site is made once the sites before it are served (it may link to their URLs).
type MakeSite = Box<dyn FnOnce(&[ServerHandle]) -> Site>;

/// A crawl of several test sites from the first one's root, with the servers still up.
struct Polite {
    servers: Vec<ServerHandle>,
    report: Report,
}

impl Polite {
    /// Serves `sites` (each may link to the ones before it, by their URLs), crawls from the
    /// last one's root with `tweak` applied, and checks the report's invariants.
    fn new(crawl: CrawlFn, sites: Vec<MakeSite>, tweak: impl FnOnce(&mut ConfigBuilder)) -> Polite {
        let mut servers: Vec<ServerHandle> = Vec::new();
        for site in sites {
            let site = site(&servers);
            servers.push(site.serve("127.0.0.1:0").expect("test site starts"));
        }
        servers.reverse(); // the root's site first
        let mut builder = config_for(&servers[0]);
        builder.timeout(Duration::from_secs(5));
        tweak(&mut builder);
        let config = builder.build().expect("a valid configuration");
        let report = crawl(&config);
        check_invariants(&report);
        let counted = config.progress().snapshot();
        assert_eq!((counted.in_flight, counted.queued), (0, 0), "every URL taken was done");
        Polite { servers, report }
    }

    /// The absolute URL of `path` on server `i`.
    fn url(&self, i: usize, path: &str) -> String {
        self.servers[i].url().join(path).expect("valid path").to_string()
    }

    /// Whether `path` on server `i` has a record.
    fn has(&self, i: usize, path: &str) -> bool {
        self.report.get(&self.url(i, path)).is_some()
    }

    /// Asserts every URL in `paths` of server `i` has a 200 record.
    fn assert_fetched(&self, i: usize, paths: &[&str]) {
        for path in paths {
            let url = self.url(i, path);
            let stat = self.report.get(&url).unwrap_or_else(|| panic!("no record for {url}"));
            assert_eq!(stat.status, Some(200), "{url}");
        }
    }
}

/// Asserts the server saw the requests at least `delay` apart, with 25 ms for the network's
/// jitter. A request that opened its connection arrived late by its connect (and handshake),
/// so the gap after it is not held to that: the crawl's own time holds the whole spacing.
fn assert_spaced(starts: &[Start], delay: Duration) {
    for pair in starts.windows(2) {
        let gap = pair[1].at - pair[0].at;
        let after_a_connect = pair[0].new_connection;
        assert!(
            after_a_connect || gap >= delay - Duration::from_millis(25),
            "{} then {} only {gap:?} apart",
            pair[0].path,
            pair[1].path
        );
    }
}

/// `n` page paths `/{prefix}{i}`.
fn paths(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("/{prefix}{i}")).collect()
}

fn refs(strings: &[String]) -> Vec<&str> {
    strings.iter().map(String::as_str).collect()
}

/// A site whose root links to its own `pages` and to every page of the sites before it
/// (`links`), all of them leaves.
fn site_linking(own: &[String], others: Vec<String>, latency: Duration) -> Site {
    let mut links: Vec<&str> = refs(own);
    links.extend(others.iter().map(String::as_str));
    let mut site = Site::new().page("/", &links).with_latency(Latency::Fixed(latency));
    for path in own {
        site = site.page(path, &[]);
    }
    site
}

/// `--max-per-host 2` at `--max-tasks 6`, over three hosts (three ports) with 12 pages each
/// and 30 ms a request: no host ever answers more than two requests at once, and each one is
/// kept at its two, at the same time as the others.
pub fn max_per_host_holds_on_every_host(crawl: CrawlFn) {
    let pages = paths("p", 12);
    let latency = Duration::from_millis(30);
    let leaf = |pages: Vec<String>| -> MakeSite {
        Box::new(move |_| site_linking(&pages, Vec::new(), latency))
    };
    let root_pages = pages.clone();
    let root = Box::new(move |before: &[ServerHandle]| {
        let others = before
            .iter()
            .flat_map(|s| paths("p", 12).into_iter().map(|p| s.url().join(&p).unwrap().to_string()))
            .collect();
        site_linking(&root_pages, others, latency)
    });
    let run = Polite::new(crawl, vec![leaf(pages.clone()), leaf(pages.clone()), root], |c| {
        c.max_tasks(6).max_per_host(2);
    });
    for i in 0..3 {
        let peak = run.servers[i].peak_in_flight();
        assert_eq!(peak, 2, "host {i}: at most --max-per-host, and kept there");
        run.assert_fetched(i, &refs(&pages));
    }
    assert_eq!(run.report.stats.len(), 1 + 36, "every page once (the leaf roots are not linked)");
}

/// While one host is slow and held to one fetch at a time, the other host's URLs keep the
/// tasks busy: every fast page is requested before the slow host's second request.
pub fn other_hosts_go_on_while_one_waits(crawl: CrawlFn) {
    let fast = paths("f", 20);
    let fast_links = fast.clone();
    let run = Polite::new(
        crawl,
        vec![
            Box::new(move |_| site_linking(&fast_links, Vec::new(), Duration::ZERO)),
            Box::new(|before: &[ServerHandle]| {
                // The slow host's own pages come first in the root, so a model that parks a
                // worker on them would have no task left for the fast host's pages.
                let others = paths("f", 20)
                    .iter()
                    .map(|p| before[0].url().join(p).unwrap().to_string())
                    .collect();
                site_linking(&paths("s", 4), others, Duration::from_millis(300))
            }),
        ],
        |c| {
            c.max_tasks(4).max_per_host(1);
        },
    );
    run.assert_fetched(1, &refs(&fast));
    let slow = run.servers[0].starts();
    assert_eq!(slow.len(), 5, "the slow root and its four pages");
    let fast_last = run.servers[1].starts().iter().map(|s| s.at).max().expect("requests");
    assert!(
        fast_last < slow[2].at,
        "every fast page was requested before the slow host's second page"
    );
}

/// `--delay 0.1`: the starts of the requests to one host are at least 0.1 s apart (measured
/// by the server, with room for the network's own jitter), so the crawl takes at least that
/// long per request after the first; and retries count: a failing URL's tries are spaced too.
pub fn delay_spaces_the_starts(crawl: CrawlFn) {
    let delay = Duration::from_millis(100);
    let site = Site::new()
        .page("/", &["/a", "/b", "/fault", "/c"])
        .page("/a", &[])
        .page("/b", &[])
        .page("/c", &[])
        // Garbage, not a reset: a reset of a kept-alive connection is resent at once (the
        // keep-alive rule), garbage is a failed try, retried after the delay.
        .fault("/fault", Fault::Garbage);
    let run = Polite::new(crawl, vec![Box::new(move |_| site)], |c| {
        c.max_tasks(4).max_tries(2).delay(delay);
    });
    run.assert_fetched(0, &["/", "/a", "/b", "/c"]);
    assert!(run.report.get(&run.url(0, "/fault")).is_some_and(|s| s.exception.is_some()));
    let starts = run.servers[0].starts();
    assert_eq!(starts.len(), 6, "five URLs, one of them twice");
    assert_spaced(&starts, delay);
    assert!(run.report.elapsed >= delay * 5, "six starts, five delays: {:?}", run.report.elapsed);
}

/// A robots.txt with a group for our product token and one for `*`: ours applies. Disallowed
/// URLs are never requested and have no record, roots included, and are counted; links are
/// counted as without `--robots`; robots.txt is fetched once and has no record.
pub fn robots_disallowed_urls_are_never_fetched(crawl: CrawlFn) {
    let robots = "User-agent: *\nDisallow: /\n\n\
                  User-agent: crawler-models\nDisallow: /private\nAllow: /private/open\n";
    // A second root, disallowed: it names the site's port, known once the site is served.
    let robots_site = Site::new()
        .raw("/robots.txt", 200, Some("text/plain"), robots, &[])
        .page("/", &["/a", "/private/x", "/private/open/y", "/r"])
        .page("/a", &["/private/z"])
        .page("/private/open/y", &[])
        .page("/private/x", &[])
        .page("/private/z", &[])
        .page("/private/root", &[])
        .redirect("/r", "/private/x", 301);
    let server = robots_site.serve("127.0.0.1:0").expect("test site starts");
    let mut builder = config_for(&server);
    builder.root(server.url().join("/private/root").unwrap().as_str());
    builder.robots(true).max_tasks(3).timeout(Duration::from_secs(5));
    let report = crawl(&builder.build().expect("valid"));
    check_invariants(&report);
    let url = |p: &str| server.url().join(p).unwrap().to_string();
    let done: Vec<&str> = report.stats.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(done, [url("/"), url("/a"), url("/private/open/y"), url("/r")], "records");
    for path in ["/private/x", "/private/z", "/private/root"] {
        assert_eq!(server.requests(path), 0, "{path} is disallowed");
    }
    assert_eq!(server.requests("/robots.txt"), 1, "robots.txt once");
    assert_eq!(report.robots_disallowed, 3, "/private/x, /private/z and the root");
    let root = report.get(&url("/")).unwrap();
    assert_eq!((root.num_urls, root.num_new_urls), (4, 4), "links counted as without --robots");
    let redirect = report.get(&url("/r")).unwrap();
    assert_eq!(redirect.next_url.as_deref(), Some(url("/private/x").as_str()));
    assert!(report.text().contains(" robots_disallowed\n"), "the counter line");
}

/// robots.txt is fetched once per origin, before any other request to it: two sites (two
/// origins on one host), many pages each, several tasks.
pub fn robots_fetched_once_per_origin(crawl: CrawlFn) {
    let pages = paths("p", 15);
    let leaf_pages = pages.clone();
    let root_pages = pages.clone();
    let robots = "User-agent: *\nDisallow: /p1\n";
    let run = Polite::new(
        crawl,
        vec![
            Box::new(move |_| {
                site_linking(&leaf_pages, Vec::new(), Duration::ZERO).raw(
                    "/robots.txt",
                    200,
                    Some("text/plain"),
                    robots,
                    &[],
                )
            }),
            Box::new(move |before: &[ServerHandle]| {
                let others = paths("p", 15)
                    .into_iter()
                    .map(|p| before[0].url().join(&p).unwrap().to_string());
                site_linking(&root_pages, others.collect(), Duration::ZERO).raw(
                    "/robots.txt",
                    200,
                    Some("text/plain"),
                    robots,
                    &[],
                )
            }),
        ],
        |c| {
            c.robots(true).max_tasks(8);
        },
    );
    for server in &run.servers {
        assert_eq!(server.requests("/robots.txt"), 1);
        assert_eq!(server.starts()[0].path, "/robots.txt", "before any other request");
        // /p1 and /p10../p14 match "Disallow: /p1".
        assert_eq!(server.requests("/p1") + server.requests("/p12"), 0);
    }
    assert_eq!(run.report.robots_disallowed, 12, "six URLs on each origin");
    assert!(run.has(0, "/p2") && run.has(1, "/p9"));
}

/// How robots.txt's answer is read: 404 allows everything; 503 disallows everything (the root
/// included: an empty report); a reset on every try disallows everything, after
/// `--max-tries` requests.
pub fn robots_4xx_5xx_and_unreachable(crawl: CrawlFn) {
    let pages = |site: Site| site.page("/", &["/a"]).page("/a", &[]);
    for (robots, fetched, tries) in [
        (None, true, 1),
        (Some(Site::new().raw("/robots.txt", 503, Some("text/plain"), "down", &[])), false, 1),
        (Some(Site::new().fault("/robots.txt", Fault::Reset)), false, 2),
    ] {
        let site = pages(robots.unwrap_or_default());
        let run = Polite::new(crawl, vec![Box::new(move |_| site)], |c| {
            c.robots(true).max_tries(2);
        });
        let server = &run.servers[0];
        assert_eq!(server.requests("/robots.txt"), tries);
        if fetched {
            run.assert_fetched(0, &["/", "/a"]);
            assert_eq!(run.report.robots_disallowed, 0);
        } else {
            assert!(run.report.stats.is_empty(), "nothing fetched: {:?}", run.report.stats);
            assert_eq!(server.total_requests(), tries, "only robots.txt");
            assert_eq!(run.report.robots_disallowed, 1, "the root");
        }
    }
}

/// `Crawl-delay: 0.1` in our group raises `--delay 0` for its host: the starts after
/// robots.txt are spaced, robots.txt's own included.
pub fn robots_crawl_delay(crawl: CrawlFn) {
    let site = Site::new()
        .raw("/robots.txt", 200, Some("text/plain"), "User-agent: *\nCrawl-delay: 0.1\n", &[])
        .page("/", &["/a", "/b", "/c"])
        .page("/a", &[])
        .page("/b", &[])
        .page("/c", &[]);
    let t0 = Instant::now();
    let run = Polite::new(crawl, vec![Box::new(move |_| site)], |c| {
        c.robots(true).max_tasks(4);
    });
    run.assert_fetched(0, &["/", "/a", "/b", "/c"]);
    let starts = run.servers[0].starts();
    assert_eq!(starts.len(), 5);
    assert_spaced(&starts, Duration::from_millis(100));
    assert!(t0.elapsed() >= Duration::from_millis(400));
}

/// robots.txt's redirects are followed (here two, to another path), and its answer is the
/// final one's.
pub fn robots_redirects_are_followed(crawl: CrawlFn) {
    let site = Site::new()
        .redirect("/robots.txt", "/moved/robots.txt", 301)
        .redirect("/moved/robots.txt", "/real-robots.txt", 302)
        .raw("/real-robots.txt", 200, Some("text/plain"), "User-agent: *\nDisallow: /a\n", &[])
        .page("/", &["/a", "/b"])
        .page("/a", &[])
        .page("/b", &[]);
    let run = Polite::new(crawl, vec![Box::new(move |_| site)], |c| {
        c.robots(true);
    });
    let server = &run.servers[0];
    assert_eq!(server.requests("/real-robots.txt"), 1);
    assert_eq!(server.requests("/a"), 0);
    run.assert_fetched(0, &["/", "/b"]);
    assert!(!run.has(0, "/robots.txt") && !run.has(0, "/real-robots.txt"), "no records");
}

/// A generated site of 300 pages whose robots.txt disallows `/p/1` and every path under or
/// after it (`/p/10`, `/p/123`...) but `/p/1` itself: the report is the oracle's, which knows
/// what robots.txt allows, and no disallowed path is ever requested.
pub fn robots_on_a_generated_site(crawl: CrawlFn) {
    let robots = "User-agent: *\nDisallow: /p/1\nAllow: /p/1$\n";
    let site = SiteSpec { seed: 7, ..SiteSpec::with_pages(300) }.generate().raw(
        "/robots.txt",
        200,
        Some("text/plain"),
        robots,
        &[],
    );
    let run = Run::new(crawl, &site, |c| {
        c.robots(true).max_tasks(10);
    });
    run.assert_oracle(&site);
    let mut disallowed = 0;
    for path in (1..300).map(|i| format!("/p/{i}")) {
        if path.starts_with("/p/1") && path != "/p/1" {
            assert_eq!(run.server.requests(&path), 0, "{path} is disallowed");
            disallowed += usize::from(matches!(site.get(&path), Some(Resource::Page { .. })));
        }
    }
    assert!(disallowed > 100 && run.report.robots_disallowed > 0, "the rule bites");
    assert_eq!(run.server.requests("/robots.txt"), 1);
}
