//! The sans-IO HTTP/1.1 client core: everything a fetch does but wait, written once for every
//! model. It never touches a socket, a clock's sleep or a lock; a model's driver moves bytes
//! between its own socket and the core, and waits its own way (a blocking read on a thread, a
//! readiness callback on an event loop, an `.await` on a runtime).
//!
//! A driver asks the [`Pool`] where to connect (a name is resolved once per crawl) and for an
//! idle connection; then it runs one [`Exchange`] per request: [`Exchange::drive`] writes the
//! request and feeds what is read to the [`ResponseParser`] until the socket would block
//! ([`Step::Wait`]: wait for [`Wait::Readable`] or [`Wait::Writable`]) or the exchange has
//! [`Ended`]: a [`Response`], a failed try, or a resend on a new connection (the keep-alive
//! rule). A reusable connection goes back to the pool with its [`Session`].
//!
//! - `mod.rs` (here): the request bytes, [`Response`], [`CappedBody`] (the cap, `truncated` and
//!   `reusable`, decided once), [`HttpError`], [`Parsed`].
//! - `parser.rs`: [`ResponseParser`], the state machine over head, length, chunked and
//!   close-delimited bodies.
//! - `decode.rs`: the content codings (gzip, br) undone as the body arrives, the cap on the
//!   decoded bytes; [`Coding`].
//! - `exchange.rs`: [`Exchange`], one request on one connection, and the keep-alive rule.
//! - `pool.rs`: [`Pool`], names resolved once and idle connections by origin.
//! - `tls.rs`: [`Tls`], the one rustls configuration of a crawl, and the TLS layer an exchange
//!   reads and writes through on an https connection.

use std::fmt;
use std::net::SocketAddr;

use url::{Position, Url};

use crate::page::BODY_CAP;

mod decode;
#[cfg(test)]
mod decode_tests;
mod exchange;
mod parser;
mod pool;
#[cfg(test)]
mod tests;
mod tls;

pub use decode::{Coding, Content};
pub use exchange::{Ended, Exchange, READ_BUFFER, Session, Step, Wait, is_resend};
pub use parser::ResponseParser;
pub use pool::{Address, Name, Pool, is_open_by_peek};
pub use tls::{Tls, read_ca_file};

/// Longest response head accepted (status line + headers): 64 KiB.
pub const MAX_HEAD: usize = 64 * 1024;

/// Writes the bytes of a GET for `url` into `out` (appending).
///
/// The request line carries the path and query only (never the fragment); `Host` is the host
/// as [`Url::host_str`] gives it (IPv6 in brackets) with `:port` only for a non-default port.
/// Carriage returns and line feeds in `user_agent` become spaces, so it cannot add headers.
///
/// # Examples
///
/// ```
/// let url = url::Url::parse("http://example.com/a?b=1#top").unwrap();
/// let mut out = Vec::new();
/// shared::http::write_request(&mut out, &url, "bot/1");
/// assert!(out.starts_with(b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n"));
/// assert!(out.ends_with(b"Connection: keep-alive\r\n\r\n"));
/// ```
pub fn write_request(out: &mut Vec<u8>, url: &Url, user_agent: &str) {
    let target = &url[Position::BeforePath..Position::AfterQuery];
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(if target.is_empty() { "/" } else { target }.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(url.host_str().unwrap_or_default().as_bytes());
    if let Some(port) = url.port() {
        out.extend_from_slice(format!(":{port}").as_bytes());
    }
    out.extend_from_slice(b"\r\nUser-Agent: ");
    out.extend(user_agent.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(
        b"\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\nConnection: keep-alive\r\n\r\n",
    );
}

/// The bytes of a GET for `url`, in a new `Vec` (see [`write_request`]).
pub fn request(url: &Url, user_agent: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_request(&mut out, url, user_agent);
    out
}

/// The address to connect to, of those a host name resolved to: its first IPv4 address, else its
/// first address (a test site listens on 127.0.0.1, and `localhost` may list `::1` first).
/// `HostNotFound` when there is none. Every model's resolver picks with this.
///
/// # Examples
/// ```
/// use std::net::SocketAddr;
/// let v6: SocketAddr = "[::1]:80".parse().unwrap();
/// let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
/// assert_eq!(shared::http::preferred_addr([v6, v4]), Ok(v4));
/// assert_eq!(shared::http::preferred_addr([v6]), Ok(v6));
/// assert!(shared::http::preferred_addr([]).is_err());
/// ```
pub fn preferred_addr(
    addrs: impl IntoIterator<Item = SocketAddr>,
) -> Result<SocketAddr, crate::NetError> {
    let mut first = None;
    for addr in addrs {
        if addr.is_ipv4() {
            return Ok(addr);
        }
        first = first.or(Some(addr));
    }
    first.ok_or(crate::NetError::HostNotFound)
}

/// One response header: the name as sent (any case) and the raw value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name, in the case the server used.
    pub name: String,
    /// The value, as bytes: servers do send non-UTF-8 values.
    pub value: Vec<u8>,
}

/// A complete response: the one type every model hands to page interpretation.
///
/// # Examples
///
/// ```
/// use shared::http::{Parsed, ResponseParser};
///
/// let mut parser = ResponseParser::new();
/// let bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi";
/// let Ok(Parsed::Done(response)) = parser.feed(bytes) else { panic!("incomplete") };
/// assert_eq!(response.status, 200);
/// assert_eq!(response.header("content-type"), Some(&b"text/html"[..]));
/// assert_eq!(response.body, b"hi");
/// assert!(response.reusable && !response.truncated);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The status code, such as 200.
    pub status: u16,
    /// The headers, in the order they came.
    pub headers: Vec<Header>,
    /// The body, at most [`BODY_CAP`] bytes (decoded from chunked framing).
    pub body: Vec<u8>,
    /// Whether the body was cut at the cap (the rest was not read).
    pub truncated: bool,
    /// Whether the connection can carry another request: HTTP/1.1 without `Connection: close`
    /// (or HTTP/1.0 with `Connection: keep-alive`), the body framed by Content-Length or chunked
    /// and read to its end, not truncated, and no stray bytes after it.
    pub reusable: bool,
}

