//! [`Content`]: a response body as it arrives, its content coding undone on the way (gzip with
//! flate2, br with brotli-decompressor, both streaming) and the cap applied to the *decoded*
//! bytes: a small body that inflates past the cap is cut there, after at most one read's worth
//! of work, in bounded memory, and the rest is never decoded. A body with any other coding is
//! kept as sent.
//!
//! The shared parser decodes with it, and so do the ureq and reqwest adapters (their libraries'
//! own decompression is left off): one set of rules for every stack (which names a coding goes
//! by, an empty body, bytes after the end of a stream, what a broken stream is).

use std::io::{self, Read, Write};

use super::{CappedBody, Header, HttpError, Response};

/// A content coding, as `Content-Encoding` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// No coding (no header, or `identity`).
    Identity,
    /// `gzip` (or its old name `x-gzip`).
    Gzip,
    /// `br`, Brotli.
    Brotli,
    /// Any other coding, or more than one: the body is kept as sent, and not parsed.
    Other,
}

impl Coding {
    /// The coding of a response with `headers`: its `Content-Encoding` header, `identity`
    /// entries left out (case-insensitive, as RFC 9110 says).
    ///
    /// # Examples
    /// ```
    /// use shared::http::{Coding, Header};
    /// let with = |value: &str| vec![Header { name: "Content-Encoding".into(), value: value.into() }];
    /// assert_eq!(Coding::of(&[]), Coding::Identity);
    /// assert_eq!(Coding::of(&with("GZIP")), Coding::Gzip);
    /// assert_eq!(Coding::of(&with("x-gzip")), Coding::Gzip);
    /// assert_eq!(Coding::of(&with("identity, br")), Coding::Brotli);
    /// assert_eq!(Coding::of(&with("zstd")), Coding::Other);
    /// assert_eq!(Coding::of(&with("gzip, br")), Coding::Other);
    /// ```
    pub fn of(headers: &[Header]) -> Coding {
        let mut coding = Coding::Identity;
        let values = headers.iter().filter(|h| h.name.eq_ignore_ascii_case("content-encoding"));
        for token in values.flat_map(|h| h.value.split(|&b| b == b',')) {
            let token = token.trim_ascii();
            let this = if token.is_empty() || token.eq_ignore_ascii_case(b"identity") {
                continue;
            } else if token.eq_ignore_ascii_case(b"gzip") || token.eq_ignore_ascii_case(b"x-gzip") {
                Coding::Gzip
            } else if token.eq_ignore_ascii_case(b"br") {
                Coding::Brotli
            } else {
                Coding::Other
            };
            coding = if coding == Coding::Identity { this } else { Coding::Other };
        }
        coding
    }
}

/// Bytes of decoded output brotli-decompressor produces at a time.
const BROTLI_BUFFER: usize = 4096;

/// A body being received: kept as it comes, or decoded as it comes, up to the cap.
///
/// # Examples
/// ```
/// use std::io::Write;
/// use shared::http::{Coding, Content};
///
/// let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gzip.write_all(b"<a href=/x>x</a>").unwrap();
/// let raw = gzip.finish().unwrap();
/// let mut content = Content::new(Coding::Gzip, Some(raw.len() as u64));
/// for piece in raw.chunks(3) {
///     assert!(content.push(piece).unwrap());
/// }
/// let response = content.into_response(200, vec![], true).unwrap();
/// assert_eq!(response.body, b"<a href=/x>x</a>");
///
/// let mut broken = Content::new(Coding::Gzip, None);
/// assert!(broken.push(b"this is not a gzip stream").is_err());
///
/// let mut short = Content::new(Coding::Gzip, None);
/// assert!(short.push(&raw[..raw.len() / 2]).unwrap());
/// assert!(short.into_response(200, vec![], true).is_err(), "the stream ends early");
/// ```
#[derive(Default)]
pub struct Content {
    inner: Inner,
}

enum Inner {
    /// Kept as sent (no coding, or one this client does not decode).
    Plain(CappedBody),
    /// gzip, inflated into its sink.
    Gzip(Box<flate2::write::GzDecoder<Sink>>),
    /// br, decoded into its sink.
    Brotli(Box<brotli_decompressor::DecompressorWriter<Sink>>),
}

impl Default for Inner {
    fn default() -> Self {
        Inner::Plain(CappedBody::default())
    }
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Plain(body) => f.debug_tuple("Plain").field(&body.len()).finish(),
            Inner::Gzip(decoder) => f.debug_tuple("Gzip").field(decoder.get_ref()).finish(),
            Inner::Brotli(decoder) => f.debug_tuple("Brotli").field(decoder.get_ref()).finish(),
        }
    }
}

