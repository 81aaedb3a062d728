//! [`ResponseParser`]: the incremental response parser, a state machine fed whatever bytes the
//! socket gave (head, then a body framed by length, chunks, or the end of the connection).

use super::decode::{Coding, Content};
use super::{Header, HttpError, MAX_HEAD, Parsed, Response};

/// Longest chunk-size line accepted (size, extensions and line end).
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Header slots tried first; most responses have far fewer headers.
const FEW_HEADERS: usize = 64;
/// Header slots tried when the first attempt ran out.
const MANY_HEADERS: usize = 1024;
/// Bytes of a young head checked early, so that junk is refused before a whole head arrives.
const PROBE: usize = 64;

/// Where the parser is in the response.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Collecting the head in `buf`.
    Head,
    /// This many body bytes are still to come.
    Length(u64),
    /// Inside a chunked body.
    Chunked(Chunk),
    /// The body runs until the peer closes the connection.
    UntilClose,
    /// `Done` was returned: the parser is spent.
    Finished,
    /// An error was returned; later calls repeat it.
    Failed(HttpError),
}

/// Where the parser is in the chunked framing.
#[derive(Debug, Clone, Copy)]
enum Chunk {
    /// Collecting a chunk-size line in `buf`.
    Size,
    /// This many data bytes of the chunk are still to come.
    Data(u64),
    /// Expecting the line end after chunk data (`saw_cr`: its CR has come).
    DataEnd { saw_cr: bool },
    /// Skipping trailer lines (`seen` bytes so far) until an empty one.
    Trailers { seen: usize },
}

/// The incremental response parser: feed it the bytes as they arrive, in any split.
///
/// One parser reads one response. After it returned `Done` or an error it is spent: `feed`
/// then returns `Err(MalformedHead)` (bytes nobody asked for) and `eof` `Err(ShortBody)`
/// (no response came), or the error it already returned.
///
/// # Examples
///
/// ```
/// use shared::http::{Parsed, ResponseParser};
///
/// let mut parser = ResponseParser::new();
/// assert!(!parser.started());
/// let progress = parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab");
/// assert!(matches!(progress, Ok(Parsed::NeedMore)));
/// assert!(parser.started());
/// let Ok(Parsed::Done(response)) = parser.feed(b"c\r\n0\r\n\r\n") else { panic!() };
/// assert_eq!(response.body, b"abc");
/// assert!(response.reusable);
///
/// // A close-delimited body ends when the peer closes.
/// let mut parser = ResponseParser::new();
/// assert!(matches!(parser.feed(b"HTTP/1.1 200 OK\r\n\r\nabc"), Ok(Parsed::NeedMore)));
/// let response = parser.eof().unwrap();
/// assert_eq!(response.body, b"abc");
/// assert!(!response.reusable);
/// ```
#[derive(Debug)]
pub struct ResponseParser {
    /// Whether this answers a HEAD request (never a body).
    head_request: bool,
    /// Whether any byte has arrived.
    started: bool,
    /// The head so far, then the current chunk-size or trailer line.
    buf: Vec<u8>,
    state: State,
    /// The status and headers, once the head is parsed.
    status: u16,
    headers: Vec<Header>,
    /// The body so far, decoded by its content coding, up to the cap.
    body: Content,
    /// What the version and `Connection` header allow.
    keep_alive: bool,
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A parser for the response to a GET (body expected per the framing rules).
    pub fn new() -> Self {
        ResponseParser {
            head_request: false,
            started: false,
            buf: Vec::new(),
            state: State::Head,
            status: 0,
            headers: Vec::new(),
            body: Content::default(),
            keep_alive: false,
        }
    }

    /// A parser for the response to a HEAD request: never a body, whatever the headers say.
    pub fn for_head() -> Self {
        ResponseParser { head_request: true, ..Self::new() }
    }

    /// Feeds bytes read from the socket and consumes all of them.
    ///
    /// Returns `Done` once the response is complete. Bytes beyond the end of the response are
    /// not an error: the response comes with `reusable = false`, since we never pipeline and
    /// such bytes mean the server and we no longer agree on where a response starts.
    pub fn feed(&mut self, input: &[u8]) -> Result<Parsed, HttpError> {
        self.started |= !input.is_empty();
        let result = match self.state {
            State::Finished => return Err(HttpError::MalformedHead),
            State::Failed(error) => return Err(error),
            _ => self.advance(input),
        };
        if let Err(error) = result {
            self.state = State::Failed(error);
        }
        result
    }

