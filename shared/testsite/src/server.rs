//! The test site's HTTP server: hyper 1 on a tokio runtime of its own thread, so that blocking
//! crawlers, event loops and async crawlers can all talk to it from a test. It counts requests
//! per path and the peak of simultaneous requests, and stops when its handle is dropped.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use url::Url;

use crate::faulty::{ConnCtl, FaultyStream, Tcp};
use crate::site::REDIRECT_CONTENT_TYPE;
use crate::tls::{SiteTls, TlsFault, Transport};
use crate::{Fault, Resource, Site, SiteBody};

/// Longest wait at the barrier before letting a request through anyway.
const BARRIER_WAIT: Duration = Duration::from_secs(10);

/// Longest wait for a client's ClientHello at a site that breaks handshakes.
const HELLO_WAIT: Duration = Duration::from_secs(10);

/// One request's arrival at the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// When its head arrived.
    pub at: Instant,
    /// Its path, with the query.
    pub path: String,
    /// Whether it was the first on its connection: then the client's connect (and TLS
    /// handshake) came between its start and `at`, and `at` is late by that much.
    pub new_connection: bool,
}

/// A running test site. Dropping it stops the server (and ends any request still waiting).
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    /// Whether the site is served over TLS (its URLs are https).
    tls: bool,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct State {
    site: Site,
    /// How connections speak TLS, if they do: the site's own setting, or the suite's.
    tls: Option<SiteTls>,
    /// Requests per path (with query). A std `Mutex`: held for one map update, never across an
    /// `.await`.
    counts: Mutex<HashMap<String, usize>>,
    /// When each request arrived, in order: the spacing a polite crawl keeps.
    starts: Mutex<Vec<Start>>,
    /// Notified at every request, for [`ServerHandle::wait_for_requests`].
    counted: Condvar,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    connections: AtomicUsize,
    /// TLS handshakes that resumed an earlier session instead of a full handshake.
    resumed: AtomicUsize,
    /// Body bytes of the responses held in memory, as sent (compressed or not).
    body_bytes: AtomicU64,
    /// Responses sent in a content coding.
    compressed: AtomicUsize,
    /// Each page's body in the site's coding, made at its first request.
    encoded: Mutex<HashMap<String, Bytes>>,
    /// Flips to true once the barrier's count of simultaneous requests has been reached.
    released: watch::Sender<bool>,
}

impl Site {
    /// Serves the site on `addr` (`"127.0.0.1:0"` for an ephemeral port) until the handle is
    /// dropped: over TLS if the site says so ([`Site::tls`]), or if it says nothing and this
    /// thread runs inside [`tls::over_tls`](crate::tls::over_tls).
    ///
    /// # Examples
    /// ```
    /// let site = testsite::Site::new().page("/", &["/a"]);
    /// let server = site.serve("127.0.0.1:0").unwrap();
    /// assert!(server.url().as_str().starts_with("http://127.0.0.1:"));
    /// assert_eq!(server.requests("/"), 0);
    /// ```
    pub fn serve(&self, addr: &str) -> io::Result<ServerHandle> {
        self.serve_socket(bind(addr)?)
    }

    /// [`serve`](Self::serve) on a socket already bound ([`bind_ports`]).
    pub fn serve_socket(&self, socket: TcpSocket) -> io::Result<ServerHandle> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("testsite")
            .enable_all()
            .build()?;
        // Listening before `serve` returns: a client may connect at once.
        let listener = {
            let _in_runtime = runtime.enter();
            socket.listen(BACKLOG)?
        };
        let addr = listener.local_addr()?;
        let tls = match &self.tls {
            Transport::Tls(tls) => Some(tls.clone()),
            Transport::Plain => None,
            Transport::AsTheThreadSays => {
                crate::tls::suite_authority().map(|authority| SiteTls::new(&authority, None))
            }
        };
        let state = Arc::new(State {
            site: self.clone(),
            tls: tls.clone(),
            counts: Mutex::new(HashMap::new()),
            starts: Mutex::new(Vec::new()),
            counted: Condvar::new(),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            resumed: AtomicUsize::new(0),
            body_bytes: AtomicU64::new(0),
            compressed: AtomicUsize::new(0),
            encoded: Mutex::new(HashMap::new()),
            released: watch::Sender::new(false),
        });
        let (shutdown, stopped) = oneshot::channel();
        let accept_state = state.clone();
        let thread =
            std::thread::Builder::new().name("testsite-accept".into()).spawn(move || {
                runtime.block_on(accept_loop(listener, accept_state, stopped));
                // Requests that never answer are still parked: drop them instead of waiting.
                runtime.shutdown_background();
            })?;
        let tls = tls.is_some();
        Ok(ServerHandle { addr, tls, state, shutdown: Some(shutdown), thread: Some(thread) })
    }
}

