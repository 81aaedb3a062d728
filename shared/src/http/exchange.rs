//! [`Exchange`]: one request and its response on one connection, as data. A model hands it a
//! socket that can be read and written without waiting (or a blocking one with a timeout); the
//! exchange writes the request, reads and parses the answer, and says what to wait for next, or
//! how it ended: a [`Response`], a network error, or "send it again on a new connection" (the
//! keep-alive rule). Waiting is the model's business; everything else is here, once.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::time::Instant;

use rustls::ClientConnection;
use url::Url;

use super::tls::{Tls, Tunnel};
use super::{Parsed, Response, ResponseParser, write_request};
use crate::NetError;

/// Bytes read from a socket at a time, in every model. The bytes go from this buffer to the
/// response's body, sized from its Content-Length (the one copy), and the link scanner reads
/// the body where it is. 32 KiB: the Rust docs' pages average 16 KB, and with 16 KiB reads a
/// crawl of them made 1.7 reads a page; 32 KiB cut callback's CPU there by 6% (its system
/// time, 0.31 s to 0.26 s, against nginx), for 0.9 KiB more a thread at C10K (threads-shared,
/// 10,000 threads: 313.7 MB to 322.8 MB peak RSS; the buffer is one per thread, and only the
/// pages a read fills are touched).
pub const READ_BUFFER: usize = 32 * 1024;

thread_local! {
    /// The read buffer of this thread's exchanges, one per thread: [`Exchange::drive`] never
    /// waits, so no two drives on one thread overlap, and between drives a fetch holds no
    /// buffer at all, which is what keeps 10,000 waiting fetches small. Made once per thread,
    /// never cleared: the bytes left in it are never read.
    static READ: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUFFER].into_boxed_slice());
}

/// What the protocol knows of a connection beside its socket, kept with it in the idle pool:
/// its TLS state for an https connection, and how many responses it has carried (the
/// keep-alive rule needs it: only a *reused* connection may have been closed by its server
/// while it sat idle).
#[derive(Debug, Default)]
pub struct Session {
    responses: u64,
    /// The TLS layer of an https connection (boxed: a waiting plain-HTTP fetch stays small).
    tls: Option<Box<ClientConnection>>,
}

impl Session {
    /// A new plain-HTTP connection's: it has carried nothing yet.
    pub fn new() -> Session {
        Session::default()
    }

    /// A new connection's, for `url`: plain for http, and for https a TLS client whose
    /// handshake the first exchange makes (see [`Tls::connect`]).
    pub fn open(url: &Url, tls: &Tls) -> Result<Session, NetError> {
        let tls = match url.scheme() {
            "https" => Some(Box::new(tls.connect(url.host_str().unwrap_or_default())?)),
            _ => None,
        };
        Ok(Session { responses: 0, tls })
    }

    /// Whether the connection has carried a response before (it came from the idle pool).
    pub fn is_reused(&self) -> bool {
        self.responses > 0
    }
}

/// The keep-alive rule, the one place it is decided: whether a request that failed with
/// `error` is sent again at once on a new connection, and costs no try. It is when the
/// connection was `reused` (its server may have closed it while it sat idle), no byte of the
/// response had arrived (`answered` is false), and the failure is how such a close shows: a
/// reset, a broken pipe (both `ConnectionReset`) or the end of the stream (`ConnectionClosed`).
///
/// [`Exchange::failed`] asks it for the shared client; the ureq and reqwest adapters ask it for
/// a failure of their library before the response's head.
///
/// # Examples
/// ```
/// use shared::NetError;
/// use shared::http::is_resend;
/// assert!(is_resend(true, false, NetError::ConnectionClosed));
/// assert!(!is_resend(false, false, NetError::ConnectionReset), "a new connection: a try");
/// assert!(!is_resend(true, true, NetError::ConnectionReset), "the server answered: a try");
/// assert!(!is_resend(true, false, NetError::Timeout), "a silent server closed nothing");
/// ```
pub fn is_resend(reused: bool, answered: bool, error: NetError) -> bool {
    let closed = matches!(error, NetError::ConnectionReset | NetError::ConnectionClosed);
    reused && !answered && closed
}

