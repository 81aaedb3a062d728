//! [`Client`]: the two HTTP stacks a crawl can run on. reqwest, what a tokio user would pick,
//! and the shared sans-IO codec over tokio's `TcpStream` ([`SharedHttp`]), the very codec the
//! callback model drives, so that a comparison can hold the HTTP stack equal.

use std::cell::Cell;
use std::error::Error as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::{Connected, Connection, HttpInfo};
use shared::http::{Coding, Content, Header, Response, Tls, is_resend};
use shared::{Config, NetError};
use url::Url;

use crate::crawler::Mode;
use crate::parts::{Http, HttpClient, USER_AGENT};
use crate::shared_http::SharedHttp;

/// The HTTP client of a crawl: one of the two stacks, behind one `get`.
#[derive(Debug)]
pub enum Client<M: Mode> {
    /// reqwest.
    Reqwest(reqwest::Client),
    /// The shared codec over tokio's `TcpStream`.
    Shared(SharedHttp<M, tokio::net::TcpStream>),
}

impl<M: Mode> Client<M> {
    /// The client of a crawl with `config`, on the stack `http`.
    pub fn new(config: &Config, http: Http) -> Client<M> {
        match http {
            Http::Shared => Client::Shared(SharedHttp::new(config)),
            Http::Reqwest => match reqwest_client(config) {
                Ok(client) => Client::Reqwest(client),
                Err(e) => {
                    tracing::error!("cannot build a reqwest client ({e}); using the shared codec");
                    Client::Shared(SharedHttp::new(config))
                }
            },
        }
    }
}

impl<M: Mode> HttpClient for Client<M> {
    /// GETs `url` once: `Err` for a network failure of any kind. The crawler bounds the whole
    /// of it, body included, with `--timeout`.
    async fn get(&self, url: &Url) -> Result<Response, NetError> {
        match self {
            Client::Reqwest(client) => reqwest_get(client, url).await,
            Client::Shared(client) => client.get(url).await,
        }
    }
}

/// One reqwest client: a keep-alive pool with room for every worker, redirects left to the
/// crawler, no proxy (reqwest would read `HTTP_PROXY` otherwise), the crawl's timeout.
fn reqwest_client(config: &Config) -> reqwest::Result<reqwest::Client> {
    // The crawl's one rustls configuration (its provider, roots, ALPN and resumption cache,
    // which a copy shares), as every stack has it.
    let tls = Tls::new(config.ca_certs());
    reqwest::Client::builder()
        .tls_backend_preconfigured(rustls::ClientConfig::clone(tls.client_config()))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout())
        .connect_timeout(config.timeout())
        .pool_max_idle_per_host(config.max_tasks())
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(USER_AGENT)
        // Asked for as in every stack.
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("gzip, br"),
        )]))
        .connector_layer(MarkOpened)
        .build()
}

/// One GET with reqwest: the head, then the body chunk by chunk up to the cap (the rest is never
/// read; dropping the response closes its connection).
///
/// The keep-alive rule, which reqwest (hyper) applies only to a request not yet written: a
/// request that failed before the response's head with a reset or an end of stream, on a
/// connection that was not opened for it (so one from the pool), met a connection its server
/// closed while it was idle. It is sent again at once, and that is not a try; reqwest takes the
/// next idle connection or opens one, and each stale one is dropped, so this ends.
///
/// Which connection a request went on, reqwest does not say; its parts do. The connection a
/// request fails on is in hyper's error (its local address); the connection opened for the
/// request, if any, is marked in the task by [`MarkOpened`]. They differ when hyper raced a
/// connect against its pool and the pool won.
async fn reqwest_get(client: &reqwest::Client, url: &Url) -> Result<Response, NetError> {
    // The loop ends with the response alone: what `send` gave is gone before the body is read,
    // so the future of a fetch does not carry both.
    let response = loop {
        let (sent, opened) = OPENED
            .scope(Cell::new(None), async {
                let sent = client.get(url.as_str()).send().await;
                (sent, OPENED.with(Cell::get))
            })
            .await;
        let e = match sent {
            Ok(response) => break response,
            Err(e) => e,
        };
        let reused = failed_on(&e).is_some_and(|local| Some(local) != opened);
        let error = classify(e);
        // A failure of `send` came before the response's head was complete.
        if !is_resend(reused, false, error) {
            return Err(error);
        }
        tracing::debug!("{url}: kept connection was closed ({error}); resending");
    };
    let read = read(response).await;
    // hyper puts a connection whose response is read back in its pool from a task of its own.
    // A worker that sends its next request before that task ran finds the pool empty, and
    // hyper races a new connection against it; the loser joins the pool. At C10K over TLS,
    // with one thread busy with handshakes, those connections piled up past 20,000 file
    // descriptors (EMFILE). One yield lets the connection go back first, most of the time.
    tokio::task::yield_now().await;
    read
}

