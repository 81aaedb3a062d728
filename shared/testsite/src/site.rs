//! [`Site`]: the resources of a test site (pages, redirects, faults, latency), built by hand or
//! read from a folder of files.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

/// The Content-Type of the small page the server sends with a [`Resource::Redirect`].
pub(crate) const REDIRECT_CONTENT_TYPE: &str = "text/html";

/// One thing the site answers at a path.
#[derive(Debug, Clone)]
pub enum Resource {
    /// A response with a body held in memory.
    Page {
        /// HTTP status.
        status: u16,
        /// The Content-Type header, if any.
        content_type: Option<String>,
        /// The body, precomputed.
        body: Bytes,
        /// The hrefs written in the body, for the oracle (resolved against the page's URL).
        links: Vec<String>,
    },
    /// A redirect: `status` with a `Location` header.
    Redirect {
        /// A 3xx status.
        status: u16,
        /// The Location header, as sent (may be relative).
        location: String,
    },
    /// A misbehaving server.
    Fault(Fault),
}

/// The ways the site can misbehave, each of which a crawler must turn into a record.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Read the request, then reset the connection (TCP RST) without a byte of answer.
    Reset,
    /// Send a head promising `len` bytes, half of the body, then close.
    CloseMidBody {
        /// The Content-Length promised.
        len: usize,
    },
    /// Never answer; the crawler's timeout must end it.
    NeverAnswer,
    /// Answer with bytes that are not HTTP, then close.
    Garbage,
    /// A 200 `application/octet-stream` body of `len` bytes, generated as it is sent.
    Huge {
        /// Body length in bytes.
        len: u64,
    },
    /// A 200 `text/html` page sent `chunk` bytes at a time, `interval` apart.
    Trickle {
        /// Body length in bytes.
        len: usize,
        /// Bytes per write.
        chunk: usize,
        /// Pause between writes.
        interval: Duration,
    },
    /// A 200 `text/html` gzip body that inflates to `inflated` bytes of zeros (see
    /// [`compress::gzip_bomb`](crate::compress::gzip_bomb)), sent whatever the request asks.
    GzipBomb {
        /// The size it inflates to.
        inflated: u64,
    },
    /// A 200 `text/html` gzip body that does not inflate, sent whatever the request asks.
    CorruptGzip,
    /// Close the connection without a response for the first `failures` requests, then answer
    /// as `then`.
    FlakyClose {
        /// How many requests get a closed connection.
        failures: usize,
        /// The answer after that.
        then: Box<Resource>,
    },
}

/// How long the site waits before answering a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    /// Every request waits this long.
    Fixed(Duration),
    /// Each path waits a fixed, seeded duration in `min..=max`.
    Uniform {
        /// Shortest wait.
        min: Duration,
        /// Longest wait.
        max: Duration,
    },
}

impl Latency {
    /// No wait at all.
    pub const ZERO: Latency = Latency::Fixed(Duration::ZERO);
}

/// A test site: resources by path (with query), a latency, and an optional barrier.
#[derive(Debug, Clone)]
pub struct Site {
    pub(crate) resources: HashMap<String, Resource>,
    pub(crate) latency: Latency,
    pub(crate) seed: u64,
    pub(crate) barrier: Option<usize>,
    /// Close a kept-alive connection, silently, after this many responses on it.
    pub(crate) close_idle_after: Option<usize>,
    /// Whether connections are kept alive between requests (`Connection: close` when not).
    pub(crate) keep_alive: bool,
    /// Whether a path's query is ignored when no resource has it (a folder of files, served as
    /// a static file server does: `/a.html?search=x` is `/a.html`).
    pub(crate) ignore_query: bool,
    /// Pages sent in this content coding to requests that accept it.
    pub(crate) compress: Option<crate::compress::Coding>,
    /// Whether it is served over TLS.
    pub(crate) tls: crate::tls::Transport,
    /// Other origins serving this same site (a generated site on several ports): their URLs
    /// are the site's too, to the oracle.
    pub(crate) origins: Vec<url::Url>,
}

impl Default for Site {
    fn default() -> Self {
        Site::new()
    }
}