/// Where a decoder writes: the capped body. A byte beyond the cap fails the write, which stops
/// the decoder at once: a bomb is never inflated past the cap.
#[derive(Debug, Default)]
struct Sink {
    body: CappedBody,
    /// Whether any compressed byte came: an empty body is empty, whatever its coding says.
    fed: bool,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.body.push(buf) {
            Ok(buf.len())
        } else {
            Err(io::Error::new(io::ErrorKind::FileTooLarge, "the body cap is reached"))
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Content {
    /// An empty body of `coding`, `declared` bytes long on the wire if its Content-Length says
    /// so (room is reserved for that many when it is kept as sent).
    pub fn new(coding: Coding, declared: Option<u64>) -> Content {
        let inner = match coding {
            Coding::Gzip => Inner::Gzip(Box::new(flate2::write::GzDecoder::new(Sink::default()))),
            Coding::Brotli => Inner::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(Sink::default(), BROTLI_BUFFER),
            )),
            Coding::Identity | Coding::Other => Inner::Plain(CappedBody::new(declared)),
        };
        Content { inner }
    }

    /// Takes `raw` bytes of the body, as framed on the wire: kept, or decoded. `Ok(false)` once
    /// a byte beyond the cap came (the body is cut there, and the rest is not to be read); an
    /// error when the bytes do not decode.
    pub fn push(&mut self, raw: &[u8]) -> Result<bool, HttpError> {
        let written = match &mut self.inner {
            Inner::Plain(body) => return Ok(body.push(raw)),
            Inner::Gzip(decoder) => write_all(decoder.as_mut(), raw),
            Inner::Brotli(decoder) => write_all(decoder.as_mut(), raw),
        };
        let sink = self.sink_mut().expect("a decoder");
        sink.fed |= !raw.is_empty();
        match written {
            Ok(()) => Ok(true),
            Err(_) if sink.body.is_cut() => Ok(false),
            Err(e) => {
                tracing::debug!("content coding: {e}");
                Err(HttpError::BadCoding)
            }
        }
    }

    /// How many more raw bytes the body can take: for a body kept as sent, what the cap
    /// allows; for one being decoded, any number until the decoded bytes passed the cap.
    pub fn room(&self) -> u64 {
        match &self.inner {
            Inner::Plain(body) => body.room(),
            _ if self.is_cut() => 0,
            Inner::Gzip(_) | Inner::Brotli(_) => u64::MAX,
        }
    }

    /// The body, once its framing says it is all here: a decoded one must have come to the
    /// end of its compressed stream (gzip's trailer checked), else it is malformed. A body cut
    /// at the cap is not checked: its end was never read.
    pub fn finish(&mut self) -> Result<CappedBody, HttpError> {
        let ended = match &mut self.inner {
            Inner::Plain(body) => return Ok(std::mem::take(body)),
            Inner::Gzip(decoder) => decoder.try_finish(),
            Inner::Brotli(decoder) => decoder.close(),
        };
        let sink = self.sink_mut().expect("a decoder");
        match ended {
            Err(e) if sink.fed && !sink.body.is_cut() => {
                tracing::debug!("content coding: the compressed stream ended early ({e})");
                Err(HttpError::BadCoding)
            }
            _ => Ok(std::mem::take(&mut sink.body)),
        }
    }

    /// The body so far, cut at the cap: the framing says more follows, and it is not read.
    pub fn cut(&mut self) -> CappedBody {
        let mut body = match &mut self.inner {
            Inner::Plain(body) => std::mem::take(body),
            Inner::Gzip(decoder) => std::mem::take(&mut decoder.get_mut().body),
            Inner::Brotli(decoder) => std::mem::take(&mut decoder.get_mut().body),
        };
        body.cut();
        body
    }

    /// Whether the body was cut at the cap (a byte beyond it came).
    pub fn is_cut(&self) -> bool {
        match &self.inner {
            Inner::Plain(body) => body.is_cut(),
            Inner::Gzip(decoder) => decoder.get_ref().body.is_cut(),
            Inner::Brotli(decoder) => decoder.get_ref().body.is_cut(),
        }
    }

    /// Reads the rest of a body from `reader` (a client that gives the body as a reader:
    /// ureq), up to the cap: straight into the body when it is kept as sent, through the
    /// decoder when not. A body that does not decode is an `InvalidData` error.
    pub fn read_from(&mut self, mut reader: impl Read) -> io::Result<()> {
        if let Inner::Plain(body) = &mut self.inner {
            return body.read_from(reader);
        }
        let mut buf = [0u8; 8 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            match self.push(&buf[..n]) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }

    /// The response with this body: the body cut at the cap, or finished (see
    /// [`Content::finish`]). `clean_end` as for [`CappedBody::into_response`].
    pub fn into_response(
        mut self,
        status: u16,
        headers: Vec<Header>,
        clean_end: bool,
    ) -> Result<Response, HttpError> {
        let body = if self.is_cut() { self.cut() } else { self.finish()? };
        Ok(body.into_response(status, headers, clean_end))
    }

    fn sink_mut(&mut self) -> Option<&mut Sink> {
        match &mut self.inner {
            Inner::Plain(_) => None,
            Inner::Gzip(decoder) => Some(decoder.get_mut()),
            Inner::Brotli(decoder) => Some(decoder.get_mut()),
        }
    }
}

/// Writes all of `raw` into a decoder. A decoder that takes nothing more has come to the end of
/// its stream: bytes after it are ignored, as browsers ignore them.
fn write_all(decoder: &mut impl Write, mut raw: &[u8]) -> io::Result<()> {
    while !raw.is_empty() {
        match decoder.write(raw) {
            Ok(0) => return Ok(()),
            Ok(n) => raw = &raw[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
