//! [`Fetcher`]: one URL's fetch as a state machine, connect → write the request → read the head
//! → read the body, one step per readiness event. Its state lives in its fields, because a
//! callback returns to the loop after every step and has no stack to keep anything on.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Token};
use shared::http::{self, Progress, Response, ResponseParser};
use shared::{Job, NetError, Tries};

use crate::crawler::Crawler;
use crate::event_loop::{Callback, Event, EventLoop, TimerId};

/// The User-Agent of this model's requests.
const USER_AGENT: &str = concat!("crawler-models-callback/", env!("CARGO_PKG_VERSION"));

/// Where a fetch is: which event it waits for, and what it does when that event comes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// A new connection is being made; waiting for the socket to be writable.
    Connecting,
    /// Sending the request; `written` bytes of it are out.
    Writing {
        /// The request bytes (kept only while they are being sent).
        request: Vec<u8>,
        /// How many have been written.
        written: usize,
    },
    /// The request is sent; the head of the response is arriving.
    ReadingHead,
    /// The head is in; the body is arriving.
    ReadingBody,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Connecting => "connecting",
            State::Writing { .. } => "writing the request",
            State::ReadingHead => "reading the head",
            State::ReadingBody => "reading the body",
        })
    }
}

/// A failed try, with the step it failed in: the context that a callback's missing stack would
/// otherwise lose ("connection reset" says little; "reset while reading the body" says where).
#[derive(Debug, Clone)]
struct Failure {
    error: NetError,
    state: State,
    timed_out: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = if self.timed_out { "the deadline passed while" } else { "while" };
        write!(f, "{} ({when} {})", self.error, self.state)
    }
}

/// One URL's fetch: the job, its tries, and the connection and parser of the current try.
#[derive(Debug)]
pub struct Fetcher {
    job: Job,
    tries: Tries,
    state: State,
    addr: Option<SocketAddr>,
    /// The connection of the current try; `None` between tries.
    stream: Option<TcpStream>,
    /// The response parser of the current try: a few words until bytes arrive.
    parser: ResponseParser,
    /// The deadline of the current try (connect to the last byte of the body).
    timer: Option<TimerId>,
}

impl Fetcher {
    /// Starts fetching `job`, with a token of its own on `lp`: its first try is under way when
    /// this returns, or, if every try failed at once (say, no such host), the URL is done.
    pub fn fetch(crawler: &mut Crawler, lp: &mut EventLoop<Crawler>, job: Job) {
        let token = lp.reserve();
        let mut fetcher = Fetcher {
            tries: Tries::new(crawler.config.max_tries),
            job,
            state: State::Connecting,
            addr: None,
            stream: None,
            parser: ResponseParser::new(),
            timer: None,
        };
        match fetcher.start(crawler, lp, token) {
            None => lp.set_callback(token, fetcher.into_callback()),
            Some(fetched) => {
                lp.remove(token);
                crawler.fetched(&fetcher.job, fetched, lp);
            }
        }
    }

    /// The fetcher as the callback of its token: every event goes to [`Fetcher::on_event`];
    /// when that says the URL is done, the token is freed and the crawler takes the result.
    fn into_callback(mut self) -> Callback<Crawler> {
        Box::new(move |crawler, lp, token, event| {
            if let Some(fetched) = self.on_event(crawler, lp, token, event) {
                lp.remove(token);
                crawler.fetched(&self.job, fetched, lp);
            }
        })
    }

    /// Starts a try, and on failure the next, until one is under way (`None`) or none is left
    /// (the URL's result).
    fn start(
        &mut self,
        crawler: &mut Crawler,
        lp: &mut EventLoop<Crawler>,
        token: Token,
    ) -> Option<Result<Response, NetError>> {
        loop {
            let failure = match self.connect(crawler, lp, token) {
                Ok(()) => return None,
                Err(failure) => failure,
            };
            if let Some(done) = self.retry_or_give_up(lp, failure) {
                return Some(done);
            }
        }
    }

    /// Begins a try: an idle connection to the host if the pool has one, else a new one; the
    /// socket registered (once, for both readiness kinds), the try's deadline set.
    ///
    /// A socket is registered for reads and writes together and stays so for its whole life,
    /// idle in the pool included: mio's readiness is edge-triggered, so "writable" comes once
    /// (the connect is done) and "readable" each time bytes arrive, and no state has to change
    /// the interest. An idle connection taken from the pool is moved to this fetch's token
    /// (one `reregister`) and the request is written at once: a connection with nothing in
    /// flight has room in its send buffer.
    fn connect(
        &mut self,
        crawler: &mut Crawler,
        lp: &mut EventLoop<Crawler>,
        token: Token,
    ) -> Result<(), Failure> {
        let fail = |error| Failure { error, state: State::Connecting, timed_out: false };
        if self.job.url.scheme() != "http" {
            tracing::warn!("{}: this model speaks plain HTTP only", self.job.url);
            return Err(fail(NetError::Other));
        }
        let addr = crawler.resolver.resolve(&self.job.url).map_err(fail)?;
        self.addr = Some(addr);
        let interest = Interest::READABLE | Interest::WRITABLE;
        let (stream, idle) = match crawler.pool.take(addr) {
            Some(mut stream) => {
                lp.reregister(&mut stream, token, interest)
                    .map_err(|e| fail(NetError::from_io(&e)))?;
                (stream, true)
            }
            None => {
                let mut stream =
                    TcpStream::connect(addr).map_err(|e| fail(NetError::from_io(&e)))?;
                lp.register(&mut stream, token, interest)
                    .map_err(|e| fail(NetError::from_io(&e)))?;
                (stream, false)
            }
        };
        self.stream = Some(stream);
        self.parser = ResponseParser::new();
        self.timer = Some(lp.set_timer(Instant::now() + crawler.config.timeout, token));
        if !idle {
            self.state = State::Connecting;
            return Ok(());
        }
        self.state = State::Writing { request: self.request(), written: 0 };
        self.send().map_err(|error| Failure { error, state: self.state.clone(), timed_out: false })
    }

