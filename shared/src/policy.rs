//! Which URLs a crawl may fetch: the root domains, strict or lenient host matching, `--exclude`,
//! and the normal form of a URL (no fragment).

use std::collections::HashSet;

use regex::Regex;
use url::{Host, Url};

use crate::Config;
use crate::links::Link;

/// The host and exclusion rules of one crawl, built from its roots.
///
/// *Strict* (the default) allows a host that is a root's host, or differs from one only by a
/// leading `www.`. *Lenient* allows any host whose last two labels are a root's last two labels.
/// An IP address is allowed only if it is literally a root's host. The port never matters.
#[derive(Debug, Clone)]
pub struct Policy {
    root_domains: HashSet<String>,
    lenient: bool,
    exclude: Option<Regex>,
}

impl Policy {
    /// The policy of a crawl: root domains from `config.roots()`, `--lenient`, `--exclude`.
    pub fn new(config: &Config) -> Policy {
        let lenient = config.lenient();
        let root_domains = config
            .roots()
            .iter()
            .filter_map(|root| match root.host()? {
                Host::Domain(d) if lenient => Some(last_two_labels(d).to_string()),
                Host::Domain(d) => Some(d.to_ascii_lowercase()),
                ip => Some(ip.to_string()),
            })
            .collect();
        Policy { root_domains, lenient, exclude: config.exclude().cloned() }
    }

    /// Whether a link to `url` may be crawled: http or https, an allowed host, not excluded.
    ///
    /// # Examples
    /// ```
    /// let config = shared::Config::new(["http://example.com/"]).unwrap();
    /// let policy = shared::Policy::new(&config);
    /// assert!(policy.allowed(&"http://www.example.com/x".parse().unwrap()));
    /// assert!(!policy.allowed(&"http://foo.example.com/x".parse().unwrap()));
    /// assert!(!policy.allowed(&"mailto:me@example.com".parse().unwrap()));
    /// ```
    pub fn allowed(&self, url: &Url) -> bool {
        !self.excluded(url.as_str()) && self.host_allowed(url)
    }

    /// Keeps the links the crawl may follow, in order: [`Policy::allowed`] for each, with the
    /// host checked once for each run of links from one origin (most of a page's links share
    /// the page's), so that a link is parsed only if its origin is new.
    pub fn keep_allowed(&self, links: &mut Vec<Link>) {
        let mut last: Option<(String, bool)> = None;
        links.retain(|link| {
            if self.excluded(link.as_str()) {
                return false;
            }
            let origin = link.origin();
            match &last {
                Some((known, allowed)) if known == origin => *allowed,
                _ => {
                    let allowed = self.host_allowed(&link.to_url());
                    last = Some((origin.to_owned(), allowed));
                    allowed
                }
            }
        });
    }

    /// Whether `--exclude` matches the URL's text.
    fn excluded(&self, url: &str) -> bool {
        self.exclude.as_ref().is_some_and(|re| re.is_match(url))
    }

    /// Whether the URL is http or https, on one of the crawl's hosts.
    fn host_allowed(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https") && url.host().is_some_and(|h| self.host_okay(&h))
    }

    /// Whether `host` is one of the crawl's hosts (see the type's docs for the rules).
    pub fn host_okay(&self, host: &Host<&str>) -> bool {
        let domain = match host {
            Host::Domain(d) => d.to_ascii_lowercase(),
            ip => return self.root_domains.contains(&ip.to_string()),
        };
        if self.root_domains.contains(&domain) {
            return true;
        }
        if self.lenient {
            self.root_domains.contains(last_two_labels(&domain))
        } else {
            let twin = match domain.strip_prefix("www.") {
                Some(bare) => bare.to_string(),
                None => format!("www.{domain}"),
            };
            self.root_domains.contains(&twin)
        }
    }
}

/// `a.b.example.com` -> `example.com`; a host of one or two labels is its own.
fn last_two_labels(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    match host.rmatch_indices('.').nth(1) {
        Some((i, _)) => &host[i + 1..],
        None => host,
    }
}

