//! [`Pool`]: the connection bookkeeping of a client, as data: each origin's host name resolved
//! once (its failure too), and idle keep-alive connections kept per origin, checked before
//! reuse. The sockets are the model's own type `C`; the pool never reads or writes them.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use url::{Position, Url};

use super::{Session, preferred_addr};
use crate::NetError;

/// A host name and port to look up: what [`Pool::address`] asks for when it does not know the
/// answer yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The host, without the brackets of an IPv6 literal.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The origin the answer is for.
    origin: String,
}

impl Name {
    /// Looks the name up, blocking the calling thread (`getaddrinfo` has no non-blocking form).
    /// A model that can wait elsewhere (tokio's blocking pool) looks it up its own way.
    pub fn lookup_blocking(&self) -> io::Result<Vec<SocketAddr>> {
        Ok((self.host.as_str(), self.port).to_socket_addrs()?.collect())
    }
}

/// Where to connect for a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// Known: connect here.
    Known(SocketAddr),
    /// Not looked up yet: look `Name` up, then tell the pool with [`Pool::learn`].
    LookUp(Name),
}

/// The origin of `url` (scheme, host and port, as the `url` crate writes them: the host in
/// lower case, a default port left out): the slice of the URL before its path, so that finding
/// an origin's entry allocates nothing. A connection is reused only for the origin it was
/// opened for.
fn origin(url: &Url) -> &str {
    &url[..Position::BeforePath]
}

/// What the pool knows of one origin.
#[derive(Debug)]
struct Known<C> {
    /// The address its lookup gave (a failure included), once looked up.
    addr: Option<Result<SocketAddr, NetError>>,
    /// Its idle connections, with their sessions.
    idle: Vec<(C, Session)>,
}

/// Names resolved once per crawl, and idle connections by origin.
///
/// One per client; a model that shares its client between threads puts it behind a lock, and
/// holds the lock for one call (never across a lookup, a connect or a read). Each call finds
/// the origin's entry by a slice of the URL: nothing is allocated once an origin is known.
///
/// # Examples
///
/// ```
/// use shared::http::{Address, Pool, Session};
///
/// let url = url::Url::parse("http://127.0.0.1:8080/a").unwrap();
/// let mut pool: Pool<&str> = Pool::new(2);
/// let Ok(Address::LookUp(name)) = pool.address(&url) else { panic!() };
/// let addr = pool.learn(name, Ok(vec!["127.0.0.1:8080".parse().unwrap()])).unwrap();
/// assert_eq!(pool.address(&url), Ok(Address::Known(addr)));
///
/// pool.put(&url, "a socket", Session::new());
/// assert!(pool.take(&url, |_| false).is_none(), "closed by its server: dropped");
/// pool.put(&url, "another", Session::new());
/// assert_eq!(pool.take(&url, |_| true).map(|(c, _)| c), Some("another"));
/// ```
#[derive(Debug)]
pub struct Pool<C> {
    /// By origin. A failed lookup is kept as well as an address: a host that does not resolve
    /// fails each of its URLs' tries at once, instead of blocking on a lookup for every one.
    origins: HashMap<String, Known<C>>,
    /// Most idle connections kept per origin: one per fetch that can be in flight.
    per_origin: usize,
}

impl<C> Pool<C> {
    /// An empty pool keeping at most `per_origin` idle connections per origin (at least one).
    pub fn new(per_origin: usize) -> Pool<C> {
        Pool { origins: HashMap::new(), per_origin: per_origin.max(1) }
    }

    /// Where to connect for `url`: a known address, a name to look up, or the failure its
    /// lookup gave. A scheme other than http and https (which a crawl never enqueues) is a
    /// network error (`Other`), logged.
    pub fn address(&self, url: &Url) -> Result<Address, NetError> {
        if !matches!(url.scheme(), "http" | "https") {
            tracing::warn!("{url}: the shared HTTP client speaks http and https only");
            return Err(NetError::Other);
        }
        if let Some(known) = self.origins.get(origin(url)).and_then(|o| o.addr) {
            return known.map(Address::Known);
        }
        Ok(Address::LookUp(Name {
            host: url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string(),
            port: url.port_or_known_default().unwrap_or(80),
            origin: origin(url).to_string(),
        }))
    }

    /// Records what looking `name` up gave, and returns the address to connect to (see
    /// [`preferred_addr`]), or the failure, which is kept too.
    pub fn learn(
        &mut self,
        name: Name,
        found: io::Result<impl IntoIterator<Item = SocketAddr>>,
    ) -> Result<SocketAddr, NetError> {
        let addr = found.map_err(|_| NetError::HostNotFound).and_then(preferred_addr);
        if let Err(e) = addr {
            tracing::warn!("cannot resolve {}: {e}", name.host);
        }
        let known = self
            .origins
            .entry(name.origin)
            .or_insert_with(|| Known { addr: None, idle: Vec::new() });
        // A lookup made at the same time by another thread may have answered first: keep one.
        *known.addr.get_or_insert(addr)
    }

