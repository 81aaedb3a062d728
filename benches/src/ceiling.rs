//! [`fetch_only`]: the ceiling of a scenario with no latency: the oracle's URLs fetched as fast
//! as the site serves them, with no parsing and no crawl logic, by the simplest fastest client:
//! blocking sockets kept alive, one thread per connection, over the shared HTTP client core
//! (its exchange: the same request bytes, parser and keep-alive rule as every model).

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shared::NetError;
use shared::http::{Ended, Exchange, Session, Step, Tls, preferred_addr};
use url::Url;

use crate::Error;

/// The User-Agent of the fetch-only pass.
const USER_AGENT: &str = "crawler-models-benches/fetch-only";

/// How long one request may take: far more than any takes, so that a stuck pass fails.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Fetches every URL of `urls` once, with `connections` connections in parallel, and returns
/// the wall time. The URLs are all on one origin (a generated site); responses are read to the
/// end and dropped. Any URL that cannot be fetched is an error: a ceiling measured over fewer
/// URLs would flatter the crawlers. https URLs go over TLS as `tls` says, as in every model.
pub fn fetch_only(urls: &[Url], connections: usize, tls: &Tls) -> Result<Duration, Error> {
    let Some(first) = urls.first() else {
        return Ok(Duration::ZERO);
    };
    let addr = first
        .socket_addrs(|| None)
        .ok()
        .and_then(|addrs| preferred_addr(addrs).ok())
        .ok_or_else(|| Error::Site(format!("cannot resolve {first}")))?;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let results: Vec<Result<(), Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections.clamp(1, urls.len()))
            .map(|_| scope.spawn(|| work(addr, urls, &next, tls)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| Err(Error::Site("a fetch thread panicked".into())))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    results.into_iter().collect::<Result<(), Error>>()?;
    Ok(elapsed)
}

/// One connection's loop: take the next URL index until there is none.
fn work(addr: SocketAddr, urls: &[Url], next: &AtomicUsize, tls: &Tls) -> Result<(), Error> {
    let mut conn: Option<(TcpStream, Session)> = None;
    loop {
        // Relaxed: the counter hands out indexes and orders nothing else.
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(url) = urls.get(i) else {
            return Ok(());
        };
        get(&mut conn, addr, url, tls)
            .map_err(|e| Error::Site(format!("fetch-only pass: GET {url}: {e}")))?;
    }
}

/// One GET on the kept-alive connection (opened if there is none), read to the end of the
/// response; the connection is kept when the response allows it. A request that met the
/// kept connection closed by the server goes again on a new one, as in every model.
fn get(
    conn: &mut Option<(TcpStream, Session)>,
    addr: SocketAddr,
    url: &Url,
    tls: &Tls,
) -> Result<(), NetError> {
    loop {
        let (stream, session) = match conn.take() {
            Some(kept) => kept,
            None => (connect(addr)?, Session::open(url, tls)?),
        };
        let mut exchange = Exchange::new(url, USER_AGENT, session, Instant::now() + TIMEOUT);
        // One call: the socket blocks, with a read timeout as long as the deadline.
        let outcome = match exchange.drive(&mut &stream) {
            Step::Done(outcome) => outcome,
            Step::Wait(_) => exchange.timed_out(),
        };
        match outcome {
            Ended::Response(response) => {
                if response.reusable {
                    *conn = Some((stream, exchange.into_session()));
                }
                return Ok(());
            }
            Ended::Failed(error) => return Err(error),
            Ended::Resend => {}
        }
    }
}

/// A new blocking connection, its reads and writes bounded by [`TIMEOUT`].
fn connect(addr: SocketAddr) -> Result<TcpStream, NetError> {
    let io = |e: std::io::Error| NetError::from_io(&e);
    let stream = TcpStream::connect(addr).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every URL is requested exactly once, over kept-alive connections.
    #[test]
    fn fetches_every_url_once() {
        let site = testsite::SiteSpec::with_pages(60).generate();
        let server = site.serve("127.0.0.1:0").unwrap();
        let config = shared::Config::new([server.url().as_str()]).unwrap();
        let urls: Vec<Url> =
            site.expected(&config).iter().map(|e| Url::parse(&e.url).unwrap()).collect();
        fetch_only(&urls, 4, &Tls::new(&[])).unwrap();
        assert_eq!(server.total_requests(), urls.len());
        for url in &urls {
            assert_eq!(server.requests(&testsite::path_of(url)), 1, "{url}");
        }
        assert!(server.connections() <= 4, "{} connections", server.connections());
    }

    /// A URL that cannot be fetched is an error, not a shorter pass.
    #[test]
    fn unreachable_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        assert!(fetch_only(&[url], 1, &Tls::new(&[])).is_err());
    }
}
