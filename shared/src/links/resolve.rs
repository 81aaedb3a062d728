//! From hrefs to links: each href resolved against the base, fragments dropped, duplicates
//! dropped, as text.
//!
//! A link is kept as the text the `url` crate would serialize it to, not as a parsed [`Url`]:
//! most links of a page are already in the seen-set, and a crawl needs a `Url` only for a link
//! it will fetch. The common hrefs (`struct.Vec.html`, `../../std/index.html`, `/about`,
//! `https://github.com/rust-lang/rust/issues/1`, `?search=x`) are resolved by [`fast_join`],
//! plain string work that gives exactly `Url::join`'s text; every other href goes through
//! `Url::join`.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use url::{Position, Url};

use super::scanner::Found;

/// A link found on a page: an absolute http or https URL with a host and no fragment, exactly
/// as the `url` crate serializes it, so that two links are the same URL when their texts are
/// equal, and [`Link::to_url`] gives it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link(String);

impl Link {
    /// The link of a URL that is already parsed (its fragment dropped). `None` unless it is
    /// http or https with a host.
    pub fn of(url: &Url) -> Option<Link> {
        if !is_crawlable(url) {
            return None;
        }
        let text = &url[..Position::AfterQuery];
        Some(Link(text.to_owned()))
    }

    /// The URL's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `scheme://host[:port]`, everything before the path (a `/` in the user name or password
    /// would be percent-encoded, so the first `/` after `://` starts the path).
    pub fn origin(&self) -> &str {
        let authority = self.0.find("://").map_or(0, |at| at + 3);
        let path = self.0[authority..].find('/').map_or(self.0.len(), |at| authority + at);
        &self.0[..path]
    }

    /// The link as a `Url`, for the crawl to fetch it.
    pub fn to_url(&self) -> Url {
        // A `Link` is only ever made from a `Url`'s serialization, or by `fast_join`, whose
        // output the `url` crate parses back to the same text (the differential and property
        // tests hold it to that): it cannot fail to parse.
        Url::parse(&self.0).expect("a link is a serialized URL")
    }
}

impl AsRef<str> for Link {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A link is equal to a URL with the same text.
impl PartialEq<Url> for Link {
    fn eq(&self, url: &Url) -> bool {
        self.0 == url.as_str()
    }
}

impl From<Link> for String {
    fn from(link: Link) -> String {
        link.0
    }
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a URL can be crawled: http or https, with a host.
pub(super) fn is_crawlable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|host| !host.is_empty())
}

/// The base of a page, ready for [`fast_join`].
pub(super) struct Base {
    url: Url,
    /// Whether hrefs may be joined as text: an http or https base with a host.
    fast: bool,
    /// Where the path starts in the URL's text (after `scheme://host:port`).
    path_start: usize,
    /// Where the path ends (before `?query`).
    path_end: usize,
    /// Where the base's last path segment starts: the text before it is what a relative path
    /// is appended to.
    directory_end: usize,
}

impl Base {
    pub(super) fn new(url: Url) -> Base {
        let fast = is_crawlable(&url);
        let path_start = url[..Position::BeforePath].len();
        let path_end = url[..Position::AfterPath].len();
        // An http(s) path always starts with `/`.
        let directory_end = url.as_str()[path_start..path_end]
            .rfind('/')
            .map_or(path_start + 1, |slash| path_start + slash + 1);
        Base { url, fast, path_start, path_end, directory_end }
    }

    /// Resolves one href (not a fragment-only one): the link, or `None` if it is not http(s)
    /// or does not parse.
    pub(super) fn join(&self, href: &str) -> Option<Link> {
        if let Some(text) = self.fast_join(href) {
            return Some(Link(text));
        }
        let url = self.url.join(href).ok()?;
        Link::of(&url)
    }

