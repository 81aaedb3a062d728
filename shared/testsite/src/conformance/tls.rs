//! https, as the contract has it: a TLS failure of any kind is a failed try with the text
//! `Tls: TLS handshake failed`; `http://` and `https://` URLs are two URLs, on hosts matched
//! without their scheme; a reconnect resumes the session of an earlier connection.
//! The rules: docs/contract.md, "https".

use std::time::Duration;

use super::{CrawlFn, Run, check_invariants};
use crate::tls::{Authority, TlsFault};
use crate::{ServerHandle, Site};
use shared::{Config, Report};

/// Crawls a site whose every handshake fails with `fault`, trusting the authority that served
/// it, with two tries: one record, the TLS failure, after two connections and no request.
fn assert_handshake_fails(crawl: CrawlFn, fault: TlsFault) {
    let authority = Authority::generate();
    let server = Site::new().page("/", &[]).tls_fault(&authority, fault).serve("127.0.0.1:0");
    let server = server.expect("test site starts");
    let report = crawl_trusting(crawl, &server, &authority, |config| {
        config.max_tries(2);
    });
    assert_eq!(report.stats.len(), 1, "{fault:?}: {report:?}");
    assert_eq!(report.stats[0].url, server.url().as_str());
    let exception = report.stats[0].exception.as_deref();
    assert_eq!(exception, Some("Tls: TLS handshake failed"), "{fault:?}");
    assert_eq!(server.connections(), 2, "{fault:?}: each try is one connection");
    assert_eq!(server.total_requests(), 0, "{fault:?}: no request is sent without TLS");
}

/// A certificate from an authority the crawler does not trust.
pub fn tls_untrusted_certificate(crawl: CrawlFn) {
    assert_handshake_fails(crawl, TlsFault::UntrustedCertificate);
}

/// A certificate from a trusted authority, for another name than the host's.
pub fn tls_wrong_name(crawl: CrawlFn) {
    assert_handshake_fails(crawl, TlsFault::WrongName);
}

/// A server that reads the ClientHello and closes the connection.
pub fn tls_handshake_cut(crawl: CrawlFn) {
    assert_handshake_fails(crawl, TlsFault::CutHandshake);
}

/// A server that answers the ClientHello with bytes that are not TLS.
pub fn tls_garbage_instead_of_server_hello(crawl: CrawlFn) {
    assert_handshake_fails(crawl, TlsFault::GarbageServerHello);
}

/// An https site and a plain one on 127.0.0.1: host matching ignores the scheme (and the
/// port), so links between them are followed, and the same path on each is two URLs.
pub fn http_and_https_are_two_urls(crawl: CrawlFn) {
    let authority = Authority::generate();
    let plain = Site::new().page("/same", &[]).plain().serve("127.0.0.1:0");
    let plain = plain.expect("test site starts");
    let plain_same = plain.url().join("/same").expect("valid path");
    let secure = Site::new()
        .page("/", &[plain_same.as_str(), "/same"])
        .page("/same", &[])
        .tls(&authority)
        .serve("127.0.0.1:0")
        .expect("test site starts");
    let report = crawl_trusting(crawl, &secure, &authority, |_| {});
    let urls: Vec<&str> = report.stats.iter().map(|s| s.url.as_str()).collect();
    let (secure_root, secure_same) = (secure.url(), secure.url().join("/same").expect("path"));
    let mut want = vec![plain_same.as_str(), secure_root.as_str(), secure_same.as_str()];
    want.sort();
    assert_eq!(urls, want);
    assert!(report.stats.iter().all(|s| s.status == Some(200)), "{report:?}");
    let root = report.get(secure.url().as_str()).expect("the root's record");
    assert_eq!((root.num_urls, root.num_new_urls), (2, 2));
    assert_eq!((plain.requests("/same"), secure.requests("/same")), (1, 1));
}

/// Every request on a new connection (the site closes each after its response): after the
/// first full handshake, the crawler resumes its TLS session, so most handshakes are short.
pub fn tls_sessions_are_resumed(crawl: CrawlFn) {
    let authority = Authority::generate();
    let links = ["/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8"];
    let mut site = Site::new().page("/", &links).without_keep_alive().tls(&authority);
    for link in links {
        site = site.page(link, &[]);
    }
    let run = Run::new(crawl, &site, |config| {
        config.trust(authority.ca_cert()).max_tasks(1);
    });
    assert_eq!(run.report.stats.len(), 9);
    assert!(run.report.stats.iter().all(|s| s.status == Some(200)));
    assert_eq!(run.server.connections(), 9, "one connection per request");
    // The first handshake is full; so may a second be, made before the first session's
    // ticket came. Every later one resumes.
    let resumed = run.server.resumed_handshakes();
    assert!(resumed >= 7, "{resumed} of 9 handshakes resumed a session");
}

/// Crawls `server` (https, served by `authority`) from its root, trusting `authority`.
fn crawl_trusting(
    crawl: CrawlFn,
    server: &ServerHandle,
    authority: &Authority,
    tweak: impl FnOnce(&mut shared::ConfigBuilder),
) -> Report {
    let mut builder = Config::builder([server.url().as_str()]);
    builder.trust(authority.ca_cert()).timeout(Duration::from_secs(5));
    tweak(&mut builder);
    let report = crawl(&builder.build().expect("a valid configuration"));
    check_invariants(&report);
    report
}