    /// The peer closed the connection (a read returned 0).
    ///
    /// Completes a close-delimited body (the response has `reusable = false`), or returns
    /// `Err(ShortBody)` when the response was incomplete, including when nothing arrived.
    pub fn eof(&mut self) -> Result<Response, HttpError> {
        match self.state {
            State::UntilClose => {
                let finished = self.finish(false);
                if let Err(error) = finished {
                    self.state = State::Failed(error);
                }
                finished
            }
            State::Failed(error) => Err(error),
            State::Finished => Err(HttpError::ShortBody),
            State::Head | State::Length(_) | State::Chunked(_) => {
                self.state = State::Failed(HttpError::ShortBody);
                Err(HttpError::ShortBody)
            }
        }
    }

    /// Whether any byte of a response has been received.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Whether the head is complete and the body is being read (or the response is done): a
    /// model uses it to say which step a failure happened in, reading the head or the body.
    pub fn in_body(&self) -> bool {
        !matches!(self.state, State::Head | State::Failed(_))
    }

    /// Runs the state machine over `input` until it is used up or the response is complete.
    fn advance(&mut self, mut input: &[u8]) -> Result<Parsed, HttpError> {
        // Every turn either returns, consumes input, or moves to a later state, so this ends.
        loop {
            let step = match self.state {
                State::Head => self.read_head(&mut input)?,
                State::Length(remaining) => Some(self.read_length(&mut input, remaining)?),
                State::UntilClose => {
                    // A byte beyond the cap means the body goes on: stop reading it.
                    Some(if self.body.push(input)? {
                        Parsed::NeedMore
                    } else {
                        Parsed::Done(self.cut())
                    })
                }
                State::Chunked(chunk) => self.read_chunked(&mut input, chunk)?,
                // `feed` answers these itself and never gets here.
                State::Finished | State::Failed(_) => Some(Parsed::NeedMore),
            };
            if let Some(progress) = step {
                return Ok(progress);
            }
        }
    }

    /// Buffers head bytes; on a complete head, moves on to the body (or returns `Done`).
    fn read_head(&mut self, input: &mut &[u8]) -> Result<Option<Parsed>, HttpError> {
        let old_len = self.buf.len();
        // Never buffer more than one byte past the limit, however much arrived.
        let take = input.len().min((MAX_HEAD + 1).saturating_sub(old_len));
        self.buf.extend_from_slice(&input[..take]);
        // A head ends with an empty line, so parsing is only worth it when one may have just
        // arrived; this keeps byte-by-byte feeding linear instead of quadratic.
        if ends_a_head(&self.buf[old_len.saturating_sub(2)..]) {
            if let Some(head) = parse_head(&self.buf)? {
                if head.len > MAX_HEAD {
                    return Err(HttpError::HeadTooLarge);
                }
                // The head's last byte came in this feed (we parse whenever an empty line may
                // have arrived), so the rest of `input` after it is the body.
                *input = input.get(head.len.saturating_sub(old_len)..).unwrap_or_default();
                self.buf = Vec::new();
                return self.start_body(head, input);
            }
        } else if old_len < PROBE {
            // No head end yet, but junk (a TLS server, say) shows in its first bytes.
            parse_head(&self.buf[..self.buf.len().min(PROBE)])?;
        }
        if self.buf.len() > MAX_HEAD {
            return Err(HttpError::HeadTooLarge);
        }
        Ok(Some(Parsed::NeedMore))
    }