    /// [`fast_join`] with the base's parts found once for the page.
    fn fast_join(&self, href: &str) -> Option<String> {
        if !self.fast {
            return None;
        }
        // The fragment is dropped; the query is kept as it is written.
        let (href, _fragment) = split_at(href, b'#');
        let (path, query) = split_at(href, b'?');
        if query.is_some_and(|query| !query.bytes().all(|b| QUERY_KEEPS[usize::from(b)])) {
            return None;
        }
        let base = self.url.as_str();
        // What the path is resolved onto: `out`, ending with a `/`, and where its path starts.
        let (mut out, path_start, rest) = if let Some(after) = strip_http_scheme(path) {
            // Absolute: `http(s)://host` and a path of its own.
            let (host, rest) = split_at(after, b'/');
            let rest = rest.unwrap_or("");
            if !is_plain_host(host) {
                return None;
            }
            let authority = path.len() - after.len() + host.len();
            let mut out = String::with_capacity(path.len() + 1);
            out.push_str(&path[..authority]);
            out.push('/');
            (out, authority, rest)
        } else if path.is_empty() {
            // `?query` alone: the base's path with this query.
            let query = query?;
            let mut out = String::with_capacity(self.path_end + 1 + query.len());
            out.push_str(&base[..self.path_end]);
            out.push('?');
            out.push_str(query);
            return Some(out);
        } else if let Some(absolute) = path.strip_prefix('/') {
            if absolute.starts_with('/') {
                // `//host/...`: another host.
                return None;
            }
            let mut out = String::with_capacity(self.path_start + href.len());
            out.push_str(&base[..=self.path_start]);
            (out, self.path_start, absolute)
        } else {
            let mut out = String::with_capacity(self.directory_end + href.len());
            out.push_str(&base[..self.directory_end]);
            (out, self.path_start, path)
        };
        if !rest.bytes().all(|b| KEEPS[usize::from(b)]) {
            return None;
        }
        // `out` ends with `/`: what it holds are the segments so far, each followed by a `/`.
        let root = path_start + 1;
        let mut from = 0;
        loop {
            let to = rest.as_bytes()[from..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(rest.len(), |p| from + p);
            let last = to == rest.len();
            match &rest[from..to] {
                "." => {}
                ".." => {
                    // Drop the last segment, unless the path is only the root.
                    if out.len() > root {
                        // `out[path_start]` is the path's first `/`, so there is one to find.
                        let before = out[..out.len() - 1].rfind('/').unwrap_or(path_start);
                        out.truncate(before + 1);
                    }
                }
                segment => {
                    out.push_str(segment);
                    if !last {
                        out.push('/');
                    }
                }
            }
            if last {
                break;
            }
            from = to + 1;
        }
        if let Some(query) = query {
            out.push('?');
            out.push_str(query);
        }
        Some(out)
    }
}

/// `text` before the first `separator`, and after it if there is one. (A byte loop: the
/// strings are short, too short for `str::split_once`'s search to pay for itself.)
fn split_at(text: &str, separator: u8) -> (&str, Option<&str>) {
    match text.bytes().position(|b| b == separator) {
        // `separator` is ASCII, so both sides are on character boundaries.
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    }
}

/// What follows `http://` or `https://` (lowercase, as written: anything else is parsed).
fn strip_http_scheme(href: &str) -> Option<&str> {
    href.strip_prefix("https://").or_else(|| href.strip_prefix("http://"))
}

/// A host the URL standard keeps exactly as written: dot-separated labels of lowercase letters,
/// digits and inner hyphens, none empty, none an IDNA `xn--` label, the last one starting with a
/// letter (so that the host is not an IPv4 address). A port, user info, an upper-case letter,
/// an IP address, a trailing dot or non-ASCII goes to the parser.
fn is_plain_host(host: &str) -> bool {
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
            && !label.starts_with("xn--")
    };
    host.split('.').all(label_ok)
        && host.rsplit('.').next().is_some_and(|last| last.as_bytes()[0].is_ascii_lowercase())
}

/// Resolves `href` against `base` as plain text, or `None` where that is not certain to give
/// `Url::join`'s text (then the caller parses). `base` must be http or https with a host. The
/// href's fragment (from the first `#`) is dropped. What comes before it takes the fast way when
/// it is:
/// - a path made only of bytes a path keeps as they are (letters, digits, and
///   `-._~!$&'()*+,;=@/`), not starting with `//` (another host); that leaves out `%` (`%2e` is
///   a dot segment), `:` (a scheme), `\` (a slash in http), spaces, control bytes and non-ASCII
///   (trimmed, removed or percent-encoded);
/// - or `http://` or `https://`, a host of lowercase labels that is not an IP address and needs
///   no IDNA processing (see `is_plain_host`), and such a path;
/// - either one followed by `?` and a query of printable ASCII but `"`, `#`, `<`, `>` and `'`
///   (which are percent-encoded); or such a query alone, which replaces the base's.
///
/// Then the URL standard's path rules apply: a relative path replaces the base's last segment,
/// `..` removes a segment (never past the root) and `.` none, and either one at the end leaves a
/// trailing `/`.
pub fn fast_join(base: &Url, href: &str) -> Option<String> {
    Base::new(base.clone()).fast_join(href)
}

