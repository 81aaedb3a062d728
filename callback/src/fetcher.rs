//! [`Fetcher`]: one URL's fetch as a state machine, connect → write the request → read the head
//! → read the body, one step per readiness event. Its state lives in its fields, because a
//! callback returns to the loop after every step and has no stack to keep anything on.

use std::fmt;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Token};
use shared::http::{Address, Ended, Exchange, Response, Session, Step, Tls, is_open_by_peek};
use shared::{Job, NetError, Tries};

use crate::crawler::Crawler;
use crate::event_loop::{Callback, Event, EventLoop, TimerId};

/// The User-Agent of this model's requests.
const USER_AGENT: &str = concat!("crawler-models-callback/", env!("CARGO_PKG_VERSION"));

/// Where a fetch is: which event it waits for, and what it does when that event comes.
#[derive(Debug)]
enum State {
    /// A new connection is being made; waiting for the socket to be writable.
    Connecting,
    /// The request and its response, under way on the connection: the shared core's
    /// [`Exchange`] holds how much is written and what is parsed.
    Exchanging(Exchange),
    /// Between two tries, waiting for the host's next turn (`--delay`): only its timer can
    /// come, and the next try starts then.
    Pausing,
}

/// The step a fetch was in, for the log line of a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Handshaking,
    Writing,
    ReadingHead,
    ReadingBody,
}

impl State {
    fn phase(&self) -> Phase {
        match self {
            State::Connecting | State::Pausing => Phase::Connecting,
            State::Exchanging(exchange) if exchange.in_handshake() => Phase::Handshaking,
            State::Exchanging(exchange) if !exchange.is_sent() => Phase::Writing,
            State::Exchanging(exchange) if exchange.in_body() => Phase::ReadingBody,
            State::Exchanging(_) => Phase::ReadingHead,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connecting => "connecting",
            Phase::Handshaking => "in the TLS handshake",
            Phase::Writing => "writing the request",
            Phase::ReadingHead => "reading the head",
            Phase::ReadingBody => "reading the body",
        })
    }
}

/// A failed try, with the step it failed in: the context that a callback's missing stack would
/// otherwise lose ("connection reset" says little; "reset while reading the body" says where).
#[derive(Debug, Clone, Copy)]
struct Failure {
    error: NetError,
    phase: Phase,
    timed_out: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = if self.timed_out { "the deadline passed while" } else { "while" };
        write!(f, "{} ({when} {})", self.error, self.phase)
    }
}

/// What one step of the state machine came to.
enum Next {
    /// Wait for the next event.
    Wait,
    /// The response is complete.
    Response(Response),
    /// The try failed.
    Failed(Failure),
    /// The kept connection had been closed by its server: the same request goes on a new
    /// connection, within the same try.
    Resend,
}

impl Next {
    /// A try that failed with `error` in `phase` (before its deadline).
    fn failed(error: NetError, phase: Phase) -> Next {
        Next::Failed(Failure { error, phase, timed_out: false })
    }
}

/// Where a try stands once a step's result is acted on.
enum Settled {
    /// Under way: wait for the next event.
    Waiting,
    /// It failed, and another try is to start.
    TryAgain,
    /// The URL is done: its response, or the failure of its last try.
    Done(Result<Response, NetError>),
}

/// One URL's fetch: the job, its tries, and the connection and exchange of the current try.
#[derive(Debug)]
pub struct Fetcher {
    job: Job,
    tries: Tries,
    state: State,
    /// The connection of the current try; `None` between tries.
    stream: Option<TcpStream>,
    /// The deadline of the current try (connect to the last byte of the body), and its timer.
    deadline: Instant,
    timer: Option<TimerId>,
}

impl Fetcher {
    /// Starts fetching `job`, with a token of its own on `lp`: its first try is under way when
    /// this returns, or, if every try failed at once (say, no such host), the URL is done.
    pub fn fetch(crawler: &mut Crawler, lp: &mut EventLoop<Crawler>, job: Job) {
        let token = lp.reserve();
        let mut fetcher = Fetcher {
            tries: Tries::new(crawler.config.max_tries()),
            job,
            state: State::Connecting,
            stream: None,
            deadline: Instant::now(),
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
            // A retry takes its host's turn like any start (`--delay`). If it must wait, the
            // wait is a timer on the loop: this fetcher's callback runs again when it fires.
            if self.tries.count() > 0
                && let Some(at) = crawler.hosts.retry(&self.job.url, Instant::now())
            {
                self.state = State::Pausing;
                self.timer = Some(lp.set_timer(at, token));
                return None;
            }
            self.deadline = Instant::now() + crawler.config.timeout();
            self.timer = Some(lp.set_timer(self.deadline, token));
            let next = self.connect(crawler, lp, token, true);
            match self.settle(crawler, lp, token, next) {
                Settled::Waiting => return None,
                Settled::TryAgain => {}
                Settled::Done(done) => return Some(done),
            }
        }
    }