    /// Decides the framing of the body from a complete head (RFC 9112 §6.3).
    fn start_body(&mut self, head: Head, input: &[u8]) -> Result<Option<Parsed>, HttpError> {
        let status = head.status;
        if (100..200).contains(&status) && status != 101 {
            // An interim response (100 Continue, 103 Early Hints): the real one follows.
            return Ok(None);
        }
        self.keep_alive = keeps_alive(head.version, &head.headers);
        (self.status, self.headers) = (status, head.headers);
        if self.head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            // No body. After 101 the connection speaks another protocol, so it is never reused.
            return Ok(Some(Parsed::Done(self.finish(status != 101 && input.is_empty())?)));
        }
        let headers = &self.headers;
        let (state, declared) = match last_transfer_coding(headers) {
            Some(coding) if coding.eq_ignore_ascii_case(b"chunked") => {
                (State::Chunked(Chunk::Size), None)
            }
            Some(_) => (State::UntilClose, None),
            None => match content_length(headers)? {
                Some(length) => (State::Length(length), Some(length)),
                None => (State::UntilClose, None),
            },
        };
        self.state = state;
        self.body = Content::new(Coding::of(headers), declared);
        Ok(None)
    }

    /// Reads a body of known length.
    fn read_length(&mut self, input: &mut &[u8], remaining: u64) -> Result<Parsed, HttpError> {
        let remaining = self.take_body(input, remaining)?;
        Ok(if remaining == 0 {
            Parsed::Done(self.finish(input.is_empty())?)
        } else if self.body.room() == 0 {
            Parsed::Done(self.cut())
        } else {
            self.state = State::Length(remaining);
            Parsed::NeedMore
        })
    }

    /// Takes one step through the chunked framing.
    fn read_chunked(
        &mut self,
        input: &mut &[u8],
        chunk: Chunk,
    ) -> Result<Option<Parsed>, HttpError> {
        let next = match chunk {
            Chunk::Size => {
                if !take_line(&mut self.buf, input, MAX_CHUNK_LINE)? {
                    return Ok(Some(Parsed::NeedMore));
                }
                let size = chunk_size(&self.buf)?;
                self.buf.clear();
                if size == 0 {
                    Chunk::Trailers { seen: 0 }
                } else if self.body.room() == 0 {
                    // The body is at the cap and another chunk follows.
                    return Ok(Some(Parsed::Done(self.cut())));
                } else {
                    Chunk::Data(size)
                }
            }
            Chunk::Data(remaining) => {
                let remaining = self.take_body(input, remaining)?;
                if remaining == 0 {
                    Chunk::DataEnd { saw_cr: false }
                } else if self.body.room() == 0 {
                    return Ok(Some(Parsed::Done(self.cut())));
                } else {
                    self.state = State::Chunked(Chunk::Data(remaining));
                    return Ok(Some(Parsed::NeedMore));
                }
            }
            Chunk::DataEnd { saw_cr } => {
                let Some((&byte, rest)) = input.split_first() else {
                    return Ok(Some(Parsed::NeedMore));
                };
                *input = rest;
                match byte {
                    b'\r' if !saw_cr => Chunk::DataEnd { saw_cr: true },
                    b'\n' => Chunk::Size,
                    _ => return Err(HttpError::MalformedBody),
                }
            }
            Chunk::Trailers { seen } => {
                if !take_line(&mut self.buf, input, MAX_HEAD.saturating_sub(seen))? {
                    return Ok(Some(Parsed::NeedMore));
                }
                if self.buf.is_empty() {
                    return Ok(Some(Parsed::Done(self.finish(input.is_empty())?)));
                }
                let seen = seen.saturating_add(self.buf.len() + 1);
                self.buf.clear();
                Chunk::Trailers { seen }
            }
        };
        self.state = State::Chunked(next);
        Ok(None)
    }

    /// Moves up to `remaining` body bytes (and no more than the cap allows) from `input`
    /// into the body, kept or decoded; returns how many are still to come.
    fn take_body(&mut self, input: &mut &[u8], remaining: u64) -> Result<u64, HttpError> {
        let n = take_len(input.len(), remaining.min(self.body.room()));
        let (body, rest) = input.split_at(n);
        self.body.push(body)?;
        *input = rest;
        Ok(remaining.saturating_sub(n as u64))
    }

    /// Hands out the response. `clean_end`: the framing said where the body ended and no
    /// stray byte followed. A close-delimited body never has a clean end: the connection is
    /// gone by definition. A compressed body must have come to the end of its stream.
    fn finish(&mut self, clean_end: bool) -> Result<Response, HttpError> {
        self.state = State::Finished;
        let body = self.body.finish()?;
        Ok(self.respond(body, clean_end))
    }

    /// Hands out the response with its body cut at the cap: the framing says more follows,
    /// and it is not read.
    fn cut(&mut self) -> Response {
        self.state = State::Finished;
        let body = self.body.cut();
        self.respond(body, false)
    }

    fn respond(&mut self, body: super::CappedBody, clean_end: bool) -> Response {
        let headers = std::mem::take(&mut self.headers);
        body.into_response(self.status, headers, self.keep_alive && clean_end)
    }
}

/// A complete response head, copied out of the buffer.
struct Head {
    /// Bytes the head took, up to and including its empty line.
    len: usize,
    status: u16,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    version: u8,
    headers: Vec<Header>,
}

/// Whether `bytes` hold the end of an empty line (`\n\n` or `\n\r\n`), which ends a head.
/// It looks at line ends only (`memchr`) and stops at the first empty line: a head is read with
/// the body's first bytes behind it, and those are not scanned byte by byte.
fn ends_a_head(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', bytes)
        .any(|i| matches!(bytes[i + 1..], [b'\n', ..] | [b'\r', b'\n', ..]))
}

/// Parses `buf` as a response head: `None` while incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, HttpError> {
    let mut slots = [httparse::EMPTY_HEADER; FEW_HEADERS];
    match parse_with(buf, &mut slots) {
        Err(httparse::Error::TooManyHeaders) => {
            let mut slots = vec![httparse::EMPTY_HEADER; MANY_HEADERS];
            parse_with(buf, &mut slots).map_err(|_| HttpError::MalformedHead)
        }
        other => other.map_err(|_| HttpError::MalformedHead),
    }
}

