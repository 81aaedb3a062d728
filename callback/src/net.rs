//! The two pieces of connection bookkeeping a fetcher needs before it can send a byte: the
//! address of a host ([`Resolver`], the one blocking step) and an idle keep-alive connection to
//! reuse ([`Pool`]).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use mio::net::TcpStream;
use shared::NetError;
use shared::http::preferred_addr;
use url::Url;

/// Host names resolved once per crawl.
///
/// Resolving a name is the one blocking call of this model (`getaddrinfo` has no non-blocking
/// form), as in the chapter, which resolves inside `socket.connect` before the loop takes over.
/// A crawl talks to a handful of hosts, so each is resolved once, the first time it is needed,
/// and the answer (or the failure) is kept: the loop blocks once per host, not once per URL.
#[derive(Debug, Default)]
pub struct Resolver {
    cache: HashMap<(String, u16), Result<SocketAddr, NetError>>,
}

impl Resolver {
    /// The address to connect to for `url` (see [`preferred_addr`]).
    pub fn resolve(&mut self, url: &Url) -> Result<SocketAddr, NetError> {
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        *self.cache.entry((host, port)).or_insert_with(|| {
            let addrs = url.socket_addrs(|| None).map_err(|_| NetError::HostNotFound)?;
            preferred_addr(addrs)
        })
    }
}

/// Idle keep-alive connections, by address, ready for the next request to the same host.
///
/// The thread model shares ureq's pool and the coroutines reqwest's; this one is the same idea,
/// owned by the single thread, so a plain map with no lock. An idle connection is not watched
/// by the loop; whether its server has closed it meanwhile is checked when it is taken.
#[derive(Debug)]
pub struct Pool {
    idle: HashMap<SocketAddr, Vec<TcpStream>>,
    /// Most idle connections kept per address: one per fetch that can be in flight.
    per_host: usize,
}

impl Pool {
    /// An empty pool keeping at most `per_host` idle connections per address.
    pub fn new(per_host: usize) -> Pool {
        Pool { idle: HashMap::new(), per_host }
    }

    /// An idle connection to `addr` that its server has not closed, if there is one.
    pub fn take(&mut self, addr: SocketAddr) -> Option<TcpStream> {
        let idle = self.idle.get_mut(&addr)?;
        while let Some(stream) = idle.pop() {
            if still_open(&stream) {
                return Some(stream);
            }
        }
        None
    }

    /// Keeps a connection whose response was read to its end, for the next request.
    pub fn put(&mut self, addr: SocketAddr, stream: TcpStream) {
        let idle = self.idle.entry(addr).or_default();
        if idle.len() < self.per_host {
            idle.push(stream);
        }
    }
}

/// Whether an idle connection can carry a request: nothing to read (a read would block). A
/// read of 0 bytes means the server closed it; bytes nobody asked for, or an error, mean it is
/// unusable too.
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}