impl Site {
    /// An empty site: every path answers 404 until resources are added.
    pub fn new() -> Site {
        Site {
            resources: HashMap::new(),
            latency: Latency::ZERO,
            seed: 0,
            barrier: None,
            close_idle_after: None,
            keep_alive: true,
            ignore_query: false,
            compress: None,
            tls: crate::tls::Transport::AsTheThreadSays,
            origins: Vec::new(),
        }
    }

    /// Adds a 200 `text/html` page at `path` that links to `links` (hrefs, in this order).
    pub fn page(self, path: &str, links: &[&str]) -> Site {
        let body = crate::generate::html_page(path, links, "", 0);
        self.resource(
            path,
            Resource::Page {
                status: 200,
                content_type: Some("text/html; charset=utf-8".into()),
                body: Bytes::from(body),
                links: links.iter().map(|l| l.to_string()).collect(),
            },
        )
    }

    /// Adds a response with any status, Content-Type and body; `links` are the hrefs the body
    /// holds, for the oracle.
    pub fn raw(
        self,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
        links: &[&str],
    ) -> Site {
        self.resource(
            path,
            Resource::Page {
                status,
                content_type: content_type.map(String::from),
                body: body.into(),
                links: links.iter().map(|l| l.to_string()).collect(),
            },
        )
    }

    /// Adds a redirect from `path` to `location` with `status`.
    pub fn redirect(self, path: &str, location: &str, status: u16) -> Site {
        self.resource(path, Resource::Redirect { status, location: location.into() })
    }

    /// Adds a fault at `path`.
    pub fn fault(self, path: &str, fault: Fault) -> Site {
        self.resource(path, Resource::Fault(fault))
    }

    /// Adds any resource at `path` (a path with its query, as in `/a?b=c`).
    pub fn resource(mut self, path: &str, resource: Resource) -> Site {
        self.resources.insert(path.to_string(), resource);
        self
    }

    /// Sets the latency of every request.
    pub fn with_latency(mut self, latency: Latency) -> Site {
        self.latency = latency;
        self
    }

    /// Holds every request but the root's (`/`, which must be answered for the crawl to find
    /// any other page) until `n` requests are in flight at once (or 10 seconds pass), then lets
    /// all through. With it, "the crawler reaches `--max-tasks n`" is a fact the server
    /// observes, not a matter of timing luck.
    pub fn with_barrier(mut self, n: usize) -> Site {
        self.barrier = Some(n);
        self
    }

    /// Closes each connection after `k` responses on it, as Apache's `KeepAliveTimeout` and
    /// nginx's `keepalive_timeout` do: without `Connection: close`, so the client keeps the
    /// connection for its next request. The server closes it when that request arrives, without
    /// reading it: the request is never counted, and the client sees the end of the stream
    /// before any byte of an answer. With it, the race of a request sent on a connection its
    /// server is closing is lost every time, not once in a while.
    pub fn close_idle_after(mut self, k: usize) -> Site {
        self.close_idle_after = Some(k.max(1));
        self
    }

    /// Answers every request with `Connection: close`: each request comes on a new connection,
    /// so a fault that closes or resets one is always met on a new connection, where every
    /// request is a try (on a reused one, the keep-alive rule would send it again).
    pub fn without_keep_alive(mut self) -> Site {
        self.keep_alive = false;
        self
    }

    /// Sends every page (a resource held in memory, whatever its status) in `coding` to a
    /// request whose `Accept-Encoding` takes it, as a server with compression on does; other
    /// requests get it as it is.
    pub fn compressed(mut self, coding: crate::compress::Coding) -> Site {
        self.compress = Some(coding);
        self
    }

    /// Serves the site over TLS (https), with a certificate for `localhost` and `127.0.0.1`
    /// signed by `authority`.
    pub fn tls(mut self, authority: &crate::tls::Authority) -> Site {
        self.tls = crate::tls::Transport::Tls(crate::tls::SiteTls::new(authority, None));
        self
    }

    /// Serves the site as plain http, even inside
    /// [`tls::over_tls`](crate::tls::over_tls): for a scenario that needs both kinds.
    pub fn plain(mut self) -> Site {
        self.tls = crate::tls::Transport::Plain;
        self
    }