/// The bytes a path of an http(s) URL keeps as they are, less those that can mean something
/// else in an href (see [`fast_join`]).
const KEEPS: [bool; 256] = {
    let mut keeps = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        keeps[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'/'
            );
        b += 1;
    }
    keeps
};

/// The bytes an http(s) URL's query keeps as they are: printable ASCII but `"`, `#`, `<`, `>`
/// and `'` (the URL standard's special-query percent-encode set). `%` is kept: a query's
/// percent-encodings are not normalized.
const QUERY_KEEPS: [bool; 256] = {
    let mut keeps = [false; 256];
    let mut b = 0x21;
    while b < 0x7F {
        keeps[b] = !matches!(b as u8, b'"' | b'#' | b'<' | b'>' | b'\'');
        b += 1;
    }
    keeps
};

/// Resolves the hrefs against the base, keeps http(s) URLs with a host, drops fragments and
/// duplicates. All at the end, because a `<base>` after a link still applies to it.
pub(super) fn resolve(page_url: &Url, found: Found) -> Vec<Link> {
    let base = found
        .base
        .and_then(|href| page_url.join(&href).ok())
        .filter(|base| !base.cannot_be_a_base())
        .unwrap_or_else(|| page_url.clone());
    // `#...` resolves to the base itself, once the fragment is dropped. It is one link however
    // many `#...` hrefs lead to it: taken out at the first one.
    let mut same_page = Link::of(&base);
    let base = Base::new(base);
    // The same href always resolves the same way: resolve each distinct one once.
    let mut hrefs = HashSet::with_capacity_and_hasher(found.hrefs.len(), FastHash::default());
    let mut links = Links::default();
    // Cannot fail: only ASCII and `decode_into`'s text went into it. (Were it to, the lossy
    // copy may move later hrefs' bounds, and `get` skips one that no longer fits.)
    let text = String::from_utf8(found.text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    for &(start, end) in &found.hrefs {
        let Some(href) = text.get(start..end) else { continue };
        if href.starts_with('#') {
            if let Some(link) = same_page.take() {
                links.push(link);
            }
            continue;
        }
        // The fragment is dropped from the link, so hrefs that differ only in theirs (the Rust
        // docs' `struct.Vec.html#method.push`, `struct.Vec.html#method.pop`, ...) are one link,
        // resolved once. (A URL's fragment starts at its first `#`, whatever comes before.)
        let (href, _fragment) = split_at(href, b'#');
        if !hrefs.insert(href) {
            continue;
        }
        if let Some(link) = base.join(href) {
            links.push(link);
        }
    }
    links.links
}

/// The distinct links in first-seen order, indexed by a hash of their text; links with the
/// same hash are chained through `next` (so neither a link nor a bucket costs an allocation).
#[derive(Default)]
struct Links {
    links: Vec<Link>,
    /// Hash of a link's text → index of the first link with that hash.
    by_hash: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
    /// For each link, the next link with the same hash (`usize::MAX`: none).
    next: Vec<usize>,
}

impl Links {
    fn push(&mut self, link: Link) {
        let mut hasher = FxHasher::default();
        hasher.write(link.as_str().as_bytes());
        let new = self.links.len();
        match self.by_hash.entry(hasher.finish()) {
            Entry::Vacant(entry) => {
                entry.insert(new);
            }
            Entry::Occupied(entry) => {
                let mut i = *entry.get();
                loop {
                    if self.links[i] == link {
                        return;
                    }
                    if self.next[i] == usize::MAX {
                        self.next[i] = new;
                        break;
                    }
                    i = self.next[i];
                }
            }
        }
        self.next.push(usize::MAX);
        self.links.push(link);
    }
}

/// A fast, non-cryptographic hash (FxHash's mixing) for the dedup sets: hrefs come from the
/// page, but a collision only costs time, and the sets live for one page.
type FastHash = BuildHasherDefault<FxHasher>;

#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            // `chunks_exact(8)` yields 8-byte slices: the conversion cannot fail.
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let mut last = [0; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        self.add(u64::from_le_bytes(last) ^ bytes.len() as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// For keys that are already hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
