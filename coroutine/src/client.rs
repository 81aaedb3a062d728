//! [`Client`]: the two HTTP stacks a crawl can run on. reqwest, what a tokio user would pick,
//! and the shared sans-IO codec over tokio's `TcpStream` ([`SharedHttp`]), the very codec the
//! callback model drives, so that a comparison can hold the HTTP stack equal.

use std::error::Error as _;
use std::time::Duration;

use shared::http::{Header, Response};
use shared::page::BODY_CAP;
use shared::{Config, NetError};
use url::Url;

use crate::mode::{Get, Mode};
use crate::shared_http::SharedHttp;

/// The User-Agent of this model's requests.
pub(crate) const USER_AGENT: &str = concat!("crawler-models-coroutine/", env!("CARGO_PKG_VERSION"));

/// Which HTTP stack fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Http {
    /// One reqwest `Client` (hyper underneath): its pool, no redirects, no proxy.
    #[default]
    Reqwest,
    /// `shared::http` over the runtime's own sockets, with a small idle pool per host.
    Shared,
}

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
            Http::Shared => Client::Shared(SharedHttp::new(config.max_tasks)),
            Http::Reqwest => match reqwest_client(config) {
                Ok(client) => Client::Reqwest(client),
                Err(e) => {
                    tracing::error!("cannot build a reqwest client ({e}); using the shared codec");
                    Client::Shared(SharedHttp::new(config.max_tasks))
                }
            },
        }
    }
}

impl<M: Mode> Get for Client<M> {
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
    // reqwest's TLS (rustls) needs a process-wide crypto provider; ring is the one already in
    // the workspace (through ureq). Installing it twice is harmless: the second call is refused.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .pool_max_idle_per_host(config.max_tasks)
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(USER_AGENT)
        .build()
}

/// One GET with reqwest: the head, then the body chunk by chunk up to the cap (the rest is never
/// read; dropping the response closes its connection).
async fn reqwest_get(client: &reqwest::Client, url: &Url) -> Result<Response, NetError> {
    let mut response = client.get(url.as_str()).send().await.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| Header { name: name.to_string(), value: value.as_bytes().to_vec() })
        .collect();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        let room = usize::try_from(BODY_CAP).unwrap_or(usize::MAX).saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() >= room {
            truncated = chunk.len() > room || body.len() as u64 == BODY_CAP;
            break;
        }
    }
    Ok(Response { status, headers, body, truncated, reusable: !truncated })
}

/// Maps reqwest's error onto the shared kinds, by what lies underneath it: an I/O error (refused,
/// reset), or hyper's verdict on the bytes (cut short, unparsable).
fn classify(error: reqwest::Error) -> NetError {
    if error.is_timeout() {
        return NetError::Timeout;
    }
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return NetError::from_io(io);
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
    tracing::debug!("unclassified client error: {error:?}");
    NetError::Other
}
