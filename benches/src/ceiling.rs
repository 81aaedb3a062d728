//! [`fetch_only`]: the ceiling of a scenario with no latency: the oracle's URLs fetched as fast
//! as the site serves them, with no parsing and no crawl logic, by the simplest fastest client:
//! blocking sockets kept alive, one thread per connection, over the shared HTTP/1.1 codec.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shared::http::{Progress, ResponseParser, request};
use url::Url;

use crate::Error;

/// The User-Agent of the fetch-only pass.
const USER_AGENT: &str = "crawler-models-benches/fetch-only";

/// Tries per URL: a kept-alive connection the server closed is reconnected once.
const TRIES: usize = 2;

/// Fetches every URL of `urls` once, with `connections` connections in parallel, and returns
/// the wall time. The URLs are all on one origin (a generated site); responses are read to the
/// end and dropped. Any URL that cannot be fetched is an error: a ceiling measured over fewer
/// URLs would flatter the crawlers.
pub fn fetch_only(urls: &[Url], connections: usize) -> Result<Duration, Error> {
    let Some(first) = urls.first() else {
        return Ok(Duration::ZERO);
    };
    let addr = first
        .socket_addrs(|| None)
        .ok()
        .and_then(|addrs| addrs.into_iter().next())
        .ok_or_else(|| Error::Site(format!("cannot resolve {first}")))?;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let results: Vec<Result<(), Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections.clamp(1, urls.len()))
            .map(|_| scope.spawn(|| work(addr, urls, &next)))
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
fn work(addr: SocketAddr, urls: &[Url], next: &AtomicUsize) -> Result<(), Error> {
    let mut conn: Option<TcpStream> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Relaxed: the counter hands out indexes and orders nothing else.
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(url) = urls.get(i) else {
            return Ok(());
        };
        let mut last = None;
        for _ in 0..TRIES {
            match get(&mut conn, addr, url, &mut buf) {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) => {
                    conn = None;
                    last = Some(e);
                }
            }
        }
        if let Some(e) = last {
            return Err(Error::io(format!("fetch-only pass: GET {url}"), e));
        }
    }
}

/// One GET on the kept-alive connection (opened if there is none), read to the end of the
/// response; the connection is dropped when the response says it cannot be reused.
fn get(
    conn: &mut Option<TcpStream>,
    addr: SocketAddr,
    url: &Url,
    buf: &mut [u8],
) -> std::io::Result<()> {
    let stream = match conn {
        Some(stream) => stream,
        None => {
            let stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            conn.insert(stream)
        }
    };
    stream.write_all(&request(url, USER_AGENT))?;
    let mut parser = ResponseParser::new();
    let response = loop {
        let n = stream.read(buf)?;
        let progress =
            if n == 0 { parser.eof().map(Progress::Done) } else { parser.feed(&buf[..n]) };
        match progress.map_err(std::io::Error::other)? {
            Progress::NeedMore => continue,
            Progress::Done(response) => break response,
        }
    };
    if !response.reusable {
        *conn = None;
    }
    Ok(())
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
        fetch_only(&urls, 4).unwrap();
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
        assert!(fetch_only(&[url], 1).is_err());
    }
}