/// One httparse attempt with the given header slots.
fn parse_with<'b>(
    buf: &'b [u8],
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<Head>, httparse::Error> {
    // Lenient where browsers are: real servers send these and mean no harm.
    let mut config = httparse::ParserConfig::default();
    config
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    let mut response = httparse::Response::new(slots);
    let httparse::Status::Complete(len) = config.parse_response(&mut response, buf)? else {
        return Ok(None);
    };
    let (Some(version), Some(status)) = (response.version, response.code) else {
        return Err(httparse::Error::Status); // httparse fills both in before Complete
    };
    let headers = response
        .headers
        .iter()
        .map(|h| Header { name: h.name.to_owned(), value: h.value.to_vec() })
        .collect();
    Ok(Some(Head { len, status, version, headers }))
}

/// The values of every header named `name`, split at commas and trimmed, in order.
fn list_items<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
}

/// Whether the version and `Connection` tokens allow another request on the connection.
fn keeps_alive(version: u8, headers: &[Header]) -> bool {
    let has =
        |token: &[u8]| list_items(headers, "connection").any(|t| t.eq_ignore_ascii_case(token));
    !has(b"close") && (version == 1 || has(b"keep-alive"))
}

/// The last transfer coding named in any `Transfer-Encoding` header (parameters dropped).
fn last_transfer_coding(headers: &[Header]) -> Option<&[u8]> {
    list_items(headers, "transfer-encoding")
        .map(|item| item.split(|&b| b == b';').next().unwrap_or_default().trim_ascii())
        .filter(|coding| !coding.is_empty())
        .last()
}

/// The body length from `Content-Length`: repeated values must agree, and be digits only.
fn content_length(headers: &[Header]) -> Result<Option<u64>, HttpError> {
    let mut length = None;
    for item in list_items(headers, "content-length") {
        let value = parse_digits(item, 10, 20).ok_or(HttpError::MalformedHead)?;
        if length.is_some_and(|l| l != value) {
            return Err(HttpError::MalformedHead);
        }
        length = Some(value);
    }
    Ok(length)
}

/// The chunk size from a chunk-size line (extensions ignored).
fn chunk_size(line: &[u8]) -> Result<u64, HttpError> {
    let size = line.split(|&b| b == b';').next().unwrap_or_default().trim_ascii_end();
    parse_digits(size, 16, 15).ok_or(HttpError::MalformedBody)
}

/// Parses 1 to `max_digits` digits in `radix`, with nothing else around them; `None` on
/// anything else or on overflow.
fn parse_digits(digits: &[u8], radix: u32, max_digits: usize) -> Option<u64> {
    if digits.is_empty() || digits.len() > max_digits {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b).to_digit(radix)?;
        acc.checked_mul(u64::from(radix))?.checked_add(u64::from(digit))
    })
}

/// Moves the bytes of the current line from `input` into `line`. Returns `true` once the line
/// is complete: its LF consumed, and it and a CR before it left out of `line`. More than
/// `limit` bytes before the LF is `MalformedBody`.
fn take_line(line: &mut Vec<u8>, input: &mut &[u8], limit: usize) -> Result<bool, HttpError> {
    let (part, complete) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], true),
        None => (*input, false),
    };
    if line.len() + part.len() > limit {
        return Err(HttpError::MalformedBody);
    }
    line.extend_from_slice(part);
    *input = input.get(part.len() + usize::from(complete)..).unwrap_or_default();
    if complete && line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(complete)
}

/// How many of `available` bytes to take when at most `limit` may be taken.
fn take_len(available: usize, limit: u64) -> usize {
    // A limit too big for usize is bigger than any slice.
    usize::try_from(limit).map_or(available, |limit| limit.min(available))
}

#[cfg(test)]
mod tests {
    use super::ends_a_head;

    /// An empty line ends a head, with or without its CR; a line end alone, or a CR that is
    /// not followed by LF, does not.
    #[test]
    fn head_ends_at_an_empty_line() {
        for ends in [&b"HTTP/1.1 200 OK\r\n\r\nbody"[..], b"a\n\nb", b"\n\r\n", b"x\n\n"] {
            assert!(ends_a_head(ends), "{ends:?}");
        }
        for goes_on in [&b"HTTP/1.1 200 OK\r\nA: b\r\n"[..], b"a\n\r", b"a\n\rx\n", b"", b"\r\n"] {
            assert!(!ends_a_head(goes_on), "{goes_on:?}");
        }
    }
}
