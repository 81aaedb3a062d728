//! One blocking HTTP GET, on one of two stacks ([`Http`]): ureq, a shared `Agent` (keep-alive
//! pool, no redirects, no proxy, the crawl's timeout) with the body read up to the cap and its
//! errors mapped onto [`NetError`] so every model reports the same failure the same way; or the
//! shared codec over `std::net::TcpStream` (`shared_http.rs`).

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};
use shared::http::{Coding, Content, Header, Response, Tls, is_resend};
use shared::{Config, NetError};
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, LazyBuffers};
use ureq::unversioned::transport::{NextTimeout, TcpConnector, Transport, TransportAdapter};
use url::Url;

use crate::shared_http::SharedClient;

/// The User-Agent of this model's requests.
pub(crate) const USER_AGENT: &str = concat!("crawler-models-threads/", env!("CARGO_PKG_VERSION"));

/// Which HTTP stack the workers fetch with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Http {
    /// ureq, what a user of blocking I/O would pick: its pool, no redirects, no proxy.
    #[default]
    Ureq,
    /// The shared HTTP/1.1 codec over `std::net::TcpStream`, with a small idle pool.
    Shared,
}

/// The HTTP client of a crawl: one of the two stacks, behind one `get`.
#[derive(Debug)]
pub enum Client {
    /// ureq.
    Ureq(UreqClient),
    /// The shared codec.
    Shared(SharedClient),
}

impl Client {
    /// The client of a crawl with `config`: its timeout per request, an idle pool with room
    /// for `--max-tasks`, and one TLS configuration ([`Tls`]) for every https connection.
    pub fn new(http: Http, config: &Config) -> Client {
        let (timeout, max_tasks) = (config.timeout(), config.max_tasks());
        let tls = Tls::new(config.ca_certs());
        match http {
            Http::Ureq => Client::Ureq(UreqClient::new(timeout, max_tasks, tls)),
            Http::Shared => Client::Shared(SharedClient::new(timeout, max_tasks, tls)),
        }
    }

    /// GETs `url` once: `Err` for a network failure of any kind, never a panic.
    pub fn get(&self, url: &Url) -> Result<Response, NetError> {
        match self {
            Client::Ureq(client) => client.get(url),
            Client::Shared(client) => client.get(url),
        }
    }
}

/// A blocking HTTP client shared by every worker thread.
///
/// `ureq::Agent` is `Send + Sync` and clones share one connection pool, so the workers reuse each
/// other's keep-alive connections, as aiohttp's `ClientSession` did for the chapter's crawler.
#[derive(Debug, Clone)]
pub struct UreqClient {
    agent: ureq::Agent,
}

impl UreqClient {
    /// A client whose pool can keep one idle connection per worker, speaking TLS as `tls`
    /// says.
    pub fn new(timeout: Duration, max_tasks: usize, tls: Tls) -> UreqClient {
        let config = ureq::Agent::config_builder()
            // The crawler records redirects and decides itself whether to follow them.
            .max_redirects(0)
            // A 404 is data, not an error.
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_idle_connections(max_tasks.max(1))
            .max_idle_connections_per_host(max_tasks.max(1))
            // ureq reads HTTP_PROXY and ALL_PROXY by default; a crawler of 127.0.0.1 behind a
            // proxy would miscount, and a benchmark would measure the proxy. No model uses one.
            .proxy(None)
            .user_agent(USER_AGENT)
            .build();
        let connector = Connect { tcp: TcpConnector::default(), tls };
        let agent = ureq::Agent::with_parts(config, connector, OnceResolver::default());
        UreqClient { agent }
    }

    /// GETs `url` once: `Err` for a network failure of any kind, never a panic.
    ///
    /// The keep-alive rule, which ureq does not apply itself: a request that ureq sent on a
    /// connection from its pool (no new connection was opened for it) and that failed before
    /// the response's head with a reset or an end of stream met a connection its server closed
    /// while it was idle. It is sent again at once, and that is not a try. ureq takes the next
    /// idle connection, or opens one; each stale one is dropped, so this ends.
    pub fn get(&self, url: &Url) -> Result<Response, NetError> {
        loop {
            OPENED.set(false);
            // Asked for as in every stack; ureq's own decompression is left off, and the body
            // is decoded by the shared rules (`read`).
            let request = self.agent.get(url.as_str()).header("Accept-Encoding", ACCEPT_ENCODING);
            match request.call() {
                Ok(response) => return read(response),
                Err(e) => {
                    let error = classify(e);
                    // A failure of `call` came before the response's head was complete.
                    if !is_resend(!OPENED.get(), false, error) {
                        return Err(error);
                    }
                    tracing::debug!("{url}: kept connection was closed ({error}); resending");
                }
            }
        }
    }
}

