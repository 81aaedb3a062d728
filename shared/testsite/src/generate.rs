//! Generated sites: a seeded graph of pages with redirects, 404s, non-HTML resources, other
//! charsets, a deep chain and cycles. The same spec always gives the same site, byte for byte.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::{Latency, Site};

/// What to generate. Fractions are per page, in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSpec {
    /// HTML pages, `/` included; page `i > 0` lives at `/p/{i}`.
    pub pages: usize,
    /// Fewest links on a page (a page's tree children come on top of these when more).
    pub links_min: usize,
    /// Most links on a page (not counting the extras below).
    pub links_max: usize,
    /// The seed: the same seed, the same site.
    pub seed: u64,
    /// Pages are padded with text up to about this many bytes.
    pub page_size: usize,
    /// Latency of each request.
    pub latency: Latency,
    /// Fraction of pages that also link to a missing page (a 404).
    pub not_found: f64,
    /// Fraction of pages reached through one redirect (`/r/{i}`, a 301).
    pub redirects: f64,
    /// Fraction of pages reached through a chain of three redirects (`/rc/{i}/0..3`).
    pub redirect_chains: f64,
    /// Fraction of pages that also link to an image (`/img/{i}.png`).
    pub non_html: f64,
    /// Fraction of pages encoded in a legacy charset (windows-1252 declared in the header, or
    /// Shift_JIS declared only in a `<meta>`).
    pub non_utf8: f64,
    /// Length of a chain of pages `/deep/0 -> /deep/1 -> ...` linked from the root, whose last
    /// page links back to the root (a cycle).
    pub deep_chain: usize,
    /// The origins the site is served on (`http://127.0.0.1:PORT`), when more than one: page
    /// `i` lives on origin `i % hosts.len()`, and every link to it names that origin (the root
    /// lives on the first). Empty: one origin, relative links. Every origin serves every path;
    /// a crawl only ever asks each page of its own. Several ports are several hosts to
    /// politeness, and one host to the host policy.
    pub hosts: Vec<String>,
}

impl Default for SiteSpec {
    fn default() -> Self {
        SiteSpec {
            pages: 100,
            links_min: 2,
            links_max: 8,
            seed: 1,
            page_size: 2048,
            latency: Latency::ZERO,
            not_found: 0.05,
            redirects: 0.05,
            redirect_chains: 0.02,
            non_html: 0.05,
            non_utf8: 0.05,
            deep_chain: 20,
            hosts: Vec::new(),
        }
    }
}

impl SiteSpec {
    /// A spec of `pages` pages with the default mix.
    pub fn with_pages(pages: usize) -> SiteSpec {
        SiteSpec { pages: pages.max(1), ..SiteSpec::default() }
    }

    /// Generates the site.
    ///
    /// # Examples
    /// ```
    /// use testsite::{Resource, SiteSpec};
    /// let site = SiteSpec::with_pages(50).generate();
    /// assert!(matches!(site.get("/"), Some(Resource::Page { status: 200, .. })));
    /// assert!(matches!(site.get("/p/49"), Some(Resource::Page { .. })));
    /// assert!(site.get("/p/50").is_none());
    /// ```
    pub fn generate(&self) -> Site {
        let mut rng = Rng(self.seed ^ 0x9E37_79B9_7F4A_7C15);
        let n = self.pages.max(1);
        // How each page is reached: directly, or through a redirect or a chain of them.
        let base = |i: usize| match self.hosts.len() {
            0 => "",
            hosts => self.hosts[i % hosts].as_str(),
        };
        let mut entry: Vec<String> =
            (0..n).map(|i| format!("{}{}", base(i), page_path(i))).collect();
        let mut site = Site::new().with_latency(self.latency);
        site.seed = self.seed;
        site.origins = self.hosts.iter().filter_map(|h| url::Url::parse(h).ok()).collect();
        for (i, href) in entry.iter_mut().enumerate().skip(1) {
            if rng.chance(self.redirect_chains) {
                for step in 0..3 {
                    let next =
                        if step == 2 { page_path(i) } else { format!("/rc/{i}/{}", step + 1) };
                    let status = [302, 307, 308][step];
                    site = site.redirect(&format!("/rc/{i}/{step}"), &next, status);
                }
                *href = format!("{}/rc/{i}/0", base(i));
            } else if rng.chance(self.redirects) {
                site = site.redirect(&format!("/r/{i}"), &page_path(i), 301);
                *href = format!("{}/r/{i}", base(i));
            }
        }
        // A random recursive tree makes every page reachable; extra random links make cycles.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 1..n {
            children[rng.below(i)].push(i);
        }
        for (i, kids) in children.iter().enumerate() {
            let want =
                self.links_min + rng.below(self.links_max.saturating_sub(self.links_min) + 1);
            let mut links: Vec<String> = kids.iter().map(|&k| entry[k].clone()).collect();
            while links.len() < want {
                let k = rng.below(n);
                // Now and then the same target twice, once with a fragment: one URL after all.
                let href = if rng.chance(0.1) {
                    format!("{}#s{}", entry[k], rng.below(9))
                } else {
                    entry[k].clone()
                };
                links.push(href);
            }
            if i == 0 && self.deep_chain > 0 {
                links.push("/deep/0".into());
            }
            if rng.chance(self.not_found) {
                links.push(format!("/missing/{i}"));
            }
            if rng.chance(self.non_html) {
                let img = format!("/img/{i}.png");
                site = site.raw(&img, 200, Some("image/png"), png_bytes(&mut rng), &[]);
                links.push(img);
            }
            let refs: Vec<&str> = links.iter().map(String::as_str).collect();
            let path = page_path(i);
            site = if rng.chance(self.non_utf8) {
                legacy_page(site, &path, &refs, self.page_size, rng.chance(0.5))
            } else {
                let body = html_page(&path, &refs, "", self.page_size);
                site.raw(&path, 200, Some("text/html; charset=utf-8"), body, &refs)
            };
        }
        for d in 0..self.deep_chain {
            let next =
                if d + 1 == self.deep_chain { "/".to_string() } else { format!("/deep/{}", d + 1) };
            site = site.page(&format!("/deep/{d}"), &[&next]);
        }
        site
    }
}