/// What an exchange waits for when the socket would block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Room in the send buffer: the request is not all written.
    Writable,
    /// Bytes to read: the response is not all here.
    Readable,
}

/// How an exchange ended.
#[derive(Debug)]
pub enum Ended {
    /// A complete response (the connection may go back to the pool if it is `reusable`).
    Response(Response),
    /// A network failure: one try of the URL spent.
    Failed(NetError),
    /// The connection was reused, and it failed before any byte of a response arrived (reset,
    /// end of stream, broken pipe): its server had closed it while it was idle. The same request
    /// goes again, at once, on a new connection, and that is not a try.
    Resend,
}

/// One step of [`Exchange::drive`].
#[derive(Debug)]
pub enum Step {
    /// The socket would block: call `drive` again once it is ready for this.
    Wait(Wait),
    /// The exchange is over.
    Done(Ended),
}

/// One GET on one connection: the request bytes still to write, the parser of the response, and
/// the deadline, with the keep-alive rule applied to its failures.
///
/// # Examples
///
/// A server that answers on a reused connection; then one that closed it while it was idle:
///
/// ```
/// use std::io::{Cursor, Read, Write};
/// use std::time::{Duration, Instant};
/// use shared::http::{Exchange, Ended, Session, Step};
///
/// /// A socket whose peer sends `answer`, and takes whatever is written.
/// struct Peer(Cursor<Vec<u8>>);
/// impl Read for Peer {
///     fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> { self.0.read(buf) }
/// }
/// impl Write for Peer {
///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> { Ok(buf.len()) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let url = url::Url::parse("http://127.0.0.1/").unwrap();
/// let deadline = Instant::now() + Duration::from_secs(10);
/// let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec();
/// let mut exchange = Exchange::new(&url, "bot", Session::new(), deadline);
/// let Step::Done(Ended::Response(response)) = exchange.drive(&mut Peer(Cursor::new(answer)))
/// else { panic!() };
/// assert_eq!((response.status, response.reusable), (200, true));
/// let session = exchange.into_session();
/// assert!(session.is_reused());
///
/// // The next request on it meets the end of the stream before any byte: send it again.
/// let mut exchange = Exchange::new(&url, "bot", session, deadline);
/// let step = exchange.drive(&mut Peer(Cursor::new(Vec::new())));
/// assert!(matches!(step, Step::Done(Ended::Resend)));
/// ```
#[derive(Debug)]
pub struct Exchange {
    /// The request bytes not written yet (emptied, and freed, once all are out).
    unsent: Vec<u8>,
    written: usize,
    parser: ResponseParser,
    /// Whether the response's head was complete: it stays so when the body then fails.
    head_read: bool,
    session: Session,
    deadline: Instant,
}

impl Exchange {
    /// A GET for `url` on a connection whose state is `session` (a new one's, or the one the
    /// pool kept), to be over by `deadline`.
    pub fn new(url: &Url, user_agent: &str, session: Session, deadline: Instant) -> Exchange {
        let mut unsent = Vec::with_capacity(128);
        write_request(&mut unsent, url, user_agent);
        let parser = ResponseParser::new();
        Exchange { unsent, written: 0, parser, head_read: false, session, deadline }
    }

    /// When the exchange must be over: a model that waits past it ends it with
    /// [`Exchange::timed_out`].
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the response's head was complete (the body was being read, or is read): for a
    /// model's log line, which says whether a failure came while reading the head or the body.
    pub fn in_body(&self) -> bool {
        self.head_read
    }

    /// Whether the connection's TLS handshake is under way (an https connection, new): for a
    /// model's log line, as [`Exchange::in_body`].
    pub fn in_handshake(&self) -> bool {
        self.session.tls.as_ref().is_some_and(|tls| tls.is_handshaking())
    }

    /// Whether the request is all written.
    pub fn is_sent(&self) -> bool {
        self.unsent.is_empty()
    }