/// The response as the crawler takes it: the head's status and headers, and the body read up
/// to the cap.
async fn read(mut response: reqwest::Response) -> Result<Response, NetError> {
    let status = response.status().as_u16();
    let headers: Vec<Header> = response
        .headers()
        .iter()
        .map(|(name, value)| Header { name: name.to_string(), value: value.as_bytes().to_vec() })
        .collect();
    // Decoded by the shared rules: reqwest's own decompression is left off.
    let mut body = Content::new(Coding::of(&headers), response.content_length());
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if !body.push(&chunk)? {
            break;
        }
    }
    // reqwest read the body to its end, or the connection is dropped with the cut body.
    Ok(body.into_response(status, headers, true)?)
}

/// The local address of the connection a request failed on, from hyper's error under
/// reqwest's: `None` when the failure came before a connection was chosen (a failed connect).
fn failed_on(error: &reqwest::Error) -> Option<SocketAddr> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper_util::client::legacy::Error>() {
            return hyper.connect_info().and_then(local_addr);
        }
        source = cause.source();
    }
    None
}

/// The local address of a connection, from what hyper's connector recorded of it.
fn local_addr(connected: &Connected) -> Option<SocketAddr> {
    let mut extras = hyper::http::Extensions::new();
    connected.get_extras(&mut extras);
    extras.get::<HttpInfo>().map(HttpInfo::local_addr)
}

tokio::task_local! {
    /// The local address of the connection opened for the request under way in this task.
    static OPENED: Cell<Option<SocketAddr>>;
}

/// A layer on reqwest's connector that marks, in the task whose request asked for it, the
/// local address of each connection opened: with the address in a failure, it tells a request
/// on a pooled connection from one on a new connection, which reqwest does not say.
#[derive(Debug, Clone, Copy)]
struct MarkOpened;

impl<S> tower_layer::Layer<S> for MarkOpened {
    type Service = Opening<S>;

    fn layer(&self, inner: S) -> Opening<S> {
        Opening(inner)
    }
}

/// The connector service of [`MarkOpened`].
#[derive(Clone)]
struct Opening<S>(S);

impl<S, R> tower_service::Service<R> for Opening<S>
where
    S: tower_service::Service<R>,
    S::Response: Connection,
    // reqwest's connector service boxes its future already: no second box here.
    S::Future: Unpin,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Marking<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        Marking(self.0.call(request))
    }
}

/// A connect of [`Opening`]: once it completes, the new connection's local address is marked
/// in the task that polls it.
struct Marking<F>(F);

impl<F, C, E> Future for Marking<F>
where
    F: Future<Output = Result<C, E>> + Unpin,
    C: Connection,
{
    type Output = Result<C, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let connected = std::task::ready!(Pin::new(&mut self.0).poll(cx));
        if let Some(local) = connected.as_ref().ok().and_then(|c| local_addr(&c.connected())) {
            // Outside a request's scope (a background connect): nothing to mark.
            let _ = OPENED.try_with(|opened| opened.set(Some(local)));
        }
        Poll::Ready(connected)
    }
}

/// Maps an I/O error under a reqwest error onto the shared kinds: a rustls error inside it is
/// a TLS failure, and so is a TCP connection that ends or is reset while `connecting` (it was
/// made, so it was cut during the TLS handshake: a refused connection is refused, not reset).
/// reqwest wraps its connector's errors in an `Other` I/O error: the one inside is the one
/// that says what happened.
fn classify_io(io: &std::io::Error, connecting: bool) -> NetError {
    if let Some(inner) = io.get_ref() {
        if inner.is::<rustls::Error>() {
            return NetError::Tls;
        }
        if let Some(inner) = inner.downcast_ref::<std::io::Error>() {
            return classify_io(inner, connecting);
        }
    }
    let kind = NetError::from_io(io);
    let cut = matches!(kind, NetError::ConnectionReset | NetError::ConnectionClosed);
    if cut && connecting { NetError::Tls } else { kind }
}

/// Maps reqwest's error onto the shared kinds, by what lies underneath it: an I/O error (refused,
/// reset), or hyper's verdict on the bytes (cut short, unparsable).
fn classify(error: reqwest::Error) -> NetError {
    let kind = classify_kind(&error);
    if kind == NetError::Other {
        tracing::debug!("unclassified client error: {error:?}");
    }
    kind
}

fn classify_kind(error: &reqwest::Error) -> NetError {
    if error.is_timeout() {
        return NetError::Timeout;
    }
    let mut source = error.source();
    while let Some(cause) = source {
        if cause.is::<rustls::Error>() {
            return NetError::Tls;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return classify_io(io, error.is_connect());
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() || hyper.is_body_write_aborted() {
                return NetError::ConnectionClosed;
            }
            if hyper.is_parse() || hyper.is_parse_status() || hyper.is_parse_too_large() {
                return NetError::MalformedResponse;
            }
        }
        source = cause.source();
    }
    if error.is_connect() {
        return NetError::ConnectionRefused;
    }
    if error.is_body() || error.is_decode() {
        return NetError::ConnectionClosed;
    }
    NetError::Other
}