/// The normal form of a link: the `url` crate's serialization without the fragment.
pub fn normalize(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(roots: &[&str], lenient: bool, exclude: Option<&str>) -> Policy {
        let mut config = Config::builder(roots);
        if let Some(p) = exclude {
            config.exclude(p);
        }
        Policy::new(&config.lenient(lenient).build().unwrap())
    }

    fn ok(p: &Policy, url: &str) -> bool {
        p.allowed(&Url::parse(url).unwrap())
    }

    /// The chapter's test_lenient_host_checking: www. and any subdomain pass when lenient.
    #[test]
    fn lenient_host_checking() {
        let p = policy(&["http://example.com"], true, None);
        assert!(ok(&p, "http://www.example.com"));
        assert!(ok(&p, "http://foo.example.com"));
        assert!(ok(&p, "http://a.b.example.com/x"));
        assert!(!ok(&p, "http://example.org"));
        assert!(!ok(&p, "http://notexample.com"));
    }

    /// The chapter's test_strict_host_checking: only a leading www. differs when strict.
    #[test]
    fn strict_host_checking() {
        let p = policy(&["http://example.com"], false, None);
        assert!(ok(&p, "http://www.example.com"));
        assert!(ok(&p, "http://EXAMPLE.com/"));
        assert!(!ok(&p, "http://foo.example.com"));
        let p = policy(&["http://www.example.com"], false, None);
        assert!(ok(&p, "http://example.com/"));
        assert!(ok(&p, "http://www.www.example.com/"), "differs by one leading www.");
        assert!(!ok(&p, "http://wwwexample.com/"));
    }

    /// The chapter's test_exclude: the pattern is searched anywhere in the URL.
    #[test]
    fn exclude() {
        let p = policy(&["http://example.com"], false, Some(r".*pattern"));
        assert!(ok(&p, "http://example.com"));
        assert!(!ok(&p, "http://example.com/pattern"));
        let p = policy(&["http://example.com"], false, Some(r"\?sort="));
        assert!(!ok(&p, "http://example.com/list?sort=asc"));
        assert!(ok(&p, "http://example.com/list?page=2"));
    }

    /// The chapter's test_roots: every root's host is allowed, no other.
    #[test]
    fn roots() {
        let p = policy(&["http://a", "http://b"], false, None);
        assert!(ok(&p, "http://a/a"));
        assert!(ok(&p, "http://b/b"));
        assert!(!ok(&p, "http://c/c"));
        assert!(!ok(&p, "http://127.0.0.1"));
    }

    /// The chapter's test_deep_root: a root deep in a site makes its whole host a root domain.
    #[test]
    fn deep_root() {
        let p = policy(&["http://a/a#fragment"], false, None);
        assert!(ok(&p, "http://a/b"));
    }

    /// An IP host matches only literally, in both modes; the port never matters.
    #[test]
    fn ip_hosts_match_literally() {
        for lenient in [false, true] {
            let p = policy(&["http://127.0.0.1:8001/"], lenient, None);
            assert!(ok(&p, "http://127.0.0.1:8002/x"));
            assert!(ok(&p, "https://127.0.0.1/"));
            assert!(!ok(&p, "http://127.0.0.2/"));
            assert!(!ok(&p, "http://127.0.0.1.nip.io/"));
            assert!(!ok(&p, "http://localhost:8001/"));
        }
        let p = policy(&["http://[::1]:8000/"], false, None);
        assert!(ok(&p, "http://[::1]/"));
        assert!(!ok(&p, "http://127.0.0.1/"));
    }

    /// Only http and https links are crawled.
    #[test]
    fn schemes() {
        let p = policy(&["http://example.com"], false, None);
        assert!(ok(&p, "https://example.com/"));
        for url in ["ftp://example.com/", "mailto:x@example.com", "javascript:alert(1)", "data:,x"]
        {
            assert!(!ok(&p, url), "{url}");
        }
    }

    /// Lenient matching of a two-label root and of subdomain roots.
    #[test]
    fn last_two_labels_of_hosts() {
        assert_eq!(last_two_labels("a.b.example.com"), "example.com");
        assert_eq!(last_two_labels("example.com"), "example.com");
        assert_eq!(last_two_labels("localhost"), "localhost");
        let p = policy(&["http://docs.python.org"], true, None);
        assert!(ok(&p, "http://www.python.org/"));
    }

    /// normalize drops the fragment and nothing else.
    #[test]
    fn normalize_drops_fragment() {
        let u = normalize(Url::parse("HTTP://Example.com:80/a/../b?q=1#top").unwrap());
        assert_eq!(u.as_str(), "http://example.com/b?q=1");
    }
}