    /// Moves bytes between `io` and the exchange until `io` would block or the exchange is
    /// over: writes what is left of the request, then reads what has arrived and feeds it to
    /// the parser.
    ///
    /// `io` is the model's socket: a non-blocking one (`WouldBlock` gives [`Step::Wait`]), or a
    /// blocking one with timeouts set (a timeout gives `Step::Wait` too; the model then checks
    /// the deadline). A read of 0 bytes is the end of the stream. Bytes that keep coming past
    /// the deadline end the exchange with a timeout, as a wait past it would.
    ///
    /// On an https connection the bytes go through the session's TLS layer: the handshake is
    /// made on the way, and a TLS failure ends the exchange with [`NetError::Tls`].
    pub fn drive(&mut self, io: &mut (impl Read + Write)) -> Step {
        let Some(mut tls) = self.session.tls.take() else {
            return self.drive_on(io);
        };
        let mut tunnel = Tunnel::new(&mut tls, io);
        let step = self.drive_on(&mut tunnel);
        let (wants_write, failed) = (tunnel.wants_write(), tunnel.failed());
        self.session.tls = Some(tls);
        match step {
            Step::Wait(Wait::Readable) if wants_write => Step::Wait(Wait::Writable),
            Step::Done(Ended::Failed(error)) if failed => {
                tracing::debug!("TLS failure ({error})");
                Step::Done(Ended::Failed(NetError::Tls))
            }
            step => step,
        }
    }

