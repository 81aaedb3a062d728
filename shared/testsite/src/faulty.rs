//! [`FaultyStream`]: a `TcpStream` that the request handler can make misbehave below HTTP:
//! reset instead of close, or garbage instead of the response.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What the server answers instead of HTTP for [`Fault::Garbage`](super::Fault::Garbage).
pub(crate) const GARBAGE: &[u8] = b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n";

/// Per-connection switches that the request handler flips to misbehave below HTTP.
#[derive(Debug, Default)]
pub(crate) struct ConnCtl {
    /// Reset (RST) instead of closing politely when the connection is dropped.
    pub(crate) reset: AtomicBool,
    /// Write [`GARBAGE`] instead of the response.
    pub(crate) garbage: AtomicBool,
    /// Close when the next request arrives, without reading it (the site closes idle
    /// connections: `Site::close_idle_after`).
    pub(crate) close_on_next_request: AtomicBool,
    /// Requests answered on this connection so far.
    pub(crate) responses: AtomicUsize,
    /// Requests that arrived on this connection so far.
    pub(crate) requests: AtomicUsize,
}

/// A connection's stream, plain or TLS, and the TCP socket under it.
pub(crate) trait Tcp: AsyncRead + AsyncWrite + Unpin {
    /// The TCP socket (to reset it).
    fn tcp(&self) -> &TcpStream;
}

impl Tcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Tcp for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// A connection's stream that obeys [`ConnCtl`]: over TLS, the faults are inside it (garbage
/// instead of the HTTP response, not instead of TLS records), so that a fault gives the same
/// record over http and https; a reset resets the TCP connection under the TLS.
pub(crate) struct FaultyStream<S: Tcp> {
    pub(crate) inner: S,
    pub(crate) ctl: Arc<ConnCtl>,
    pub(crate) garbage_sent: bool,
}

impl<S: Tcp> Drop for FaultyStream<S> {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::SeqCst) {
            // SO_LINGER 0: closing sends RST, not FIN.
            let _ = self.inner.tcp().set_zero_linger();
        }
    }
}

impl<S: Tcp> AsyncRead for FaultyStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ctl.close_on_next_request.load(Ordering::SeqCst) {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        // The next request (or the client's close) has come: throw it away and tell hyper the
        // stream ended, so that it closes the connection without a byte of answer. The bytes
        // are read first, so the close is a FIN, not the RST that unread data would make.
        let mut scratch = [0u8; 4096];
        let mut discard = ReadBuf::new(&mut scratch);
        match Pin::new(&mut self.inner).poll_read(cx, &mut discard) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => Poll::Ready(Ok(())),
        }
    }
}

impl<S: Tcp> AsyncWrite for FaultyStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.ctl.garbage.load(Ordering::SeqCst) {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        if !self.garbage_sent {
            match Pin::new(&mut self.inner).poll_write(cx, GARBAGE) {
                Poll::Ready(Ok(_)) => self.garbage_sent = true,
                other => return other,
            }
        }
        // Swallow hyper's response: the peer gets the garbage alone.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