    /// An idle connection to `url`'s origin that `is_open` says its server has not closed, with
    /// its session; connections found closed are dropped.
    pub fn take(
        &mut self,
        url: &Url,
        mut is_open: impl FnMut(&mut C) -> bool,
    ) -> Option<(C, Session)> {
        let idle = &mut self.origins.get_mut(origin(url))?.idle;
        while let Some((mut conn, session)) = idle.pop() {
            if is_open(&mut conn) {
                return Some((conn, session));
            }
        }
        None
    }

    /// Keeps a connection whose response was read to its end (`Response::reusable`), for the
    /// next request to `url`'s origin; past the limit it is dropped (closed).
    pub fn put(&mut self, url: &Url, conn: C, session: Session) {
        let idle = match self.origins.get_mut(origin(url)) {
            Some(known) => &mut known.idle,
            // A connection to an origin never looked up (its address came from elsewhere).
            None => {
                let known = Known { addr: None, idle: Vec::new() };
                &mut self.origins.entry(origin(url).to_string()).or_insert(known).idle
            }
        };
        if idle.len() < self.per_origin {
            idle.push((conn, session));
        }
    }

    /// Idle connections kept, over every origin.
    pub fn idle(&self) -> usize {
        self.origins.values().map(|o| o.idle.len()).sum()
    }
}

/// Whether an idle connection can carry a request, by a peek that must not block: nothing to
/// read (the peek would block) means open. A peek of 0 bytes means its server closed it; bytes
/// nobody asked for, or an error, mean it is unusable too.
///
/// # Examples
///
/// ```
/// use std::io;
/// let would_block: io::Result<usize> = Err(io::ErrorKind::WouldBlock.into());
/// assert!(shared::http::is_open_by_peek(would_block));
/// assert!(!shared::http::is_open_by_peek(Ok(0)));
/// assert!(!shared::http::is_open_by_peek(Ok(1)));
/// ```
pub fn is_open_by_peek(peeked: io::Result<usize>) -> bool {
    matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// A failed lookup is kept: the next URL of the host fails at once, with the same error,
    /// and asks for no lookup.
    #[test]
    fn a_failed_lookup_is_kept() {
        let mut pool: Pool<()> = Pool::new(1);
        let Ok(Address::LookUp(name)) = pool.address(&url("http://nowhere.invalid/")) else {
            panic!()
        };
        let failed: io::Result<Vec<SocketAddr>> = Err(io::ErrorKind::NotFound.into());
        assert_eq!(pool.learn(name, failed), Err(NetError::HostNotFound));
        assert_eq!(pool.address(&url("http://nowhere.invalid/b")), Err(NetError::HostNotFound));
        let empty: io::Result<Vec<SocketAddr>> = Ok(vec![]);
        let Ok(Address::LookUp(name)) = pool.address(&url("http://empty.invalid/")) else {
            panic!()
        };
        assert_eq!(pool.learn(name, empty), Err(NetError::HostNotFound));
    }

    /// Connections are kept per origin (scheme, host, port), up to the limit; the port of a
    /// URL with the scheme's default is that default.
    #[test]
    fn idle_connections_by_origin() {
        let mut pool = Pool::new(2);
        for conn in [1, 2, 3] {
            pool.put(&url("http://h:81/a"), conn, Session::new());
        }
        assert_eq!(pool.idle(), 2, "the third is over the limit");
        assert!(pool.take(&url("http://h/"), |_| true).is_none(), "another port");
        assert!(pool.take(&url("http://other:81/"), |_| true).is_none(), "another host");
        assert_eq!(pool.take(&url("http://h:81/b"), |_| true).map(|(c, _)| c), Some(2));
        pool.put(&url("http://h/"), 4, Session::new());
        assert_eq!(pool.take(&url("http://h:80/x"), |_| true).map(|(c, _)| c), Some(4));
    }

    /// http and https go through the shared client (https on port 443 by default, its own
    /// origin); any other scheme is refused.
    #[test]
    fn http_and_https_only() {
        let pool: Pool<()> = Pool::new(1);
        let Ok(Address::LookUp(name)) = pool.address(&url("https://h/")) else { panic!() };
        assert_eq!((name.host.as_str(), name.port, name.origin.as_str()), ("h", 443, "https://h"));
        assert_eq!(pool.address(&url("ftp://h/")), Err(NetError::Other));
    }
}
