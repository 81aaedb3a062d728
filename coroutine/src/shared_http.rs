//! [`SharedHttp`]: the shared sans-IO codec (`shared::http`) over an async TCP stream ([`Conn`]:
//! tokio's, or the hand-made runtime's), with an idle pool per host. A fetch that waits holds no
//! buffer: one is allocated when the answer starts to arrive, and freed when it is read.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;

use shared::NetError;
use shared::http::{self, Progress, Response, ResponseParser};
use tokio::io::AsyncWriteExt;
use url::Url;

use crate::client::USER_AGENT;
use crate::mode::{Get, Guard, Mode};

/// An async TCP connection, as the codec needs one: whatever runtime's sockets these are.
pub trait Conn: Sized {
    /// The addresses of `host`.
    fn resolve(host: &str, port: u16) -> impl Future<Output = io::Result<Vec<SocketAddr>>>;
    /// A new connection to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self>>;
    /// Writes all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>>;
    /// Waits until a read would not block.
    fn readable(&mut self) -> impl Future<Output = io::Result<()>>;
    /// Reads what has arrived, without waiting (`WouldBlock` if nothing has).
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
}

/// Tokio's socket.
impl Conn for tokio::net::TcpStream {
    async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // tokio runs `getaddrinfo` on its blocking pool, so the runtime goes on meanwhile.
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self> {
        tokio::net::TcpStream::connect(addr).await
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, bytes).await
    }

    async fn readable(&mut self) -> io::Result<()> {
        tokio::net::TcpStream::readable(self).await
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        tokio::net::TcpStream::try_read(self, buf)
    }
}

/// Bytes read at a time, once the socket is readable.
const READ_BUFFER: usize = 8 * 1024;

/// The shared codec as a client: names resolved once, idle connections kept per address.
pub struct SharedHttp<M: Mode, S> {
    /// Resolved addresses by (host, port), each looked up once (the lookup is asynchronous:
    /// tokio runs `getaddrinfo` on its blocking pool).
    resolved: M::Cell<HashMap<(String, u16), SocketAddr>>,
    /// Idle keep-alive connections by address.
    idle: M::Cell<HashMap<SocketAddr, Vec<S>>>,
    /// Most idle connections kept per address: one per worker.
    per_host: usize,
}

impl<M: Mode, S> std::fmt::Debug for SharedHttp<M, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle.with(|idle| idle.values().map(Vec::len).sum::<usize>());
        f.debug_struct("SharedHttp").field("idle", &idle).field("per_host", &self.per_host).finish()
    }
}

impl<M: Mode, S: Conn> SharedHttp<M, S> {
    /// A client whose pool keeps at most `per_host` idle connections per address.
    pub fn new(per_host: usize) -> Self {
        SharedHttp {
            resolved: Guard::new(HashMap::new()),
            idle: Guard::new(HashMap::new()),
            per_host,
        }
    }

    /// One GET: connect (or reuse), write the request, feed the codec until the response is
    /// complete; a reusable connection goes back to the pool.
    pub async fn get(&self, url: &Url) -> Result<Response, NetError> {
        if url.scheme() != "http" {
            tracing::warn!("{url}: the shared codec speaks plain HTTP only");
            return Err(NetError::Other);
        }
        let addr = self.resolve(url).await?;
        let idle = self.idle.with(|idle| take_open(idle.get_mut(&addr)));
        let mut stream = match idle {
            Some(stream) => stream,
            None => S::connect(addr).await.map_err(|e| NetError::from_io(&e))?,
        };
        stream
            .write_all(&http::request(url, USER_AGENT))
            .await
            .map_err(|e| NetError::from_io(&e))?;
        let mut parser = ResponseParser::new();
        // Empty (no allocation) while the server thinks: most of a fetch's life at high latency.
        let mut buf = Vec::new();
        loop {
            stream.readable().await.map_err(|e| NetError::from_io(&e))?;
            if buf.is_empty() {
                buf.resize(READ_BUFFER, 0);
            }
            let progress = match stream.try_read(&mut buf) {
                Ok(0) => return parser.eof().map_err(NetError::from),
                Ok(n) => parser.feed(&buf[..n]).map_err(NetError::from)?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(NetError::from_io(&e)),
            };
            if let Progress::Done(response) = progress {
                if response.reusable {
                    self.idle.with(|idle| {
                        let list = idle.entry(addr).or_default();
                        if list.len() < self.per_host {
                            list.push(stream);
                        }
                    });
                }
                return Ok(response);
            }
        }
    }

    /// The address to connect to for `url`, looked up on first use (an IPv4 one if any).
    async fn resolve(&self, url: &Url) -> Result<SocketAddr, NetError> {
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let key = (host, port);
        if let Some(addr) = self.resolved.with(|resolved| resolved.get(&key).copied()) {
            return Ok(addr);
        }
        let addrs = S::resolve(&key.0, port).await.map_err(|_| NetError::HostNotFound)?;
        let addr = http::preferred_addr(addrs)?;
        self.resolved.with(|resolved| resolved.insert(key, addr));
        Ok(addr)
    }
}

impl<M: Mode, S: Conn> Get for SharedHttp<M, S> {
    async fn get(&self, url: &Url) -> Result<Response, NetError> {
        SharedHttp::get(self, url).await
    }
}

/// An idle connection from `list` that its server has not closed: nothing to read yet.
fn take_open<S: Conn>(list: Option<&mut Vec<S>>) -> Option<S> {
    let list = list?;
    while let Some(mut stream) = list.pop() {
        let mut byte = [0u8; 1];
        if matches!(stream.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            return Some(stream);
        }
    }
    None
}
