//! [`RobotsTxt`]: a robots.txt file as RFC 9309 reads it, for the product token
//! [`PRODUCT_TOKEN`]: the groups that apply to us, the longest match, `*` and `$`, and
//! `Crawl-delay`. Pure: bytes in, answers out; fetching it is the host schedule's business.
//!
//! Written here, not taken from a crate: `robotstxt` (a port of Google's parser) has no
//! `Crawl-delay`, as Google ignores it; `texting_robots` 0.2.2 turns every pattern into a regex
//! and brings anyhow, bstr 0.2, lazy_static, nom 7 and thiserror 1 for what is 200 lines here,
//! tested below against RFC 9309's own examples and its percent-encoding table.

use std::time::Duration;

use url::{Position, Url};

/// The product token this crawler's groups are matched against (RFC 9309, section 2.2.1).
pub const PRODUCT_TOKEN: &str = "crawler-models";

/// How much of a robots.txt file is read: RFC 9309 asks for at least 500 KiB.
pub const PARSE_LIMIT: usize = 500 * 1024;

/// The rules of one origin's robots.txt that apply to [`PRODUCT_TOKEN`].
///
/// # Examples
/// ```
/// use shared::robots::RobotsTxt;
/// let robots = RobotsTxt::parse(b"User-agent: *\nDisallow: /private\nAllow: /private/open\n");
/// let allowed = |path| robots.allowed(&url::Url::parse(&format!("http://h{path}")).unwrap());
/// assert!(allowed("/"));
/// assert!(!allowed("/private/x"));
/// assert!(allowed("/private/open/y")); // the longer rule wins
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsTxt {
    /// The rules of the groups that apply, patterns normalised (see [`normalise`]).
    rules: Vec<Rule>,
    /// `Crawl-delay` of the groups that apply: the first valid one.
    crawl_delay: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: Vec<u8>,
}

impl RobotsTxt {
    /// No rules: everything is allowed (a robots.txt answered with a 4xx, or none at all).
    pub fn allow_all() -> RobotsTxt {
        RobotsTxt { rules: Vec::new(), crawl_delay: None }
    }

    /// Everything is disallowed but robots.txt itself (a 5xx, or unreachable after every try).
    pub fn disallow_all() -> RobotsTxt {
        RobotsTxt { rules: vec![Rule { allow: false, pattern: b"/".to_vec() }], crawl_delay: None }
    }

    /// Parses a robots.txt body (its first [`PARSE_LIMIT`] bytes) and keeps the groups that
    /// apply to [`PRODUCT_TOKEN`]: every group naming it, merged, else every `*` group, merged.
    /// Lines it cannot read are skipped, as the RFC asks.
    pub fn parse(body: &[u8]) -> RobotsTxt {
        let body = &body[..body.len().min(PARSE_LIMIT)];
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let (mut ours, mut star) = (Group::default(), Group::default());
        // The group being read: which agents it names, and whether its rules have begun (a
        // user-agent line after a rule starts a new group).
        let (mut names_us, mut names_star, mut in_rules) = (false, false, false);
        for line in body.split(|&b| b == b'\n' || b == b'\r') {
            let line = match memchr::memchr(b'#', line) {
                Some(hash) => &line[..hash],
                None => line,
            };
            let Some(colon) = memchr::memchr(b':', line) else {
                continue;
            };
            let key = line[..colon].trim_ascii();
            let value = line[colon + 1..].trim_ascii();
            if key.eq_ignore_ascii_case(b"user-agent") {
                if in_rules {
                    (names_us, names_star, in_rules) = (false, false, false);
                }
                match agent(value) {
                    Agent::Us => (names_us, ours.named) = (true, true),
                    Agent::Star => names_star = true,
                    Agent::Other => {}
                }
                continue;
            }
            let allow = if key.eq_ignore_ascii_case(b"allow") {
                Some(true)
            } else if key.eq_ignore_ascii_case(b"disallow") {
                Some(false)
            } else {
                None
            };
            let delay = key.eq_ignore_ascii_case(b"crawl-delay");
            if allow.is_none() && !delay {
                continue; // sitemap, and records we do not know: not part of a group
            }
            in_rules = true;
            for (group, applies) in [(&mut ours, names_us), (&mut star, names_star)] {
                if !applies {
                    continue;
                }
                match allow {
                    // An empty pattern matches nothing ("Disallow:" allows everything).
                    Some(allow) if !value.is_empty() => {
                        group.rules.push(Rule { allow, pattern: normalise(value) })
                    }
                    Some(_) => {}
                    None => group.crawl_delay = group.crawl_delay.or_else(|| seconds(value)),
                }
            }
        }
        // A group naming us applies even with no rules (then it allows everything).
        let group = if ours.named { ours } else { star };
        RobotsTxt { rules: group.rules, crawl_delay: group.crawl_delay }
    }

