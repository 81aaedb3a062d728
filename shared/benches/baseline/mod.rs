//! The link scanner as it was at commit 3bacc86, before the work of "half the CPU per real page":
//! kept whole so that `parse_links` can measure today's scanner against it in the same run.
//! Frozen: every file is copied here as it was, but the table of character references, which is
//! data. Nothing outside the bench uses it; it is not kept in step with the library, and a
//! change to the library cannot change it.

#![allow(dead_code, unused_imports)]

mod attributes;
mod charset;
mod emit;
mod entities;
#[path = "../../src/links/entities_table.rs"]
mod entities_table;
mod input;
mod markup;
mod scanner;
mod tags;
mod tree;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use encoding_rs::Encoding;
use url::Url;

use self::input::Input;
use self::scanner::Found;

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
    /// assert_eq!(scanner.finish(), [Url::parse("http://example.com/b/x")?]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn finish(self) -> Vec<Url> {
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
pub fn extract_bytes(page_url: &Url, body: &[u8], encoding: &'static Encoding) -> Vec<Url> {
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
/// assert_eq!(extract(&page, html), [Url::parse("https://example.com/yes")?]);
/// # Ok(())
/// # }
/// ```
pub fn extract(page_url: &Url, text: &str) -> Vec<Url> {
    let mut input = Input::for_text();
    input.feed(text.as_bytes());
    resolve(page_url, input.finish())
}

/// Resolves the hrefs against the base, keeps http(s) URLs with a host, drops fragments and
/// duplicates. All at the end, because a `<base>` after a link still applies to it.
fn resolve(page_url: &Url, found: Found) -> Vec<Url> {
    let base = found
        .base
        .and_then(|href| page_url.join(&href).ok())
        .filter(|base| !base.cannot_be_a_base())
        .unwrap_or_else(|| page_url.clone());
    // `#...` resolves to the base itself, once the fragment is dropped.
    let mut same_page = base.clone();
    same_page.set_fragment(None);
    let same_page = is_crawlable(&same_page).then_some(same_page);
    // The same href always resolves the same way: parse each distinct one once.
    let mut hrefs = HashSet::with_capacity_and_hasher(found.hrefs.len(), FastHash::default());
    let mut links = Links::default();
    for &(start, end) in &found.hrefs {
        let href = &found.text[start..end];
        if !hrefs.insert(href) {
            continue;
        }
        if href.starts_with('#') {
            if let Some(url) = &same_page {
                links.push(url.clone());
            }
            continue;
        }
        let Ok(mut url) = base.join(href) else { continue };
        if is_crawlable(&url) {
            url.set_fragment(None);
            links.push(url);
        }
    }
    links.urls
}

fn is_crawlable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|host| !host.is_empty())
}

/// The distinct links in first-seen order, indexed by a hash of their text; links with the
/// same hash are chained through `next` (so neither a link nor a bucket costs an allocation).
#[derive(Default)]
struct Links {
    urls: Vec<Url>,
    /// Hash of a link's text → index of the first link with that hash.
    by_hash: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
    /// For each link, the next link with the same hash (`usize::MAX`: none).
    next: Vec<usize>,
}

impl Links {
    fn push(&mut self, url: Url) {
        let mut hasher = FxHasher::default();
        hasher.write(url.as_str().as_bytes());
        let new = self.urls.len();
        match self.by_hash.entry(hasher.finish()) {
            Entry::Vacant(entry) => {
                entry.insert(new);
            }
            Entry::Occupied(entry) => {
                let mut i = *entry.get();
                loop {
                    if self.urls[i] == url {
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
        self.urls.push(url);
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