    /// Serves the site as https, failing every client's handshake with `fault` (a crawler
    /// trusting `authority` must still refuse it).
    pub fn tls_fault(
        mut self,
        authority: &crate::tls::Authority,
        fault: crate::tls::TlsFault,
    ) -> Site {
        self.tls = crate::tls::Transport::Tls(crate::tls::SiteTls::new(authority, Some(fault)));
        self
    }

    /// The resource at `path` (with query), if any; other paths answer 404. A site read from a
    /// folder falls back to the path without its query, as a static file server does.
    pub fn get(&self, path: &str) -> Option<&Resource> {
        self.resources.get(path).or_else(|| {
            let (file, _query) = path.split_once('?').filter(|_| self.ignore_query)?;
            self.resources.get(file)
        })
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether the site has no resource.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The wait before answering `path`.
    pub fn latency_of(&self, path: &str) -> Duration {
        match self.latency {
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } => {
                let span = max.saturating_sub(min).as_micros() as u64;
                let h = crate::generate::hash(self.seed, path.as_bytes());
                min + Duration::from_micros(if span == 0 { 0 } else { h % (span + 1) })
            }
        }
    }

    /// A site serving the files under `dir`: `/a/b.html` is the file `dir/a/b.html`, a folder's
    /// path serves its `index.html` (`/a` redirects to `/a/`), and the Content-Type comes from
    /// the file's extension.
    pub fn from_dir(dir: &Path) -> std::io::Result<Site> {
        let mut site = Site { ignore_query: true, ..Site::new() };
        let mut stack = vec![dir.to_path_buf()];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                // The path as a client sends it: each component percent-encoded.
                // Cannot fail: a constant, valid URL.
                let mut web_url = url::Url::parse("http://site/").expect("valid URL");
                if let Ok(mut segments) = web_url.path_segments_mut() {
                    segments.pop_if_empty();
                    segments.extend(rel.components().map(|c| c.as_os_str().to_string_lossy()));
                }
                let web = web_url.path().to_string();
                let content_type = content_type_of(&path);
                let body = Bytes::from(std::fs::read(&path)?);
                let page = Resource::Page {
                    status: 200,
                    content_type: Some(content_type.into()),
                    body,
                    links: Vec::new(),
                };
                if let Some(folder) = web.strip_suffix("/index.html") {
                    site.resources.insert(format!("{folder}/"), page.clone());
                    if !folder.is_empty() {
                        // As a web server does: `/sub` redirects to `/sub/`.
                        let location = format!("{folder}/");
                        site.resources
                            .entry(folder.to_string())
                            .or_insert(Resource::Redirect { status: 301, location });
                    }
                }
                site.resources.insert(web, page);
            }
        }
        Ok(site)
    }
}

/// The key a URL is served and counted under: its path with its query, as in `/a?b=c`.
pub fn path_of(url: &url::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// The Content-Type served for a file, from its extension.
fn content_type_of(path: &Path) -> &'static str {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html",
        Some("xml") => "application/xml",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of files becomes a site: files by path, index.html for folders, types by
    /// extension, and a folder without its slash redirects to it.
    #[test]
    fn from_dir_serves_files() {
        let dir = std::env::temp_dir().join(format!("testsite-from-dir-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), "<a href=sub/>sub</a>").unwrap();
        std::fs::write(dir.join("sub/index.html"), "sub").unwrap();
        std::fs::write(dir.join("sub/data.xml"), "<x/>").unwrap();
        std::fs::write(dir.join("sub/a b é.txt"), "odd name").unwrap();
        let site = Site::from_dir(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let content_type = |path: &str| match site.get(path) {
            Some(Resource::Page { content_type, .. }) => content_type.clone(),
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(content_type("/").as_deref(), Some("text/html"));
        assert_eq!(content_type("/sub/").as_deref(), Some("text/html"));
        assert_eq!(content_type("/sub/data.xml").as_deref(), Some("application/xml"));
        assert_eq!(content_type("/sub/a%20b%20%C3%A9.txt").as_deref(), Some("text/plain"));
        assert!(
            matches!(site.get("/sub"), Some(Resource::Redirect { status: 301, location }) if location == "/sub/")
        );
        assert!(site.get("/missing").is_none());
        assert!(site.get("/index.html?search=x").is_some(), "a file ignores the query");
        assert!(Site::new().page("/a", &[]).get("/a?q").is_none(), "a generated site does not");
    }
}
