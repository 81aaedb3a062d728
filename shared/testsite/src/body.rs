//! [`SiteBody`]: the test site's response bodies, held in memory or generated as they are sent
//! (huge, trickling, or cut short on purpose).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// Chunk size of generated bodies.
const CHUNK: usize = 64 * 1024;

/// A response body: held in memory, or generated chunk by chunk (huge, trickling or cut short)
/// so that a 1 GiB body never takes 1 GiB of memory.
pub struct SiteBody {
    full: Option<Bytes>,
    /// Content-Length announced.
    declared: u64,
    /// Bytes still to send before ending (or failing).
    remaining: u64,
    /// Bytes per frame and the pause between frames, for a trickle.
    pace: Option<(usize, Duration)>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// End with an error (hyper then drops the connection mid-body).
    fail: bool,
    /// Whether the body has once answered "not yet" at its end, so that hyper flushes what it
    /// buffered before the failure closes the connection.
    flushed: bool,
    chunk: Bytes,
}

impl std::fmt::Debug for SiteBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteBody")
            .field("declared", &self.declared)
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl SiteBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> SiteBody {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        SiteBody {
            full: Some(bytes),
            declared: len,
            remaining: 0,
            pace: None,
            sleep: None,
            fail: false,
            flushed: false,
            chunk: Bytes::new(),
        }
    }

    pub(crate) fn generated(
        declared: u64,
        send: u64,
        pace: Option<(usize, Duration)>,
        fail: bool,
    ) -> SiteBody {
        let filler = b"All work and no play makes a crawler a dull crawler. ";
        let chunk: Vec<u8> = filler.iter().copied().cycle().take(CHUNK).collect();
        SiteBody {
            full: None,
            declared,
            remaining: send,
            pace,
            sleep: None,
            fail,
            flushed: false,
            chunk: Bytes::from(chunk),
        }
    }
}

impl Body for SiteBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(bytes) = self.full.take() {
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        if self.remaining == 0 && self.fail && !self.flushed {
            // hyper buffers what it writes, and drops the buffer when the body fails: a body
            // cut after a few kilobytes would reach the client as nothing at all. Waiting once
            // makes hyper flush; the next poll fails and the connection closes mid-body.
            self.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.remaining == 0 {
            return Poll::Ready(self.fail.then(|| Err("body cut short on purpose".into())));
        }
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        let step = self.pace.map_or(CHUNK, |(chunk, _)| chunk.clamp(1, CHUNK));
        let n = (step as u64).min(self.remaining) as usize;
        self.remaining -= n as u64;
        if let Some((_, interval)) = self.pace {
            self.sleep = Some(Box::pin(tokio::time::sleep(interval)));
        }
        Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.full.is_none() && self.remaining == 0 && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.declared)
    }
}