    /// Begins the exchange of a try: on an idle connection to the host if the pool has one
    /// (and `reuse` allows it), else on a new one. The host name is resolved first, once per
    /// crawl: the one blocking call of this model.
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
        reuse: bool,
    ) -> Next {
        let fail = |error| Next::failed(error, Phase::Connecting);
        let url = &self.job.url;
        let addr = match crawler.pool.address(url) {
            Ok(Address::Known(addr)) => addr,
            Ok(Address::LookUp(name)) => {
                let found = name.lookup_blocking();
                match crawler.pool.learn(name, found) {
                    Ok(addr) => addr,
                    Err(error) => return fail(error),
                }
            }
            Err(error) => return fail(error),
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        let idle = if reuse {
            crawler.pool.take(url, |stream| is_open_by_peek(stream.peek(&mut [0u8; 1])))
        } else {
            None
        };
        if let Some((mut stream, session)) = idle {
            if let Err(e) = lp.reregister(&mut stream, token, interest) {
                return fail(NetError::from_io(&e));
            }
            self.stream = Some(stream);
            self.state = State::Exchanging(self.exchange(session));
            return self.advance();
        }
        let registered = TcpStream::connect(addr).and_then(|mut stream| {
            // As reqwest and ureq do: a request never waits for an acknowledgement to go out.
            stream.set_nodelay(true)?;
            lp.register(&mut stream, token, interest)?;
            Ok(stream)
        });
        match registered {
            Ok(stream) => {
                self.stream = Some(stream);
                self.state = State::Connecting;
                Next::Wait
            }
            Err(e) => fail(NetError::from_io(&e)),
        }
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
        let next = match event {
            Event::Timeout if matches!(self.state, State::Pausing) => {
                self.timer = None;
                return self.start(crawler, lp, token);
            }
            Event::Ready { .. } if matches!(self.state, State::Pausing) => return None,
            Event::Timeout => {
                self.timer = None; // It fired: nothing to cancel.
                let phase = self.state.phase();
                Next::Failed(Failure { error: NetError::Timeout, phase, timed_out: true })
            }
            Event::Ready { .. } => match self.state {
                State::Connecting | State::Pausing => self.connected(&crawler.tls),
                State::Exchanging(_) => self.advance(),
            },
        };
        match self.settle(crawler, lp, token, next) {
            Settled::Waiting => None,
            Settled::TryAgain => self.start(crawler, lp, token),
            Settled::Done(done) => Some(done),
        }
    }

    /// Acts on a step's result: a resend opens a new connection (within the same try, as
    /// many times as kept connections turn out closed); a response or a failure ends the try.
    fn settle(
        &mut self,
        crawler: &mut Crawler,
        lp: &mut EventLoop<Crawler>,
        token: Token,
        mut next: Next,
    ) -> Settled {
        loop {
            match next {
                Next::Resend => {
                    tracing::debug!("{}: kept connection was closed; resending", self.job.url);
                    self.drop_stream(lp);
                    next = self.connect(crawler, lp, token, false);
                }
                Next::Wait => return Settled::Waiting,
                Next::Response(response) => {
                    self.close(lp, crawler, response.reusable);
                    return Settled::Done(Ok(response));
                }
                Next::Failed(failure) => match self.retry_or_give_up(lp, failure) {
                    Some(done) => return Settled::Done(done),
                    None => return Settled::TryAgain,
                },
            }
        }
    }

    /// Writable while connecting: the connect has finished, or failed. Then the exchange
    /// begins on the new connection (for https, with a TLS client whose handshake the
    /// exchange makes: see [`Session::open`]).
    fn connected(&mut self, tls: &Tls) -> Next {
        let fail = |error| Next::failed(error, Phase::Connecting);
        let Some(stream) = self.stream.as_ref() else {
            return fail(NetError::Other);
        };
        match stream.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => return fail(NetError::from_io(&e)),
        }
        match stream.peer_addr() {
            Ok(_) => {}
            // Not connected yet: a spurious wake-up. Wait for the next event.
            Err(e) if e.kind() == std::io::ErrorKind::NotConnected => return Next::Wait,
            Err(e) => return fail(NetError::from_io(&e)),
        }
        match Session::open(&self.job.url, tls) {
            Ok(session) => self.state = State::Exchanging(self.exchange(session)),
            Err(error) => return fail(error),
        }
        self.advance()
    }

    /// Ready during the exchange: the shared core writes what it can of the request and reads
    /// what has arrived, until the socket would block (wait for the next event: the socket is
    /// registered for both kinds) or the exchange is over.
    fn advance(&mut self) -> Next {
        let phase = self.state.phase();
        let (Some(stream), State::Exchanging(exchange)) = (self.stream.as_mut(), &mut self.state)
        else {
            return Next::failed(NetError::Other, phase);
        };
        match exchange.drive(stream) {
            Step::Wait(_) => Next::Wait,
            Step::Done(Ended::Response(response)) => Next::Response(response),
            Step::Done(Ended::Resend) => Next::Resend,
            Step::Done(Ended::Failed(error)) => {
                let phase = self.state.phase();
                Next::failed(error, phase)
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
        self.drop_stream(lp);
        if let Some(timer) = self.timer.take() {
            lp.cancel_timer(timer);
        }
        let error = failure.error;
        if self.tries.again(&self.job.url, failure) { None } else { Some(Err(error)) }
    }

    /// Closes the current connection, out of the loop's watch.
    fn drop_stream(&mut self, lp: &mut EventLoop<Crawler>) {
        if let Some(mut stream) = self.stream.take() {
            let _ = lp.deregister(&mut stream);
        }
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
        let state = std::mem::replace(&mut self.state, State::Connecting);
        if let (Some(stream), true, State::Exchanging(exchange)) =
            (self.stream.take(), reusable, state)
        {
            crawler.pool.put(&self.job.url, stream, exchange.into_session());
        }
    }

    /// A new exchange of this fetch's GET on a connection in `session`, within the try's
    /// deadline.
    fn exchange(&self, session: Session) -> Exchange {
        Exchange::new(&self.job.url, USER_AGENT, session, self.deadline)
    }
}