impl Response {
    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| &h.value[..])
    }
}

/// A body read up to [`BODY_CAP`]: the one place that decides `truncated` and `reusable`, for
/// the shared parser and for the clients that read bodies themselves (ureq, reqwest).
///
/// # Examples
///
/// ```
/// use shared::http::CappedBody;
/// use shared::page::BODY_CAP;
///
/// let mut body = CappedBody::new(Some(5));
/// assert!(body.push(b"hello"));
/// let response = body.into_response(200, vec![], true);
/// assert!(!response.truncated && response.reusable);
///
/// let mut body = CappedBody::new(None);
/// let big = vec![b'x'; BODY_CAP as usize];
/// assert!(body.push(&big), "exactly the cap: nothing is cut yet");
/// assert!(!body.push(b"one more"), "a byte beyond the cap: stop reading");
/// let response = body.into_response(200, vec![], true);
/// assert_eq!(response.body.len() as u64, BODY_CAP);
/// assert!(response.truncated && !response.reusable);
///
/// // From a reader: one byte past the cap is read, no more.
/// let mut body = CappedBody::new(None);
/// let mut endless = std::io::repeat(b'x');
/// body.read_from(&mut endless).unwrap();
/// let response = body.into_response(200, vec![], true);
/// assert_eq!(response.body.len() as u64, BODY_CAP);
/// assert!(response.truncated);
/// ```
#[derive(Debug, Default)]
pub struct CappedBody {
    bytes: Vec<u8>,
    truncated: bool,
}

/// The largest body reservation made up front, whatever Content-Length claims.
const MAX_RESERVE: u64 = 1024 * 1024;

impl CappedBody {
    /// An empty body, with room reserved for `declared` bytes (its Content-Length), up to 1 MiB
    /// whatever a server claims: growing by doubling would copy a large body several times.
    pub fn new(declared: Option<u64>) -> CappedBody {
        let reserve = declared.unwrap_or(0).min(BODY_CAP).min(MAX_RESERVE);
        CappedBody { bytes: Vec::with_capacity(reserve as usize), truncated: false }
    }

    /// How many more bytes the cap allows.
    pub fn room(&self) -> u64 {
        BODY_CAP.saturating_sub(self.bytes.len() as u64)
    }

    /// Keeps what fits of `chunk`. `false` once a byte beyond the cap came: the body is cut
    /// there, and the rest is not to be read.
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let n = usize::try_from(self.room()).map_or(chunk.len(), |room| room.min(chunk.len()));
        self.bytes.extend_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.truncated = true;
        }
        !self.truncated
    }

    /// Reads the rest of a body from `reader`, straight into this body: up to the cap and one
    /// byte past it, to know whether the body goes on (then it is cut, and the rest is not
    /// read). For a client that gives the body as a reader (ureq).
    pub fn read_from(&mut self, reader: impl std::io::Read) -> std::io::Result<()> {
        use std::io::Read;
        reader.take(self.room().saturating_add(1)).read_to_end(&mut self.bytes)?;
        if self.bytes.len() as u64 > BODY_CAP {
            self.bytes.truncate(BODY_CAP as usize);
            self.truncated = true;
        }
        Ok(())
    }

    /// Whether the body was cut at the cap.
    pub fn is_cut(&self) -> bool {
        self.truncated
    }

    /// Marks the body cut at the cap without a byte beyond it in hand: the framing says more
    /// follows.
    pub fn cut(&mut self) {
        self.truncated = true;
    }

    /// Bytes kept so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether no byte was kept.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The response with this body. `clean_end`: the response was read to the end its framing
    /// gave, with nothing after it, on a connection that stays open; a cut body never has one.
    pub fn into_response(self, status: u16, headers: Vec<Header>, clean_end: bool) -> Response {
        let truncated = self.truncated;
        Response { status, headers, body: self.bytes, truncated, reusable: clean_end && !truncated }
    }
}

/// Why a response could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// The bytes are not an HTTP/1.x response head (httparse refused them, or a bad
    /// Content-Length such as non-digits or two different values).
    MalformedHead,
    /// The head did not end within [`MAX_HEAD`] bytes.
    HeadTooLarge,
    /// The chunked framing is broken (bad chunk-size line, missing CRLF after chunk data,
    /// chunk-size line or trailers too long).
    MalformedBody,
    /// The peer closed the connection before the response was complete: no byte at all, a
    /// partial head, or a body shorter than Content-Length or the chunked framing promised.
    ShortBody,
    /// The body does not decode by its content coding (gzip, br), or its compressed stream
    /// ends before the body does.
    BadCoding,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpError::MalformedHead => "malformed response head",
            HttpError::HeadTooLarge => "response head too large",
            HttpError::MalformedBody => "malformed chunked body",
            HttpError::ShortBody => "connection closed before the response was complete",
            HttpError::BadCoding => "body does not decode by its content coding",
        })
    }
}

impl std::error::Error for HttpError {}

/// What feeding bytes gave.
#[derive(Debug)]
pub enum Parsed {
    /// More bytes are needed.
    NeedMore,
    /// The response is complete.
    Done(Response),
}
