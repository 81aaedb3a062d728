//! [`SharedClient`]: the shared HTTP client core (`shared::http`) driven by blocking
//! `std::net::TcpStream`s: the thread model on the same HTTP stack as the callback and coroutine
//! models, so that a comparison can hold the HTTP stack equal. All this file does is wait: a
//! thread blocks in `connect`, `write` and `read`, each bounded by what is left of the deadline.

use std::net::{SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use shared::NetError;
use shared::http::{Address, Ended, Exchange, Pool, Response, Session, Step, Tls, is_open_by_peek};
use url::Url;

/// A blocking client on the shared core, shared by every worker thread.
#[derive(Debug)]
pub struct SharedClient {
    timeout: Duration,
    /// Names resolved and idle connections. Locked for one call on the pool, never while a
    /// thread waits on the network.
    pool: Mutex<Pool<TcpStream>>,
    /// The crawl's TLS settings, for each new https connection.
    tls: Tls,
}

impl SharedClient {
    /// A client whose requests take at most `timeout` each, body included, keeping at most
    /// `per_host` idle connections per origin, speaking TLS as `tls` says.
    pub fn new(timeout: Duration, per_host: usize, tls: Tls) -> SharedClient {
        SharedClient { timeout, pool: Mutex::new(Pool::new(per_host)), tls }
    }

    /// GETs `url` once; the thread blocks until the response is complete, the deadline passes,
    /// or the connection fails. A request that met a connection closed while idle goes again on
    /// a new one (`Ended::Resend`), within the same deadline.
    pub fn get(&self, url: &Url) -> Result<Response, NetError> {
        let deadline = Instant::now() + self.timeout;
        let addr = self.address(url)?;
        let mut idle = self.pool().take(url, |stream| {
            let mut byte = [0u8; 1];
            stream.set_nonblocking(true).is_ok()
                && is_open_by_peek(stream.peek(&mut byte))
                && stream.set_nonblocking(false).is_ok()
        });
        loop {
            let (stream, session) = match idle.take() {
                Some(kept) => kept,
                None => (connect(addr, deadline)?, Session::open(url, &self.tls)?),
            };
            let mut exchange = Exchange::new(url, crate::http::USER_AGENT, session, deadline);
            match exchange_on(&stream, &mut exchange) {
                Ended::Response(response) => {
                    if response.reusable {
                        self.pool().put(url, stream, exchange.into_session());
                    }
                    return Ok(response);
                }
                Ended::Failed(error) => return Err(error),
                Ended::Resend => tracing::debug!("{url}: kept connection was closed; resending"),
            }
        }
    }

    /// Where to connect for `url`, looked up (blocking this thread, outside the lock) the first
    /// time its host is seen.
    fn address(&self, url: &Url) -> Result<SocketAddr, NetError> {
        // The guard is dropped at the end of this statement, before any lookup.
        let address = self.pool().address(url)?;
        match address {
            Address::Known(addr) => Ok(addr),
            Address::LookUp(name) => {
                let found = name.lookup_blocking();
                self.pool().learn(name, found)
            }
        }
    }

    fn pool(&self) -> MutexGuard<'_, Pool<TcpStream>> {
        // A panic cannot leave the pool half-updated: each use is one map operation.
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new connection to `addr`, made within what is left of the deadline.
fn connect(addr: SocketAddr, deadline: Instant) -> Result<TcpStream, NetError> {
    let stream = TcpStream::connect_timeout(&addr, left(deadline)?);
    // As reqwest and ureq do: a request never waits for an acknowledgement to go out.
    let stream = stream.and_then(|s| s.set_nodelay(true).map(|()| s));
    stream.map_err(|e| NetError::from_io(&e))
}

/// Runs `exchange` on `stream` to its end: each blocking read or write may wait for what is
/// left of the deadline, and a wait that ends with time left over goes on.
fn exchange_on(mut stream: &TcpStream, exchange: &mut Exchange) -> Ended {
    loop {
        let Ok(left) = left(exchange.deadline()) else {
            return exchange.timed_out();
        };
        let timeouts =
            stream.set_read_timeout(Some(left)).and(stream.set_write_timeout(Some(left)));
        if let Err(e) = timeouts {
            return exchange.failed(NetError::from_io(&e));
        }
        match exchange.drive(&mut stream) {
            Step::Done(outcome) => return outcome,
            // A timeout of the blocking call: the loop checks the deadline.
            Step::Wait(_) => {}
        }
    }
}

/// What is left before `deadline`, or `Timeout` if nothing is.
fn left(deadline: Instant) -> Result<Duration, NetError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(NetError::Timeout) } else { Ok(left) }
}