impl ServerHandle {
    /// The site's root URL, `http://127.0.0.1:PORT/` (`https://` over TLS).
    pub fn url(&self) -> Url {
        let scheme = if self.tls { "https" } else { "http" };
        // Cannot fail: an IP address and a port always make a valid URL.
        Url::parse(&format!("{scheme}://{}/", self.addr)).expect("valid URL")
    }

    /// Whether the site is served over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received for `path` (with query, as in `/a?b=c`).
    pub fn requests(&self, path: &str) -> usize {
        let counts = self.state.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(path).copied().unwrap_or(0)
    }

    /// Requests received in all.
    pub fn total_requests(&self) -> usize {
        let counts = self.state.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.values().sum()
    }

    /// Blocks until the server has received `n` requests in all, or `timeout` passes; returns
    /// whether it got them. Lets a test act on the event "the crawl is under way" without
    /// sleeping and hoping.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let counts = self.state.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let (counts, _) = self
            .state
            .counted
            .wait_timeout_while(counts, timeout, |c| c.values().sum::<usize>() < n)
            .unwrap_or_else(PoisonError::into_inner);
        counts.values().sum::<usize>() >= n
    }

    /// When each request arrived, with its path (and query), in arrival order.
    pub fn starts(&self) -> Vec<Start> {
        self.state.starts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The most requests ever in flight at once (from arrival to the response head).
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak.load(Ordering::SeqCst)
    }

    /// The counts a stopping site server prints (the `testsite` binary, `compare`'s own server),
    /// which `compare` reads back: "stopped after N requests on M connections, at most K in
    /// flight at once".
    pub fn summary(&self) -> String {
        format!(
            "stopped after {} requests on {} connections, at most {} in flight at once",
            self.total_requests(),
            self.connections(),
            self.peak_in_flight()
        )
    }

    /// Body bytes sent in the responses held in memory (pages, compressed or not; not the
    /// generated bodies of faults): how `--compress` shows on the wire.
    pub fn body_bytes(&self) -> u64 {
        self.state.body_bytes.load(Ordering::SeqCst)
    }

    /// Responses sent in a content coding.
    pub fn compressed_responses(&self) -> usize {
        self.state.compressed.load(Ordering::SeqCst)
    }

    /// TLS handshakes that resumed a session of an earlier connection (a short handshake, no
    /// certificate sent) instead of a full one.
    pub fn resumed_handshakes(&self) -> usize {
        self.state.resumed.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far (keep-alive shows as far fewer than requests).
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Connections waiting to be accepted, at most (the kernel caps it at `net.core.somaxconn`).
///
/// The standard library listens with a backlog of 128. A crawl at `--max-tasks 1000` opens a
/// thousand connections at once; past the backlog the kernel drops the SYNs, and each client
/// waits for its TCP retransmission, a whole second, which a benchmark then blames on the model.
const BACKLOG: u32 = 65_535;

/// `n` sockets bound to ephemeral ports of 127.0.0.1, not listening yet, and their ports: a
/// site that links across several ports (several hosts to politeness) is made once the ports
/// are known, then served on each with [`Site::serve_socket`].
pub fn bind_ports(n: usize) -> io::Result<Vec<(TcpSocket, u16)>> {
    (0..n)
        .map(|_| {
            let socket = bind("127.0.0.1:0")?;
            let port = socket.local_addr()?.port();
            Ok((socket, port))
        })
        .collect()
}

/// A socket bound to `addr` (the first address it resolves to), not yet listening.
fn bind(addr: &str) -> io::Result<TcpSocket> {
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind"))?;
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // As std's `TcpListener::bind` does on Unix: a restarted site can take its port back.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: oneshot::Receiver<()>) {
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        state.connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(serve_connection(state.clone(), tcp));
    }
}

async fn serve_connection(state: Arc<State>, tcp: TcpStream) {
    match &state.tls {
        None => serve_http(state, tcp).await,
        Some(SiteTls::Serve(config)) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
            // A failed handshake is the client's to report: nothing to serve.
            if let Ok(tls) = acceptor.accept(tcp).await {
                if tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                    state.resumed.fetch_add(1, Ordering::SeqCst);
                }
                serve_http(state, tls).await;
            }
        }
        Some(SiteTls::Break(fault)) => break_handshake(tcp, *fault).await,
    }
}

/// Reads the client's first flight (its ClientHello), then closes the connection, or answers
/// it with bytes that are not TLS and closes.
async fn break_handshake(mut tcp: TcpStream, fault: TlsFault) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut hello = [0u8; 4096];
    if let Ok(Ok(_)) = tokio::time::timeout(HELLO_WAIT, tcp.read(&mut hello)).await
        && fault == TlsFault::GarbageServerHello
    {
        let _ = tcp.write_all(crate::faulty::GARBAGE).await;
        let _ = tcp.flush().await;
    }
}