    /// [`Exchange::drive`] on the bytes of HTTP: the socket itself, or the TLS layer over it.
    fn drive_on(&mut self, io: &mut (impl Read + Write)) -> Step {
        while self.written < self.unsent.len() {
            match io.write(&self.unsent[self.written..]) {
                Ok(0) => return Step::Done(self.failed(NetError::ConnectionReset)),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Step::Wait(Wait::Writable);
                }
                Err(e) => return Step::Done(self.failed(NetError::from_io(&e))),
            }
        }
        if !self.unsent.is_empty() {
            self.unsent = Vec::new();
            self.written = 0;
        }
        READ.with_borrow_mut(|buf| self.read(io, buf))
    }

    /// The reading half of [`Exchange::drive`]: reads into `buf` and feeds the parser until the
    /// socket would block or the response is complete.
    fn read(&mut self, io: &mut impl Read, buf: &mut [u8]) -> Step {
        loop {
            let fed = match io.read(buf) {
                Ok(0) => self.parser.eof().map(Parsed::Done),
                Ok(n) => {
                    let fed = self.parser.feed(&buf[..n]);
                    self.head_read |= self.parser.in_body();
                    fed
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Step::Wait(Wait::Readable);
                }
                Err(e) => return Step::Done(self.failed(NetError::from_io(&e))),
            };
            match fed {
                // A body that trickles in never makes a read wait: the deadline is checked
                // between reads too (one look at the clock, no waiting).
                Ok(Parsed::NeedMore) if Instant::now() >= self.deadline => {
                    return Step::Done(self.timed_out());
                }
                Ok(Parsed::NeedMore) => {}
                Ok(Parsed::Done(response)) => {
                    self.session.responses += 1;
                    return Step::Done(Ended::Response(response));
                }
                Err(e) => return Step::Done(self.failed(e.into())),
            }
        }
    }

    /// The outcome of an exchange whose deadline passed: a failed try (never a resend: a server
    /// that says nothing has not closed anything).
    pub fn timed_out(&self) -> Ended {
        Ended::Failed(NetError::Timeout)
    }

    /// The outcome of a failure of the connection itself, seen by the model rather than by
    /// [`Exchange::drive`] (an error registering the socket, say): the keep-alive rule applies.
    pub fn failed(&self, error: NetError) -> Ended {
        if is_resend(self.session.is_reused(), self.parser.started(), error) {
            Ended::Resend
        } else {
            Ended::Failed(error)
        }
    }

    /// The connection's state after the exchange, to keep beside its socket in the pool.
    pub fn into_session(self) -> Session {
        self.session
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::time::Duration;

    use super::*;

    /// A socket double: reads come from a script of results, writes are taken in pieces of at
    /// most `write_room` bytes (0: the send buffer is full).
    struct Script {
        reads: Vec<io::Result<Vec<u8>>>,
        write_room: usize,
        written: Vec<u8>,
        write_error: Option<io::ErrorKind>,
    }

    impl Script {
        fn answering(reads: Vec<io::Result<Vec<u8>>>) -> Script {
            Script { reads, write_room: usize::MAX, written: Vec::new(), write_error: None }
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.reads.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let bytes = self.reads.remove(0)?;
            let n = bytes.len().min(buf.len());
            Cursor::new(&bytes[..n]).read_exact(&mut buf[..n])?;
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(kind) = self.write_error {
                return Err(kind.into());
            }
            if self.write_room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.write_room);
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    fn exchange(session: Session) -> Exchange {
        let url = Url::parse("http://127.0.0.1:8080/a").unwrap();
        Exchange::new(&url, "test", session, Instant::now() + Duration::from_secs(5))
    }

    fn reused() -> Session {
        Session { responses: 1, tls: None }
    }

    /// A request written a few bytes at a time, then a response in two reads, with a wait in
    /// between: each wait says what it waits for, and the bytes written are the whole request.
    #[test]
    fn writes_then_reads_through_waits() {
        let mut ex = exchange(Session::new());
        let mut io = Script::answering(vec![]);
        io.write_room = 0;
        assert!(matches!(ex.drive(&mut io), Step::Wait(Wait::Writable)));
        io.write_room = 7;
        assert!(matches!(ex.drive(&mut io), Step::Wait(Wait::Readable)));
        assert!(ex.is_sent());
        assert!(io.written.starts_with(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
        assert!(io.written.ends_with(b"\r\n\r\n"));
        io.reads = vec![Ok(OK[..20].to_vec())];
        assert!(matches!(ex.drive(&mut io), Step::Wait(Wait::Readable)));
        assert!(!ex.in_body());
        io.reads = vec![Ok(OK[20..].to_vec())];
        let Step::Done(Ended::Response(r)) = ex.drive(&mut io) else { panic!() };
        assert_eq!((r.status, &r.body[..], r.reusable), (200, &b"hello"[..], true));
        assert!(ex.into_session().is_reused());
    }

    /// The keep-alive rule: on a reused connection, a reset, an end of stream or a broken pipe
    /// before any byte of the response is a resend; on a new connection each is a failed try.
    #[test]
    fn closed_while_idle_is_a_resend_only_on_a_reused_connection() {
        let failing = |what: &str| match what {
            "eof" => Script::answering(vec![Ok(vec![])]),
            "reset" => Script::answering(vec![Err(io::ErrorKind::ConnectionReset.into())]),
            _ => {
                Script { write_error: Some(io::ErrorKind::BrokenPipe), ..Script::answering(vec![]) }
            }
        };
        for what in ["eof", "reset", "broken pipe"] {
            let step = exchange(reused()).drive(&mut failing(what));
            assert!(matches!(step, Step::Done(Ended::Resend)), "{what}: {step:?}");
            let step = exchange(Session::new()).drive(&mut failing(what));
            assert!(matches!(step, Step::Done(Ended::Failed(_))), "{what}: {step:?}");
        }
    }

    /// Once a byte of the response has arrived, a reset or a cut on a reused connection is a
    /// failed try: the server did answer, and a resend could fetch the URL twice.
    #[test]
    fn after_the_first_byte_a_failure_is_a_try() {
        for last in [Ok(vec![]), Err(io::ErrorKind::ConnectionReset.into())] {
            let mut io = Script::answering(vec![Ok(b"HTTP/1.1 2".to_vec()), last]);
            let step = exchange(reused()).drive(&mut io);
            assert!(matches!(step, Step::Done(Ended::Failed(_))), "{step:?}");
        }
    }

    /// Garbage, a timeout and a refused connection are never resent, reused or not.
    #[test]
    fn other_failures_are_tries() {
        let mut io = Script::answering(vec![Ok(b"\x00\x01 not http\r\n\r\n".to_vec())]);
        let step = exchange(reused()).drive(&mut io);
        assert!(matches!(step, Step::Done(Ended::Failed(NetError::MalformedResponse))));
        let ex = exchange(reused());
        assert!(matches!(ex.timed_out(), Ended::Failed(NetError::Timeout)));
        assert!(matches!(ex.failed(NetError::ConnectionRefused), Ended::Failed(_)));
        assert!(matches!(ex.failed(NetError::ConnectionClosed), Ended::Resend));
    }
}
