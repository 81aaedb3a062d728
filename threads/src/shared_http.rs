//! [`SharedClient`]: the shared sans-IO codec (`shared::http`) over a blocking
//! `std::net::TcpStream`, with a small idle pool: the thread model on the same HTTP stack as the
//! callback and coroutine models, so that a comparison can hold the HTTP stack equal.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use shared::NetError;
use shared::http::{self, Progress, Response, ResponseParser};
use url::Url;

/// Bytes read at a time.
const READ_BUFFER: usize = 16 * 1024;

/// A blocking client on the shared codec, shared by every worker thread.
#[derive(Debug)]
pub struct SharedClient {
    timeout: Duration,
    /// Most idle connections kept per address: one per worker.
    per_host: usize,
    /// Resolved addresses by (host, port), each looked up once.
    resolved: Mutex<HashMap<(String, u16), SocketAddr>>,
    /// Idle keep-alive connections by address. Locked for a push or a pop only.
    idle: Mutex<HashMap<SocketAddr, Vec<TcpStream>>>,
}

impl SharedClient {
    /// A client whose requests take at most `timeout` each, body included, keeping at most
    /// `per_host` idle connections per address.
    pub fn new(timeout: Duration, per_host: usize) -> SharedClient {
        SharedClient {
            timeout,
            per_host: per_host.max(1),
            resolved: Mutex::default(),
            idle: Mutex::default(),
        }
    }

    /// GETs `url` once; the thread blocks until the response is complete, the deadline passes,
    /// or the connection fails.
    pub fn get(&self, url: &Url) -> Result<Response, NetError> {
        let deadline = Instant::now() + self.timeout;
        if url.scheme() != "http" {
            tracing::warn!("{url}: the shared codec speaks plain HTTP only");
            return Err(NetError::Other);
        }
        let addr = self.resolve(url)?;
        let io = |e: io::Error| NetError::from_io(&e);
        let mut stream = match self.take_idle(addr) {
            Some(stream) => stream,
            None => TcpStream::connect_timeout(&addr, left(deadline)?).map_err(io)?,
        };
        stream.set_write_timeout(Some(left(deadline)?)).map_err(io)?;
        stream.write_all(&http::request(url, crate::http::USER_AGENT)).map_err(io)?;
        let mut parser = ResponseParser::new();
        let mut buf = vec![0; READ_BUFFER];
        loop {
            // Each read may wait only for what is left of the request's time.
            stream.set_read_timeout(Some(left(deadline)?)).map_err(io)?;
            let progress = match stream.read(&mut buf) {
                Ok(0) => return parser.eof().map_err(NetError::from),
                Ok(n) => parser.feed(&buf[..n]).map_err(NetError::from)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            if let Progress::Done(response) = progress {
                if response.reusable {
                    self.put_idle(addr, stream);
                }
                return Ok(response);
            }
        }
    }

    /// The address of `url`'s host, looked up on first use (an IPv4 one if any).
    fn resolve(&self, url: &Url) -> Result<SocketAddr, NetError> {
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let mut resolved = self.resolved.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(addr) = resolved.get(&(host.clone(), port)) {
            return Ok(*addr);
        }
        let addrs = (host.as_str(), port).to_socket_addrs().map_err(|_| NetError::HostNotFound)?;
        let addr = http::preferred_addr(addrs)?;
        resolved.insert((host, port), addr);
        Ok(addr)
    }

    /// An idle connection to `addr` that its server has not closed.
    fn take_idle(&self, addr: SocketAddr) -> Option<TcpStream> {
        loop {
            let stream =
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).get_mut(&addr)?.pop()?;
            if still_open(&stream) {
                return Some(stream);
            }
        }
    }

    fn put_idle(&self, addr: SocketAddr, stream: TcpStream) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.entry(addr).or_default();
        if list.len() < self.per_host {
            list.push(stream);
        }
    }
}

/// What is left before `deadline`, or `Timeout` if nothing is.
fn left(deadline: Instant) -> Result<Duration, NetError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(NetError::Timeout) } else { Ok(left) }
}

/// Whether an idle connection can carry a request: a non-blocking peek finds nothing to read
/// (a read of 0 would mean the server closed it).
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    let open = stream.set_nonblocking(true).is_ok()
        && matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    open && stream.set_nonblocking(false).is_ok()
}