/// The content codings asked for, as the shared client asks.
const ACCEPT_ENCODING: &str = "gzip, br";

/// The response as the crawler takes it: the head's status and headers, and the body read up
/// to the cap, decoded by its content coding (a larger body is cut there, and the rest never
/// read).
fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Response, NetError> {
    let status = response.status().as_u16();
    let headers: Vec<Header> = response
        .headers()
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str().to_string(),
            value: value.as_bytes().to_vec(),
        })
        .collect();
    let mut body = Content::new(Coding::of(&headers), response.body().content_length());
    // A body kept as sent goes straight into place, sized from Content-Length: no copy.
    body.read_from(response.body_mut().as_reader()).map_err(|e| classify(ureq::Error::from(e)))?;
    // ureq read the body to its end, or the connection is dropped with the cut body.
    body.into_response(status, headers, true).map_err(NetError::from)
}

thread_local! {
    /// Whether the request under way on this thread opened a new connection: ureq connects on
    /// the thread that calls it, through [`Connect`].
    static OPENED: Cell<bool> = const { Cell::new(false) };
}

/// ureq's connector: a TCP connection, marked on the calling thread as opened (what tells a
/// request on a pooled connection from one on a new connection, which ureq does not say); then,
/// for https, TLS over it with the crawl's one rustls configuration ([`Tls`]), the one the
/// shared core and reqwest use, instead of the configuration ureq would build for itself.
#[derive(Debug)]
struct Connect {
    tcp: TcpConnector,
    tls: Tls,
}

impl Connector for Connect {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(tcp) = self.tcp.connect(details, chained)? else {
            return Ok(None);
        };
        OPENED.set(true);
        if !details.needs_tls() {
            return Ok(Some(tcp.boxed()));
        }
        let host = details.uri.host().unwrap_or_default();
        let mut conn = self.tls.connect(host).map_err(|_| ureq::Error::Tls("bad server name"))?;
        let mut sock = TransportAdapter::new(tcp.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        if let Err(e) = conn.complete_io(&mut sock) {
            tracing::debug!("{host}: TLS handshake: {e}");
            return Err(match e.kind() {
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    ureq::Error::Timeout(ureq::Timeout::Connect)
                }
                _ => ureq::Error::Tls("TLS handshake failed"),
            });
        }
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(TlsTransport { buffers, stream: StreamOwned::new(conn, sock) }.boxed()))
    }
}

/// A ureq transport over TLS: ureq's buffers, moved through a rustls stream.
struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = match self.stream.read(input) {
            // Closed without close_notify, as most servers close: HTTP's framing decides.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            read => read?,
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// ureq's resolver, asked once per host: names resolved once per crawl, as in every model.
///
/// ureq resolves the host of every request, even one sent on a pooled connection, and with a
/// timeout set it does so on a new thread each time (so that a slow lookup can be abandoned).
/// On the Rust docs that was 31,868 threads started and stopped for one crawl of 127.0.0.1:
/// `strace -f -c` counted as many `mmap`, `munmap`, `mprotect` and `set_robust_list` calls as
/// requests, and half of the crawl's CPU time was the kernel's.
#[derive(Debug, Default)]
struct OnceResolver {
    lookup: ureq::unversioned::resolver::DefaultResolver,
    /// Addresses by scheme and authority. Locked for a lookup in the map; a first lookup of a
    /// host is made under the lock, so two workers never resolve the same host at once.
    known: Mutex<HashMap<String, ResolvedSocketAddrs>>,
}

impl Resolver for OnceResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!("{:?}://{:?}", uri.scheme(), uri.authority());
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(addrs) = known.get(&key) {
            return Ok(addrs.clone());
        }
        let addrs = self.lookup.resolve(uri, config, timeout)?;
        known.insert(key, addrs.clone());
        Ok(addrs)
    }
}

/// Maps ureq's error onto the shared kinds.
fn classify(error: ureq::Error) -> NetError {
    match error {
        ureq::Error::Timeout(_) => NetError::Timeout,
        ureq::Error::HostNotFound => NetError::HostNotFound,
        ureq::Error::ConnectionFailed => NetError::ConnectionRefused,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => NetError::Tls,
        ureq::Error::Io(e) => NetError::from_io(&e),
        ureq::Error::Protocol(_)
        | ureq::Error::BadUri(_)
        | ureq::Error::LargeResponseHeader(..) => NetError::MalformedResponse,
        other => {
            tracing::debug!("unclassified client error: {other}");
            NetError::Other
        }
    }
}
