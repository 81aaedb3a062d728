//! The test site over TLS: an [`Authority`] generated at start (rcgen), which signs the
//! site's certificate for `localhost` and `127.0.0.1` and whose own certificate a crawler is
//! told to trust (`--ca-file`, or [`ConfigBuilder::trust`](shared::ConfigBuilder::trust)); and
//! the TLS faults a crawler must turn into a failed try ([`TlsFault`]). No key is ever written
//! to the repository: each run makes its own.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one run: its certificate, to trust, and its key, to sign
/// the site's certificates with.
pub struct Authority {
    cert: CertificateDer<'static>,
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

impl Authority {
    /// A new authority, with a new key (ECDSA P-256).
    ///
    /// # Examples
    /// ```
    /// let authority = testsite::tls::Authority::generate();
    /// assert!(authority.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    /// ```
    pub fn generate() -> Authority {
        let key = KeyPair::generate().expect("an ECDSA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "crawler-models test site CA");
        let cert = params.self_signed(&key).expect("a self-signed CA certificate");
        let pem = cert.pem();
        Authority { cert: cert.der().clone(), pem, issuer: Issuer::new(params, key) }
    }

    /// The authority's certificate, for a crawler to trust.
    pub fn ca_cert(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    /// The authority's certificate as PEM, the form of `--ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.pem
    }

    /// A server configuration whose certificate, signed by this authority, names `names` (DNS
    /// names or IP addresses), answering ALPN `http/1.1`.
    pub fn server_config(&self, names: &[&str]) -> Arc<ServerConfig> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let key = KeyPair::generate().expect("an ECDSA key");
        let params = CertificateParams::new(names).expect("valid names");
        let cert = params.signed_by(&key, &self.issuer).expect("a signed certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS 1.2 and 1.3 with ring")
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .expect("the key matches its certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// The configuration of a site served correctly: a certificate for `localhost` and
    /// `127.0.0.1`.
    pub fn site_config(&self) -> Arc<ServerConfig> {
        self.server_config(&["localhost", "127.0.0.1"])
    }
}

/// How a TLS site fails its clients' handshakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFault {
    /// A certificate from an authority the crawler was not told to trust.
    UntrustedCertificate,
    /// A certificate from the trusted authority, for another name (`wrong.invalid`).
    WrongName,
    /// The server reads the ClientHello and closes the connection.
    CutHandshake,
    /// The server answers the ClientHello with bytes that are not TLS.
    GarbageServerHello,
}

/// Whether a site is served over TLS.
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    /// Over TLS if the serving thread runs inside [`over_tls`], plain if not.
    AsTheThreadSays,
    /// Plain HTTP, whatever the thread says ([`Site::plain`](crate::Site::plain)).
    Plain,
    /// TLS, or TLS failing as a fault says ([`Site::tls`](crate::Site::tls)).
    Tls(SiteTls),
}

/// How a site speaks TLS.
#[derive(Clone)]
pub(crate) enum SiteTls {
    /// A handshake with this configuration.
    Serve(Arc<ServerConfig>),
    /// A handshake cut short, or garbage instead of a ServerHello.
    Break(TlsFault),
}

impl fmt::Debug for SiteTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteTls::Serve(_) => f.write_str("Serve"),
            SiteTls::Break(fault) => write!(f, "Break({fault:?})"),
        }
    }
}

impl SiteTls {
    /// A site served correctly by `authority`'s certificate, or with `fault`.
    pub(crate) fn new(authority: &Authority, fault: Option<TlsFault>) -> SiteTls {
        match fault {
            None => SiteTls::Serve(authority.site_config()),
            Some(TlsFault::UntrustedCertificate) => {
                SiteTls::Serve(Authority::generate().site_config())
            }
            Some(TlsFault::WrongName) => {
                SiteTls::Serve(authority.server_config(&["wrong.invalid"]))
            }
            Some(fault) => SiteTls::Break(fault),
        }
    }
}

thread_local! {
    /// The authority of the sites this thread serves when they say nothing of TLS: set for the
    /// conformance suite's run over TLS.
    static SUITE: RefCell<Option<Arc<Authority>>> = const { RefCell::new(None) };
}

/// Runs `f` with every site it serves on this thread (that does not set TLS itself) served over
/// TLS by a new authority, which [`suite_authority`] gives to the code that makes the crawl's
/// configuration. How the conformance suite runs each scenario over TLS, unchanged.
pub fn over_tls<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Arc<Authority>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            SUITE.set(self.0.take());
        }
    }
    let _reset = Reset(SUITE.replace(Some(Arc::new(Authority::generate()))));
    f()
}

/// The authority [`over_tls`] set on this thread, if any.
pub fn suite_authority() -> Option<Arc<Authority>> {
    SUITE.with_borrow(Clone::clone)
}