async fn serve_http<S: Tcp + Send + 'static>(state: Arc<State>, stream: S) {
    let ctl = Arc::new(ConnCtl::default());
    let io = TokioIo::new(FaultyStream { inner: stream, ctl: ctl.clone(), garbage_sent: false });
    let keep_alive = state.site.keep_alive;
    let service = service_fn(move |req| answer(state.clone(), ctl.clone(), req));
    // An error here is a fault we injected or a client that went away: nothing to report.
    let _ = http1::Builder::new().keep_alive(keep_alive).serve_connection(io, service).await;
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(state: &'a State) -> (InFlight<'a>, usize) {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak.fetch_max(now, Ordering::SeqCst);
        (InFlight(state), now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Closes the connection without a response (hyper drops a connection whose service fails).
#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed on purpose")
    }
}

impl std::error::Error for CloseConnection {}

async fn answer(
    state: Arc<State>,
    ctl: Arc<ConnCtl>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<SiteBody>, CloseConnection> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let accept_encoding = req.headers().get(hyper::header::ACCEPT_ENCODING);
    let coding = state
        .site
        .compress
        .filter(|coding| coding.accepted_by(accept_encoding.and_then(|v| v.to_str().ok())));
    let count = {
        let mut counts = state.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(path.clone()).or_default();
        *n += 1;
        let n = *n;
        drop(counts);
        let new_connection = ctl.requests.fetch_add(1, Ordering::SeqCst) == 0;
        let start = Start { at: Instant::now(), path: path.clone(), new_connection };
        state.starts.lock().unwrap_or_else(PoisonError::into_inner).push(start);
        state.counted.notify_all();
        n
    };
    let (_in_flight, now) = InFlight::enter(&state);
    if let Some(n) = state.site.barrier.filter(|_| path != "/") {
        if now >= n {
            state.released.send_replace(true);
        }
        let mut released = state.released.subscribe();
        let _ = tokio::time::timeout(BARRIER_WAIT, released.wait_for(|r| *r)).await;
    }
    if let Some(k) = state.site.close_idle_after {
        // Counted when the request comes; its answer is the k-th on this connection.
        if ctl.responses.fetch_add(1, Ordering::SeqCst) + 1 >= k {
            ctl.close_on_next_request.store(true, Ordering::SeqCst);
        }
    }
    let latency = state.site.latency_of(&path);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(mut resource) = state.site.get(&path) else {
        return Ok(respond(404, Some("text/html"), SiteBody::full(&b"<h1>404 Not Found</h1>"[..])));
    };
    loop {
        return Ok(match resource {
            Resource::Page { status, content_type, body, .. } => match coding {
                Some(coding) => {
                    let encoded = encoded(&state, &path, coding, body);
                    state.body_bytes.fetch_add(encoded.len() as u64, Ordering::SeqCst);
                    state.compressed.fetch_add(1, Ordering::SeqCst);
                    let mut response =
                        respond(*status, content_type.as_deref(), SiteBody::full(encoded));
                    encoded_as(&mut response, coding.name());
                    response
                }
                None => {
                    state.body_bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
                    respond(*status, content_type.as_deref(), SiteBody::full(body.clone()))
                }
            },
            Resource::Fault(Fault::GzipBomb { inflated }) => {
                let bomb = crate::compress::gzip_bomb(*inflated);
                let mut response = respond(200, Some("text/html"), SiteBody::full(bomb));
                encoded_as(&mut response, "gzip");
                response
            }
            Resource::Fault(Fault::CorruptGzip) => {
                let page = crate::generate::html_page(&path, &[], "", 0);
                let corrupt = crate::compress::corrupt_gzip(page.as_bytes());
                let mut response = respond(200, Some("text/html"), SiteBody::full(corrupt));
                encoded_as(&mut response, "gzip");
                response
            }
            Resource::Redirect { status, location } => {
                let body = format!("<a href=\"{location}\">moved</a>");
                let mut response =
                    respond(*status, Some(REDIRECT_CONTENT_TYPE), SiteBody::full(body));
                if let Ok(value) = location.parse() {
                    response.headers_mut().insert(hyper::header::LOCATION, value);
                }
                response
            }
            Resource::Fault(Fault::Reset) => {
                ctl.reset.store(true, Ordering::SeqCst);
                return Err(CloseConnection);
            }
            Resource::Fault(Fault::CloseMidBody { len }) => {
                let body = SiteBody::generated(*len as u64, (*len / 2) as u64, None, true);
                respond(200, Some("text/html"), body)
            }
            Resource::Fault(Fault::NeverAnswer) => std::future::pending().await,
            Resource::Fault(Fault::Garbage) => {
                ctl.garbage.store(true, Ordering::SeqCst);
                let mut response = respond(200, Some("text/html"), SiteBody::full(Bytes::new()));
                let close = hyper::header::HeaderValue::from_static("close");
                response.headers_mut().insert(hyper::header::CONNECTION, close);
                response
            }
            Resource::Fault(Fault::Huge { len }) => respond(
                200,
                Some("application/octet-stream"),
                SiteBody::generated(*len, *len, None, false),
            ),
            Resource::Fault(Fault::Trickle { len, chunk, interval }) => {
                let body =
                    SiteBody::generated(*len as u64, *len as u64, Some((*chunk, *interval)), false);
                respond(200, Some("text/html"), body)
            }
            Resource::Fault(Fault::FlakyClose { failures, then }) => {
                if count <= *failures {
                    return Err(CloseConnection);
                }
                resource = then;
                continue;
            }
        });
    }
}

