//! The errors of the crawler: bad arguments (exit 2) and the network failures that end up as data
//! in a [`FetchStatistic`](crate::FetchStatistic).

use std::fmt;

/// What can be wrong with the arguments of a crawl (the command line, or a [`ConfigBuilder`] in
/// code): the binary prints it on one line and exits with status 2. A failure of one fetch is a
/// [`NetError`] instead: it never aborts a crawl, it becomes the `exception` of that URL's
/// record.
///
/// [`ConfigBuilder`]: crate::ConfigBuilder
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A root that is not an http or https URL (or that cannot be parsed at all).
    BadUrl {
        /// The argument as the user typed it.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// An `--exclude` pattern that is not a valid regular expression.
    BadRegex(String),
    /// A flag with a value out of range (`--max-tasks 0`, a negative timeout, ...).
    BadFlag(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadUrl { input, reason } => write!(f, "bad URL {input:?}: {reason}"),
            Error::BadRegex(msg) => write!(f, "bad --exclude regex: {msg}"),
            Error::BadFlag(msg) => write!(f, "bad flag: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// A network failure on one fetch, classified the same way by every model.
///
/// Each model maps its own client's errors (ureq's, reqwest's, its own parser's) onto these kinds,
/// so that the same fault on the test site gives the same `exception` text in every model's
/// report. All of them are retried up to `--max-tries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetError {
    /// Nobody listens on the port (or the host cannot be reached at all).
    ConnectionRefused,
    /// The peer reset the connection (TCP RST).
    ConnectionReset,
    /// The connection was closed before a complete response arrived: no status line at all, or a
    /// body shorter than its `Content-Length` or its chunked framing promised.
    ConnectionClosed,
    /// The request took longer than `--timeout`.
    Timeout,
    /// The peer answered with bytes that are not an HTTP/1.x response.
    MalformedResponse,
    /// The host name could not be resolved.
    HostNotFound,
    /// The TLS handshake failed: a certificate not trusted, expired or for another name, a
    /// handshake cut short, or bytes that are not TLS.
    Tls,
    /// Anything else the client reported.
    Other,
}

impl NetError {
    /// The short name used in the `fail_<kind>` counter of the text report.
    pub fn kind(self) -> &'static str {
        match self {
            NetError::ConnectionRefused => "ConnectionRefused",
            NetError::ConnectionReset => "ConnectionReset",
            NetError::ConnectionClosed => "ConnectionClosed",
            NetError::Timeout => "Timeout",
            NetError::MalformedResponse => "MalformedResponse",
            NetError::HostNotFound => "HostNotFound",
            NetError::Tls => "Tls",
            NetError::Other => "Other",
        }
    }

    /// Classifies an I/O error by its kind, for the models whose client reports plain
    /// [`std::io::Error`]s.
    pub fn from_io(e: &std::io::Error) -> NetError {
        use std::io::ErrorKind::*;
        match e.kind() {
            ConnectionRefused | NotConnected | AddrNotAvailable | HostUnreachable
            | NetworkUnreachable => NetError::ConnectionRefused,
            ConnectionReset | ConnectionAborted | BrokenPipe => NetError::ConnectionReset,
            UnexpectedEof => NetError::ConnectionClosed,
            TimedOut | WouldBlock => NetError::Timeout,
            InvalidData => NetError::MalformedResponse,
            _ => NetError::Other,
        }
    }
}

/// The codec's errors as the report shows them: a response cut short is `ConnectionClosed`
/// (ureq and reqwest say the same of a short body), anything unreadable `MalformedResponse`.
impl From<crate::http::HttpError> for NetError {
    fn from(e: crate::http::HttpError) -> NetError {
        use crate::http::HttpError;
        match e {
            HttpError::ShortBody => NetError::ConnectionClosed,
            HttpError::MalformedHead
            | HttpError::HeadTooLarge
            | HttpError::MalformedBody
            | HttpError::BadCoding => NetError::MalformedResponse,
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            NetError::ConnectionRefused => "connection refused",
            NetError::ConnectionReset => "connection reset by peer",
            NetError::ConnectionClosed => "connection closed before the response was complete",
            NetError::Timeout => "timed out",
            NetError::MalformedResponse => "malformed HTTP response",
            NetError::HostNotFound => "host not found",
            NetError::Tls => "TLS handshake failed",
            NetError::Other => "network error",
        };
        write!(f, "{}: {text}", self.kind())
    }
}

impl std::error::Error for NetError {}