    /// One step of the state machine, for one event: `None` while the fetch goes on, the result
    /// once the URL is done (a response, or the failure of the last try).
    fn on_event(
        &mut self,
        crawler: &mut Crawler,
        lp: &mut EventLoop<Crawler>,
        token: Token,
        event: Event,
    ) -> Option<Result<Response, NetError>> {
        let step = match event {
            Event::Timeout => {
                self.timer = None; // It fired: nothing to cancel.
                Err(NetError::Timeout)
            }
            Event::Ready { .. } => match self.state {
                State::Connecting => self.connected().map(|()| None),
                State::Writing { .. } => self.send().map(|()| None),
                State::ReadingHead | State::ReadingBody => self.read_response(&mut crawler.buf),
            },
        };
        match step {
            Ok(None) => None,
            Ok(Some(response)) => {
                self.close(lp, crawler, response.reusable);
                Some(Ok(response))
            }
            Err(error) => {
                let timed_out = event == Event::Timeout;
                let failure = Failure { error, state: self.state.clone(), timed_out };
                match self.retry_or_give_up(lp, failure) {
                    Some(done) => Some(done),
                    None => self.start(crawler, lp, token),
                }
            }
        }
    }

    /// Writable while connecting: the connect has finished, or failed. Then send.
    fn connected(&mut self) -> Result<(), NetError> {
        let stream = self.stream.as_ref().ok_or(NetError::Other)?;
        if let Some(e) = stream.take_error().map_err(|e| NetError::from_io(&e))? {
            return Err(NetError::from_io(&e));
        }
        match stream.peer_addr() {
            Ok(_) => {}
            // Not connected yet: a spurious wake-up. Wait for the next event.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            Err(e) => return Err(NetError::from_io(&e)),
        }
        self.state = State::Writing { request: self.request(), written: 0 };
        self.send()
    }

    /// Writes as much of the request as the socket takes; once all of it is out, waits for the
    /// response (the socket is registered for reads already).
    fn send(&mut self) -> Result<(), NetError> {
        let stream = self.stream.as_mut().ok_or(NetError::Other)?;
        let State::Writing { request, written } = &mut self.state else {
            return Ok(());
        };
        while *written < request.len() {
            match stream.write(&request[*written..]) {
                Ok(0) => return Err(NetError::ConnectionReset),
                Ok(n) => *written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(NetError::from_io(&e)),
            }
        }
        self.state = State::ReadingHead;
        Ok(())
    }

    /// Readable: reads what has arrived (into the crawler's one read buffer, shared by every
    /// fetch since only one runs at a time) and feeds it to the parser, until the socket has no
    /// more for now (`Ok(None)`: wait for the next event) or the response is complete.
    fn read_response(&mut self, buf: &mut [u8]) -> Result<Option<Response>, NetError> {
        let stream = self.stream.as_mut().ok_or(NetError::Other)?;
        loop {
            let progress = match stream.read(buf) {
                Ok(0) => return self.parser.eof().map(Some).map_err(NetError::from),
                Ok(n) => self.parser.feed(&buf[..n]).map_err(NetError::from)?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NetError::from_io(&e)),
            };
            match progress {
                Progress::Done(response) => return Ok(Some(response)),
                Progress::NeedMore if self.parser.in_body() => self.state = State::ReadingBody,
                Progress::NeedMore => {}
            }
        }
    }

    /// After a failed try: closes its connection, and says whether another try comes (`None`)
    /// or the URL failed for good (its result). The log line names the step that failed.
    fn retry_or_give_up(
        &mut self,
        lp: &mut EventLoop<Crawler>,
        failure: Failure,
    ) -> Option<Result<Response, NetError>> {
        if let Some(mut stream) = self.stream.take() {
            let _ = lp.deregister(&mut stream);
        }
        if let Some(timer) = self.timer.take() {
            lp.cancel_timer(timer);
        }
        let error = failure.error;
        if self.tries.again(&self.job.url, failure) { None } else { Some(Err(error)) }
    }

    /// After a complete response: cancels the deadline, and keeps the connection for the next
    /// request to the host if the response allows it, else closes it (closing its file takes it
    /// out of the poll).
    ///
    /// A kept connection stays registered under this fetch's token, which another fetch may get
    /// next: an event of the idle socket (its server closing it, say) then wakes that fetch,
    /// whose read of its own socket finds nothing and waits on. Every state takes such a
    /// spurious wake-up in its stride, as it must with mio anyway.
    fn close(&mut self, lp: &mut EventLoop<Crawler>, crawler: &mut Crawler, reusable: bool) {
        if let Some(timer) = self.timer.take() {
            lp.cancel_timer(timer);
        }
        if let (Some(stream), true, Some(addr)) = (self.stream.take(), reusable, self.addr) {
            crawler.pool.put(addr, stream);
        }
    }

    /// The bytes of this fetch's GET.
    fn request(&self) -> Vec<u8> {
        http::request(&self.job.url, USER_AGENT)
    }
}