/// The path of page `i`.
fn page_path(i: usize) -> String {
    if i == 0 { "/".into() } else { format!("/p/{i}") }
}

/// An HTML page titled after `path`, linking to `links`, with `extra` text in the body, padded
/// to about `size` bytes.
pub(crate) fn html_page(path: &str, links: &[&str], extra: &str, size: usize) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><title>{path}</title></head>\n<body><h1>{path}</h1>{extra}\n<ul>\n"
    );
    for href in links {
        let _ = writeln!(html, "<li><a href=\"{href}\">{href}</a></li>");
    }
    html.push_str("</ul>\n<p>");
    const FILLER: &str = "All work and no play makes a crawler a dull crawler. ";
    while html.len() + FILLER.len() + 20 < size {
        html.push_str(FILLER);
    }
    html.push_str("</p></body></html>\n");
    html
}

/// A page in windows-1252 (charset in the header) or Shift_JIS (charset only in a `<meta>`).
fn legacy_page(site: Site, path: &str, links: &[&str], size: usize, japanese: bool) -> Site {
    let (encoding, header, text) = if japanese {
        (
            encoding_rs::SHIFT_JIS,
            "text/html",
            "<meta charset=\"shift_jis\"><p>テストページ、クローラー</p>",
        )
    } else {
        (
            encoding_rs::WINDOWS_1252,
            "text/html; charset=windows-1252",
            "<p>Café, naïve façade, déjà vu</p>",
        )
    };
    let html = html_page(path, links, "", size).replacen("<body>", &format!("<body>{text}"), 1);
    let (bytes, _, unmappable) = encoding.encode(&html);
    debug_assert!(!unmappable);
    site.raw(path, 200, Some(header), Bytes::from(bytes.into_owned()), links)
}

/// A few hundred bytes that start like a PNG.
fn png_bytes(rng: &mut Rng) -> Bytes {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..200 + rng.below(300)).map(|_| rng.next() as u8));
    Bytes::from(bytes)
}

/// A seeded hash of bytes (FNV-1a, then mixed), for per-path latencies.
pub(crate) fn hash(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    Rng(h).next()
}

/// SplitMix64: tiny, seeded, and the same on every platform, which is all a test site needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resource;

    /// The same spec gives the same site; another seed another one.
    #[test]
    fn deterministic() {
        let spec = SiteSpec::with_pages(300);
        let (a, b) = (spec.generate(), spec.generate());
        assert_eq!(a.len(), b.len());
        for (path, res) in &a.resources {
            let other = b.get(path).expect("same paths");
            assert_eq!(format!("{res:?}"), format!("{other:?}"));
        }
        let c = SiteSpec { seed: 2, ..spec }.generate();
        assert_ne!(format!("{:?}", a.get("/")), format!("{:?}", c.get("/")));
    }

    /// Every kind of resource the spec asks for is there.
    #[test]
    fn has_every_kind() {
        let site = SiteSpec::with_pages(1000).generate();
        let paths: Vec<&String> = site.resources.keys().collect();
        for prefix in ["/p/", "/r/", "/rc/", "/img/", "/deep/19"] {
            assert!(paths.iter().any(|p| p.starts_with(prefix)), "{prefix}");
        }
        let legacy = site.resources.values().filter(|r| matches!(r,
            Resource::Page { content_type: Some(ct), .. } if ct == "text/html" || ct.ends_with("1252"))).count();
        assert!(legacy > 10, "{legacy}");
    }

    /// Pages are padded to the requested size.
    #[test]
    fn page_size() {
        let html = html_page("/x", &["/a"], "", 4096);
        assert!((4000..=4096).contains(&html.len()), "{}", html.len());
    }
}