    /// Whether `url` may be fetched: the longest matching pattern decides, an allow winning a
    /// tie; no match allows; `/robots.txt` is always allowed.
    pub fn allowed(&self, url: &Url) -> bool {
        if self.rules.is_empty() || url.path() == "/robots.txt" {
            return true;
        }
        let path = normalise(url[Position::BeforePath..Position::AfterQuery].as_bytes());
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !matches(&path, &rule.pattern) {
                continue;
            }
            let candidate = (rule.pattern.len(), rule.allow);
            // Longer wins; at equal length, allow (true) wins over disallow (false).
            if best.is_none_or(|best| candidate > best) {
                best = Some(candidate);
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// The `Crawl-delay` of the groups that apply, if they give a valid one.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}

/// The rules and delay gathered for one kind of agent.
#[derive(Debug, Default)]
struct Group {
    /// Whether some group names this agent (even one with no rules).
    named: bool,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agent {
    Us,
    Star,
    Other,
}

/// Which agent a `User-agent` value names: its leading product token (letters, `_` and `-`),
/// compared without case, or `*`.
fn agent(value: &[u8]) -> Agent {
    if value.first() == Some(&b'*') {
        return Agent::Star;
    }
    let end = value
        .iter()
        .position(|&b| !(b.is_ascii_alphabetic() || b == b'_' || b == b'-'))
        .unwrap_or(value.len());
    if value[..end].eq_ignore_ascii_case(PRODUCT_TOKEN.as_bytes()) {
        Agent::Us
    } else {
        Agent::Other
    }
}

/// A `Crawl-delay` value in seconds (a decimal), if it is a sane one.
fn seconds(value: &[u8]) -> Option<Duration> {
    let secs: f64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    (secs.is_finite() && (0.0..1e6).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// RFC 9309 section 2.2.2: both a pattern and a path are compared percent-encoded, with the
/// escapes of unreserved characters decoded and every other escape in upper case; octets
/// outside ASCII (and controls and spaces) are encoded. `*` and `$` are left as they are.
pub fn normalise(raw: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%'
            && let (Some(hi), Some(lo)) = (hex(raw.get(i + 1)), hex(raw.get(i + 2)))
        {
            let decoded = hi * 16 + lo;
            if decoded.is_ascii_alphanumeric() || b"-._~".contains(&decoded) {
                out.push(decoded);
            } else {
                out.extend([b'%', HEX[hi as usize], HEX[lo as usize]]);
            }
            i += 3;
            continue;
        }
        if b >= 0x80 || b <= b' ' || b == 0x7f {
            out.extend([b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Whether `pattern` matches a prefix of `path`: `*` matches any run of octets, and a `$` that
/// ends the pattern anchors it at the end of the path. The set of positions in `path` the
/// pattern so far can end at is kept, so no backtracking is needed.
fn matches(path: &[u8], pattern: &[u8]) -> bool {
    let mut ends = vec![0usize];
    for (i, &p) in pattern.iter().enumerate() {
        if p == b'$' && i + 1 == pattern.len() {
            return ends.contains(&path.len());
        }
        if p == b'*' {
            let from = ends[0];
            ends = (from..=path.len()).collect();
            continue;
        }
        ends.retain_mut(|end| {
            let hit = path.get(*end) == Some(&p);
            *end += 1;
            hit
        });
        if ends.is_empty() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(robots: &RobotsTxt, path: &str) -> bool {
        robots.allowed(&Url::parse(&format!("http://example.com{path}")).unwrap())
    }

    /// RFC 9309, section 5.1's example file: the groups of other crawlers do not apply to us,
    /// so the `*` group does.
    #[test]
    fn rfc_example_file() {
        let robots = RobotsTxt::parse(
            b"User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n\
              User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n\
              User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n\
              User-Agent: quxbot\n\nEOF",
        );
        assert!(!allowed(&robots, "/example/page.html"));
        assert!(!allowed(&robots, "/a/b.gif"));
        assert!(allowed(&robots, "/a/b.gif?x"), "$ anchors at the end, query included");
        assert!(allowed(&robots, "/publications/"));
        assert!(allowed(&robots, "/"));
    }

    /// A group naming our product token wins over `*`, whatever the case and version suffix;
    /// two groups naming us are merged.
    #[test]
    fn our_group_is_chosen_and_merged() {
        let robots = RobotsTxt::parse(
            b"user-agent: *\ndisallow: /\n\nUser-agent: Crawler-Models/1.0\nDisallow: /a\n\n\
              User-agent: other\nDisallow: /b\n\nUSER-AGENT: crawler-models\nDisallow: /c\n",
        );
        assert!(allowed(&robots, "/"));
        assert!(!allowed(&robots, "/a") && allowed(&robots, "/b") && !allowed(&robots, "/c"));
        let named_empty = RobotsTxt::parse(
            b"User-agent: *\nDisallow: /\nUser-agent: x\n\nUser-agent: crawler-models\n",
        );
        assert!(allowed(&named_empty, "/anything"), "a group naming us with no rules allows all");
    }

    /// Consecutive user-agent lines share one group; a user-agent line after a rule starts a
    /// new one.
    #[test]
    fn groups_start_at_user_agent_lines_after_rules() {
        let robots = RobotsTxt::parse(
            b"User-agent: a\nUser-agent: crawler-models\nDisallow: /x\nUser-agent: b\nDisallow: /y\n",
        );
        assert!(!allowed(&robots, "/x"));
        assert!(allowed(&robots, "/y"));
    }

    /// RFC 9309 section 2.2.2: the longest match wins; an allow wins a tie.
    #[test]
    fn longest_match_and_ties() {
        let robots = RobotsTxt::parse(
            b"User-agent: *\nAllow: /folder\nDisallow: /folder/\nDisallow: /page\nAllow: /page\n\
              Disallow: /*.php$\nAllow: /*/ok.php$\n",
        );
        assert!(allowed(&robots, "/folder"));
        assert!(!allowed(&robots, "/folder/x"));
        assert!(allowed(&robots, "/page"), "equal length: allow wins");
        assert!(!allowed(&robots, "/a.php"));
        assert!(allowed(&robots, "/a.php5"), "$ anchors");
        assert!(allowed(&robots, "/b/ok.php"), "the longer pattern");
    }

    /// `*` matches any run of octets, empty included; `$` only at a pattern's end anchors.
    #[test]
    fn wildcards() {
        for (pattern, path, hit) in [
            ("/*", "/", true),
            ("/a*b", "/ab", true),
            ("/a*b", "/axxbyy", true),
            ("/a*b$", "/axxbyy", false),
            ("/a*b$", "/axxbyyb", true),
            ("*", "/anything", true),
            ("/$", "/", true),
            ("/$", "/a", false),
            ("/fish*", "/Fish.asp", false),
            ("/fish", "/fish.html", true),
            ("/*.php", "/filename.php", true),
            ("/*.php", "/folder/filename.php?parameters", true),
            ("/*.php", "/windows.PHP", false),
        ] {
            assert_eq!(
                matches(path.as_bytes(), &normalise(pattern.as_bytes())),
                hit,
                "{pattern} {path}"
            );
        }
    }

    /// RFC 9309 section 2.2.2's table: escapes of unreserved characters are decoded, other
    /// escapes and raw non-ASCII compare percent-encoded in upper case.
    #[test]
    fn percent_encoding_is_normalised() {
        assert_eq!(normalise("/foo/bar/ツ".as_bytes()), b"/foo/bar/%E3%83%84");
        assert_eq!(normalise(b"/foo/bar/%e3%83%84"), b"/foo/bar/%E3%83%84");
        assert_eq!(normalise(b"/foo/bar/%62%61%7A"), b"/foo/bar/baz");
        assert_eq!(normalise(b"/a%2Fb%3a"), b"/a%2Fb%3A", "reserved stays encoded");
        assert_eq!(normalise(b"/100%"), b"/100%", "a lone % is kept");
        let robots =
            RobotsTxt::parse("User-agent: *\nDisallow: /foo/bar/ツ\nDisallow: /%62az\n".as_bytes());
        assert!(!allowed(&robots, "/foo/bar/%E3%83%84"));
        assert!(!allowed(&robots, "/foo/bar/ツ/x"));
        assert!(!allowed(&robots, "/baz"));
        assert!(!allowed(&robots, "/%62az"));
    }

    /// Comments, blank lines, CR line ends, a BOM, odd spacing and unknown records are read as
    /// the RFC says; an empty Disallow allows everything; /robots.txt is always allowed.
    #[test]
    fn syntax() {
        let robots = RobotsTxt::parse(
            b"\xEF\xBB\xBFUser-agent: * # everyone\r\nSitemap: http://h/s.xml\r\n  Disallow :  /x  # no\r\nDisallow:\r\nnonsense\r\nDisallow: /robots.txt\r\n",
        );
        assert!(!allowed(&robots, "/x"));
        assert!(allowed(&robots, "/y"));
        assert!(allowed(&robots, "/robots.txt"));
        assert!(allowed(&RobotsTxt::parse(b"User-agent: *\nDisallow:\n"), "/x"));
        assert!(allowed(&RobotsTxt::parse(b"Disallow: /\n"), "/x"), "a rule outside a group");
        assert!(allowed(&RobotsTxt::parse(b""), "/x"));
        assert!(allowed(&RobotsTxt::parse(b"User-agent: other\nDisallow: /\n"), "/x"));
    }

    /// `Crawl-delay` of the group that applies: a decimal number of seconds; nonsense ignored.
    #[test]
    fn crawl_delay() {
        let robots = RobotsTxt::parse(
            b"User-agent: *\nCrawl-delay: 9\nUser-agent: crawler-models\nCrawl-delay: 0.25\nDisallow: /x\n",
        );
        assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(250)));
        assert!(!allowed(&robots, "/x"));
        let bad = RobotsTxt::parse(b"User-agent: *\nCrawl-delay: soon\nCrawl-delay: -1\n");
        assert_eq!(bad.crawl_delay(), None);
    }

    /// The two fixed answers: 4xx allows everything, 5xx disallows everything but robots.txt.
    #[test]
    fn fixed_answers() {
        assert!(allowed(&RobotsTxt::allow_all(), "/x"));
        assert!(!allowed(&RobotsTxt::disallow_all(), "/"));
        assert!(!allowed(&RobotsTxt::disallow_all(), "/x?y"));
        assert!(allowed(&RobotsTxt::disallow_all(), "/robots.txt"));
    }

    /// Only the first 500 KiB count: a rule past them is not read.
    #[test]
    fn parse_limit() {
        let mut body = b"User-agent: *\nDisallow: /a\n".to_vec();
        body.extend(std::iter::repeat_n(b'#', PARSE_LIMIT));
        body.extend(b"\nDisallow: /b\n");
        let robots = RobotsTxt::parse(&body);
        assert!(!allowed(&robots, "/a"));
        assert!(allowed(&robots, "/b"));
    }
}
