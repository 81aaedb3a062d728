//! TLS, as a layer of bytes between a model's socket and the HTTP codec: [`Tls`] is the one
//! rustls `ClientConfig` of a crawl (the ring provider, the web's roots from webpki-roots plus
//! the certificates of `--ca-file`, ALPN `http/1.1`, SNI, session resumption from rustls's
//! in-memory cache), given to every stack: the shared core, ureq and reqwest. [`Tunnel`] is the
//! layer itself: a `rustls::ClientConnection` over the model's socket, read and written as a
//! socket is, so that an [`Exchange`](super::Exchange) drives an https connection exactly as it
//! drives a plain one, and a model's driver passes bytes and waits, knowing nothing of TLS.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use crate::NetError;

/// The TLS settings of one crawl: one `rustls::ClientConfig`, shared by its clones, so that
/// every connection of the crawl, in every stack, verifies against the same roots and resumes
/// sessions from the same cache (a reconnect to a host skips the full handshake).
///
/// # Examples
/// ```
/// let tls = shared::http::Tls::new(&[]);
/// let config = tls.client_config();
/// assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
/// assert!(config.enable_sni);
/// assert!(tls.connect("127.0.0.1").unwrap().is_handshaking());
/// assert!(tls.connect("example.com").unwrap().is_handshaking());
/// ```
#[derive(Clone)]
pub struct Tls {
    config: Arc<ClientConfig>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// The configuration of a crawl that trusts the web's roots (webpki-roots, Mozilla's set)
    /// and `extra` (the certificates of `--ca-file`). Made once per crawl: a new resumption
    /// cache each time, so that one crawl's sessions never speed up the next one's handshakes
    /// (a benchmark that reuses a `Config` measures full handshakes every time).
    pub fn new(extra: &[CertificateDer<'static>]) -> Tls {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        // Already checked by `read_ca_file`: a certificate rustls cannot take is left out.
        roots.add_parsable_certificates(extra.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // ring's default provider supports every safe protocol version.
            .expect("TLS 1.2 and 1.3 with ring")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Tls { config: Arc::new(config) }
    }

    /// The rustls configuration, for a client that makes its TLS connections itself (reqwest
    /// takes a copy, which shares the resumption cache; ureq's connector takes the `Arc`).
    pub fn client_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// A TLS client for a new connection to `host` (a name, for SNI and the certificate
    /// check, or an IP address, checked against the certificate's IP names; an IPv6 address
    /// with or without its brackets). Its first flight (the ClientHello) is ready to be
    /// written.
    pub fn connect(&self, host: &str) -> Result<ClientConnection, NetError> {
        let host = host.trim_matches(['[', ']']);
        let name = ServerName::try_from(host).map_err(|_| NetError::Tls)?.to_owned();
        ClientConnection::new(self.config.clone(), name).map_err(|e| {
            tracing::debug!("{host}: TLS client: {e}");
            NetError::Tls
        })
    }
}

/// The certificates of a PEM file (`--ca-file`), checked: a missing or unreadable file, a file
/// with no certificate, or a certificate rustls cannot use as a root is a one-line error.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("--ca-file {shown}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--ca-file {shown}: not PEM certificates ({e})"))?;
    if certs.is_empty() {
        return Err(format!("--ca-file {shown}: no certificate in the file"));
    }
    let mut roots = RootCertStore::empty();
    for cert in &certs {
        roots.add(cert.clone()).map_err(|e| format!("--ca-file {shown}: {e}"))?;
    }
    Ok(certs)
}

/// A `ClientConnection` over a socket, read and written as a socket is: what the HTTP codec
/// writes is encrypted and sent, what arrives is decrypted and read. The handshake happens on
/// the way, within the exchange's deadline: the request is taken at once (rustls keeps it
/// until the handshake is done) and the response's first read drives the handshake.
///
/// `WouldBlock` and timeouts pass through, with [`Tunnel::wants_write`] telling whether the
/// socket must become writable (TLS records are waiting to go) rather than readable. A TLS
/// failure (a certificate refused, a record that does not decrypt, the connection cut or
/// reset during the handshake) is an error, with [`Tunnel::failed`] set.
pub(super) struct Tunnel<'a, S> {
    conn: &'a mut ClientConnection,
    io: &'a mut S,
    /// The last error came from writing TLS records: the socket's send buffer was full.
    blocked_writing: bool,
    /// The last error was a TLS failure.
    failed: bool,
}

impl<'a, S: Read + Write> Tunnel<'a, S> {
    pub(super) fn new(conn: &'a mut ClientConnection, io: &'a mut S) -> Tunnel<'a, S> {
        Tunnel { conn, io, blocked_writing: false, failed: false }
    }

    /// Whether the last `WouldBlock` (or timeout) waits for room to write, not for bytes.
    pub(super) fn wants_write(&self) -> bool {
        self.blocked_writing
    }

    /// Whether the last error was TLS's (the handshake, or a record), not the socket's.
    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    /// A failure of the socket: during the handshake it is the handshake's (a server that
    /// cuts it short fails TLS, not HTTP); after it, it is the connection's, as on plain HTTP
    /// (the keep-alive rule sees a reused connection's reset or end of stream as it is).
    fn socket_failed(&mut self, e: io::Error) -> io::Error {
        if !is_waiting(&e) && self.conn.is_handshaking() {
            self.failed = true;
        }
        e
    }

    /// Sends every TLS record rustls has ready.
    fn flush_records(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(self.io) {
                Ok(0) => return Err(self.socket_failed(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.blocked_writing = is_waiting(&e);
                    return Err(self.socket_failed(e));
                }
            }
        }
        Ok(())
    }
}

impl<S: Read + Write> Read for Tunnel<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.blocked_writing = false;
        loop {
            // The handshake's next flight, or an alert, goes out before anything is awaited.
            self.flush_records()?;
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The server closed the TCP connection without a close_notify alert: most
                // servers do. HTTP's framing says whether the response was complete.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(self.io) {
                Ok(0) if self.conn.is_handshaking() => {
                    return Err(self.socket_failed(io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.socket_failed(e)),
            }
            if let Err(e) = self.conn.process_new_packets() {
                tracing::debug!("TLS: {e}");
                self.failed = true;
                // The alert that tells the server why, if the socket takes it now.
                let _ = self.conn.write_tls(self.io);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
}

impl<S: Read + Write> Write for Tunnel<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.blocked_writing = false;
        let n = self.conn.writer().write(buf)?;
        // Records that cannot go now go at the next read, which flushes first.
        match self.flush_records() {
            Err(e) if !is_waiting(&e) => Err(e),
            _ => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_records()
    }
}

/// Whether an error of a socket only means "not now": a non-blocking socket's `WouldBlock`, or
/// a blocking one's timeout.
fn is_waiting(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}
