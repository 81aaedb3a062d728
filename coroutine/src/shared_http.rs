//! [`SharedHttp`]: the shared sans-IO codec (`shared::http`) over tokio's `TcpStream`, with an
//! idle pool per host. A fetch that waits holds no buffer: one is allocated when the answer
//! starts to arrive, and freed when it is read.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use shared::NetError;
use shared::http::{self, Progress, Response, ResponseParser};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use url::Url;

use crate::client::USER_AGENT;
use crate::mode::{Guard, Mode};

/// Bytes read at a time, once the socket is readable.
const READ_BUFFER: usize = 8 * 1024;

/// The shared codec as a client: names resolved once, idle connections kept per address.
pub struct SharedHttp<M: Mode> {
    /// Resolved addresses by (host, port), each looked up once (the lookup is asynchronous:
    /// tokio runs `getaddrinfo` on its blocking pool).
    resolved: M::Cell<HashMap<(String, u16), SocketAddr>>,
    /// Idle keep-alive connections by address.
    idle: M::Cell<HashMap<SocketAddr, Vec<TcpStream>>>,
    /// Most idle connections kept per address: one per worker.
    per_host: usize,
}

impl<M: Mode> std::fmt::Debug for SharedHttp<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle.with(|idle| idle.values().map(Vec::len).sum::<usize>());
        f.debug_struct("SharedHttp").field("idle", &idle).field("per_host", &self.per_host).finish()
    }
}

impl<M: Mode> SharedHttp<M> {
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
            None => TcpStream::connect(addr).await.map_err(|e| NetError::from_io(&e))?,
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
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((key.0.as_str(), port))
            .await
            .map_err(|_| NetError::HostNotFound)?
            .collect();
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or(NetError::HostNotFound)?;
        self.resolved.with(|resolved| resolved.insert(key, addr));
        Ok(addr)
    }
}

/// An idle connection from `list` that its server has not closed: nothing to read yet.
fn take_open(list: Option<&mut Vec<TcpStream>>) -> Option<TcpStream> {
    let list = list?;
    while let Some(stream) = list.pop() {
        let mut byte = [0u8; 1];
        if matches!(stream.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            return Some(stream);
        }
    }
    None
}
