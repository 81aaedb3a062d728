//! [`SharedHttp`]: the shared HTTP client core (`shared::http`) driven over an async TCP stream
//! ([`Conn`]: tokio's, or the hand-made runtime's). All this file does is wait: the core's
//! exchange says whether it needs the socket readable or writable, and the task `.await`s that.
//! A fetch that waits holds no buffer: the core reads into one on its stack, between awaits.

use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use shared::http::is_open_by_peek;
use shared::http::{Address, Ended, Exchange, Name, Pool, Response, Session, Step, Tls, Wait};
use shared::{Config, NetError};
use url::Url;

use crate::crawler::Mode;
use crate::parts::{Exclusive, HttpClient, USER_AGENT};

/// An async TCP connection, as the core needs one: whatever runtime's sockets these are.
pub trait Conn: Sized {
    /// The addresses of `host`.
    fn resolve(host: &str, port: u16) -> impl Future<Output = io::Result<Vec<SocketAddr>>>;
    /// A new connection to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self>>;
    /// Waits until the socket is ready for `wait` (a read or a write would not block).
    fn ready(&mut self, wait: Wait) -> impl Future<Output = io::Result<()>>;
    /// Reads what has arrived, without waiting (`WouldBlock` if nothing has).
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes what the send buffer takes of `bufs`, in one system call, without waiting
    /// (`WouldBlock` if it is full): TLS hands over several records at once, and written one
    /// by one the small ones would wait for the peer's delayed acknowledgement (Nagle's rule).
    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
}

/// Tokio's socket.
impl Conn for tokio::net::TcpStream {
    async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // tokio runs `getaddrinfo` on its blocking pool, so the runtime goes on meanwhile.
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        // As reqwest and ureq do: a request never waits for an acknowledgement to go out.
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn ready(&mut self, wait: Wait) -> io::Result<()> {
        match wait {
            Wait::Readable => self.readable().await,
            Wait::Writable => self.writable().await,
        }
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        tokio::net::TcpStream::try_read(self, buf)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        tokio::net::TcpStream::try_write_vectored(self, bufs)
    }
}

/// The hand-made runtime's socket.
impl Conn for crate::handmade::TcpStream {
    async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The one blocking call of that runtime, as in the chapter: once per host.
        Self::resolve(host, port)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self> {
        Self::connect(addr).await
    }

    async fn ready(&mut self, wait: Wait) -> io::Result<()> {
        match wait {
            Wait::Readable => self.readable().await,
            Wait::Writable => self.writable().await,
        }
        Ok(())
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Self::try_read(self, buf)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Self::try_write_vectored(self, bufs)
    }
}

/// A [`Conn`] as the core's exchange takes a socket: `Read` and `Write` that never wait.
struct NoWait<'a, S>(&'a mut S);

impl<S: Conn> Read for NoWait<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl<S: Conn> Write for NoWait<'_, S> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.try_write_vectored(&[IoSlice::new(bytes)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The shared core as a client: its pool, guarded as the runtime's mode says.
pub struct SharedHttp<M: Mode, S> {
    /// Names resolved once and idle connections (a `RefCell` on one thread, a `Mutex` across
    /// threads), held for one call on the pool, never across an `.await`.
    pool: M::Cell<Pool<S>>,
    /// How long one request may take, body included.
    timeout: Duration,
    /// The crawl's TLS settings, for each new https connection.
    tls: Tls,
}

impl<M: Mode, S> std::fmt::Debug for SharedHttp<M, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.pool.with(|pool| pool.idle());
        f.debug_struct("SharedHttp").field("idle", &idle).field("timeout", &self.timeout).finish()
    }
}

impl<M: Mode, S: Conn> SharedHttp<M, S> {
    /// The client of a crawl with `config`: requests take at most its timeout, at most
    /// `--max-tasks` idle connections are kept per origin, and every https connection speaks
    /// TLS as its [`Tls`] says.
    pub fn new(config: &Config) -> Self {
        let pool = Exclusive::new(Pool::new(config.max_tasks()));
        SharedHttp { pool, timeout: config.timeout(), tls: Tls::new(config.ca_certs()) }
    }

    /// One GET: an idle connection or a new one, then the exchange, awaiting whatever it waits
    /// for; a reusable connection goes back to the pool, and a request that met a connection
    /// closed while idle goes again on a new one.
    pub async fn get(&self, url: &Url) -> Result<Response, NetError> {
        let addr = self.address(url).await?;
        // After a resend, a new connection: the kept ones may all have been closed alike.
        let mut reuse = true;
        loop {
            let kept = reuse.then(|| self.pool.with(|pool| pool.take(url, is_open))).flatten();
            let (mut stream, session) = match kept {
                Some(kept) => kept,
                None => {
                    let stream = S::connect(addr).await.map_err(|e| NetError::from_io(&e))?;
                    (stream, Session::open(url, &self.tls)?)
                }
            };
            // The crawler bounds the whole `get` with its timeout; this deadline bounds the
            // exchange's own reads (a body that trickles in never makes a read wait).
            let deadline = Instant::now() + self.timeout;
            let mut exchange = Exchange::new(url, USER_AGENT, session, deadline);
            let ended = loop {
                // What to wait for, in a statement of its own: the step (which can hold a
                // whole response) is gone before the `.await`, instead of being kept, as a
                // `match` scrutinee would be, in the state of every waiting fetch.
                let wait = match exchange.drive(&mut NoWait(&mut stream)) {
                    Step::Done(ended) => break ended,
                    Step::Wait(wait) => wait,
                };
                if let Err(e) = stream.ready(wait).await {
                    break exchange.failed(NetError::from_io(&e));
                }
            };
            match ended {
                Ended::Response(response) => {
                    if response.reusable {
                        let session = exchange.into_session();
                        self.pool.with(|pool| pool.put(url, stream, session));
                    }
                    return Ok(response);
                }
                Ended::Failed(error) => return Err(error),
                Ended::Resend => {
                    tracing::debug!("{url}: kept connection was closed; resending");
                    reuse = false;
                }
            }
        }
    }

    /// Where to connect for `url`, looked up (awaiting the runtime's lookup) the first time its
    /// origin is seen.
    async fn address(&self, url: &Url) -> Result<SocketAddr, NetError> {
        match self.pool.with(|pool| pool.address(url))? {
            Address::Known(addr) => Ok(addr),
            // Boxed: a lookup happens once per origin, and unboxed its state (the name, the
            // runtime's lookup) would be carried by the future of every fetch, 10,000 of
            // them at once at C10K.
            Address::LookUp(name) => Box::pin(self.look_up(name)).await,
        }
    }

    /// Looks `name` up, and tells the pool what it gave.
    async fn look_up(&self, name: Name) -> Result<SocketAddr, NetError> {
        let found = S::resolve(&name.host, name.port).await;
        self.pool.with(|pool| pool.learn(name, found))
    }
}

/// Whether an idle connection can carry a request: nothing to read yet (a byte read here
/// means it cannot anyway, and it is dropped).
fn is_open<S: Conn>(stream: &mut S) -> bool {
    is_open_by_peek(stream.try_read(&mut [0u8; 1]))
}

impl<M: Mode, S: Conn> HttpClient for SharedHttp<M, S> {
    async fn get(&self, url: &Url) -> Result<Response, NetError> {
        SharedHttp::get(self, url).await
    }
}