/// The body of the page at `path` in `coding`: encoded at its first request, then kept.
fn encoded(state: &State, path: &str, coding: crate::compress::Coding, body: &Bytes) -> Bytes {
    let known = state.encoded.lock().unwrap_or_else(PoisonError::into_inner).get(path).cloned();
    known.unwrap_or_else(|| {
        // Encoded outside the lock: two first requests may both encode it, the same way.
        let encoded = coding.encode(body);
        let mut cache = state.encoded.lock().unwrap_or_else(PoisonError::into_inner);
        cache.insert(path.to_string(), encoded.clone());
        encoded
    })
}

/// Marks `response` as sent in the content coding `name`.
fn encoded_as(response: &mut Response<SiteBody>, name: &'static str) {
    let headers = response.headers_mut();
    headers.insert(hyper::header::CONTENT_ENCODING, hyper::header::HeaderValue::from_static(name));
    headers.insert(hyper::header::VARY, hyper::header::HeaderValue::from_static("accept-encoding"));
}

fn respond(status: u16, content_type: Option<&str>, body: SiteBody) -> Response<SiteBody> {
    let mut response = Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(value) = content_type.and_then(|ct| ct.parse().ok()) {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// The server holds thousands of connections open at once: 2,000 clients connect, all send a
    /// request, and every one gets its answer.
    #[test]
    fn thousands_of_simultaneous_connections() {
        // Client and server ends in one process: about 4,000 descriptors, more than the usual
        // soft limit of 1,024. Raise it to the hard limit; below 4,200 even then, fail: a
        // skipped test would pass without testing anything.
        let limit = crate::raise_fd_limit().expect("raise RLIMIT_NOFILE");
        assert!(limit >= 4_200, "the hard limit on open files is {limit}; this test needs 4,200");
        let server = Site::new().page("/", &[]).serve("127.0.0.1:0").unwrap();
        let mut clients: Vec<std::net::TcpStream> =
            (0..2_000).map(|_| std::net::TcpStream::connect(server.addr()).unwrap()).collect();
        for c in &mut clients {
            c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
        }
        for c in &mut clients {
            let mut answer = String::new();
            c.read_to_string(&mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        }
        assert_eq!(server.requests("/"), 2_000);
        assert_eq!(server.connections(), 2_000);
    }

    /// A body cut mid-way reaches the client as its head and the first half, then the close,
    /// even when it is small enough to sit in hyper's write buffer.
    #[test]
    fn close_mid_body_sends_half() {
        let site = Site::new().fault("/cut", Fault::CloseMidBody { len: 1_000 });
        let server = site.serve("127.0.0.1:0").unwrap();
        let mut c = std::net::TcpStream::connect(server.addr()).unwrap();
        c.write_all(b"GET /cut HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
        assert!(head.starts_with("HTTP/1.1 200 OK") && head.contains("content-length: 1000"));
        assert_eq!(body.len(), 500);
    }

    /// A keep-alive connection serves many requests, and dropping the handle stops the server.
    #[test]
    fn keep_alive_and_stop_on_drop() {
        let server = Site::new().page("/a", &[]).serve("127.0.0.1:0").unwrap();
        let addr = server.addr();
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        for _ in 0..3 {
            c.write_all(b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            while !answer.ends_with(b"</html>\n") {
                let n = c.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed early");
                answer.extend_from_slice(&buf[..n]);
            }
            assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        }
        assert_eq!((server.requests("/a"), server.connections()), (3, 1));
        drop(server);
        assert!(std::net::TcpStream::connect(addr).is_err(), "stopped when dropped");
    }
}
