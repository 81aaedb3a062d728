//! [`EventLoop`]: the chapter's event loop, on mio. Sockets are registered with the callback that
//! handles them; the loop waits for readiness and calls it. One-shot timers end what takes too
//! long, and a waker lets another thread (Ctrl-C's) interrupt the wait.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use mio::event::Source;
use mio::{Events, Interest, Poll, Token, Waker};

/// Why a callback is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Its socket is ready. `readable` also covers a peer that closed and a pending error (the
    /// next read says which); `writable` also covers a finished or failed connect.
    Ready {
        /// A read will not block.
        readable: bool,
        /// A write will not block.
        writable: bool,
    },
    /// The deadline set for it with [`EventLoop::set_timer`] has passed.
    Timeout,
}

/// A callback: what runs when its socket is ready or its deadline passes. It is given the state
/// every callback shares (`C`: the crawler's queue, seen-set and records), the loop itself (to
/// register, reregister or remove sockets and timers), its token and the event.
///
/// In the chapter, a callback is a bound method registered with the selector
/// (`selector.register(sock, EVENT_WRITE, self.connected)`); here it is a boxed closure that
/// owns whatever state it needs, because once the function that registered it has returned,
/// there is no stack left to keep that state on.
pub type Callback<C> = Box<dyn FnMut(&mut C, &mut EventLoop<C>, Token, Event)>;

/// A timer set with [`EventLoop::set_timer`], so that it can be cancelled: its deadline, then a
/// sequence number that tells two timers with one deadline apart (the order they fire in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(Instant, u64);

/// What a token stands for.
enum Slot<C> {
    /// Nothing: free for the next [`EventLoop::reserve`].
    Free,
    /// Reserved, or its callback is running right now (it is out of the slot while it runs, so
    /// that it can be given `&mut EventLoop`).
    Busy,
    /// A callback waiting for its socket or its timer.
    Waiting(Callback<C>),
}

/// The waker's token: never handed out by [`EventLoop::reserve`].
const WAKER: Token = Token(usize::MAX);

/// A single-threaded event loop: readiness callbacks by token, timers by deadline.
///
/// # Examples
/// A timer, and a callback that stops the loop by changing the shared state:
/// ```
/// use std::time::{Duration, Instant};
/// use callback::{Event, EventLoop};
///
/// let mut lp: EventLoop<Vec<&str>> = EventLoop::new().unwrap();
/// let token = lp.reserve();
/// lp.set_callback(token, Box::new(|log, lp, token, event| {
///     assert_eq!(event, Event::Timeout);
///     log.push("timer fired");
///     lp.remove(token);
/// }));
/// lp.set_timer(Instant::now() + Duration::from_millis(5), token);
/// let mut log = Vec::new();
/// lp.run(&mut log, |log| !log.is_empty()).unwrap();
/// assert_eq!(log, ["timer fired"]);
/// ```
pub struct EventLoop<C> {
    poll: Poll,
    /// Callbacks by token number.
    slots: Vec<Slot<C>>,
    /// Free slots, reused before the vector grows.
    free: Vec<usize>,
    /// Pending timers, earliest first.
    timers: BTreeMap<TimerId, Token>,
    next_timer: u64,
    waker: Arc<Waker>,
}

impl<C> fmt::Debug for EventLoop<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("slots", &self.slots.len())
            .field("free", &self.free.len())
            .field("timers", &self.timers.len())
            .finish()
    }
}

impl<C> EventLoop<C> {
    /// A loop with nothing registered.
    pub fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(EventLoop {
            poll,
            slots: Vec::new(),
            free: Vec::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
            waker,
        })
    }

    /// Takes a token for a callback to come: a fetcher needs its token to register its socket
    /// before it is handed to [`set_callback`](Self::set_callback).
    pub fn reserve(&mut self) -> Token {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::Free);
            self.slots.len() - 1
        });
        self.slots[index] = Slot::Busy;
        Token(index)
    }

    /// Sets the callback of a reserved token; it runs on every event for the token from now on.
    pub fn set_callback(&mut self, token: Token, callback: Callback<C>) {
        if let Some(slot) = self.slots.get_mut(token.0) {
            *slot = Slot::Waiting(callback);
        }
    }

    /// Frees `token`: its callback never runs again (if it is running, it finishes first) and
    /// is dropped, with everything it owns. Deregister its socket and cancel its timer first.
    pub fn remove(&mut self, token: Token) {
        if let Some(slot) = self.slots.get_mut(token.0)
            && !matches!(slot, Slot::Free)
        {
            *slot = Slot::Free;
            self.free.push(token.0);
        }
    }

    /// Watches `source` for `interest`, calling `token`'s callback when it is ready.
    pub fn register(
        &self,
        source: &mut impl Source,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        self.poll.registry().register(source, token, interest)
    }

    /// Moves a registered `source` to `token` (with `interest`): an idle keep-alive connection
    /// taken from the pool by another fetch, whose callback its events must reach from now on.
    pub fn reregister(
        &self,
        source: &mut impl Source,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        self.poll.registry().reregister(source, token, interest)
    }

    /// Stops watching `source`; its token and callback stay (to register another socket).
    pub fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.poll.registry().deregister(source)
    }

    /// Calls `token`'s callback with [`Event::Timeout`] once `deadline` has passed, unless
    /// cancelled first.
    pub fn set_timer(&mut self, deadline: Instant, token: Token) -> TimerId {
        let id = TimerId(deadline, self.next_timer);
        self.next_timer += 1;
        self.timers.insert(id, token);
        id
    }

    /// Cancels a timer; a timer that already fired, or was cancelled, is no matter.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.timers.remove(&id);
    }

    /// A handle that interrupts the loop's wait from any thread, so that it checks its `done`
    /// condition again (Ctrl-C fires on the signal-handling thread, not on this one).
    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// Runs until `done(ctx)` holds: waits for sockets to be ready or the next deadline, and
    /// calls the callbacks of whatever is ready, then of the timers that are due.
    ///
    /// `done` is checked before every wait, so a callback that makes it true ends the loop as
    /// soon as it returns. An error of the poll itself (not of a socket) ends it with `Err`.
    pub fn run(&mut self, ctx: &mut C, mut done: impl FnMut(&C) -> bool) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        while !done(ctx) {
            self.turn(ctx, &mut events, true)?;
        }
        Ok(())
    }

    /// One turn of the loop: waits for readiness (until the next deadline if `block`, else not
    /// at all), calls the callbacks of what is ready, then of the timers that are due. `run` is
    /// these turns until `done`; an executor that has tasks to run between turns calls it
    /// itself (the hand-made coroutine runtime does).
    pub fn turn(&mut self, ctx: &mut C, events: &mut Events, block: bool) -> io::Result<()> {
        let timeout = if block {
            self.timers
                .first_key_value()
                .map(|(TimerId(deadline, _), _)| deadline.saturating_duration_since(Instant::now()))
        } else {
            Some(std::time::Duration::ZERO)
        };
        match self.poll.poll(events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            if event.token() == WAKER {
                continue; // It only ends the wait; `done` says what to do.
            }
            let ready = Event::Ready {
                readable: event.is_readable() || event.is_read_closed() || event.is_error(),
                writable: event.is_writable() || event.is_write_closed() || event.is_error(),
            };
            self.dispatch(ctx, event.token(), ready);
        }
        let now = Instant::now();
        while let Some(timer) = self.timers.first_entry() {
            if timer.key().0 > now {
                break;
            }
            let token = timer.remove();
            self.dispatch(ctx, token, Event::Timeout);
        }
        Ok(())
    }

    /// Calls `token`'s callback. The callback is taken out of its slot while it runs, and put
    /// back after unless it removed itself. An event for a free token (a socket closed earlier
    /// in the same batch of events) is dropped.
    fn dispatch(&mut self, ctx: &mut C, token: Token, event: Event) {
        let Some(slot) = self.slots.get_mut(token.0) else {
            return;
        };
        let mut callback = match std::mem::replace(slot, Slot::Busy) {
            Slot::Waiting(callback) => callback,
            other => {
                *slot = other; // Free, or busy being set up: nothing to call.
                return;
            }
        };
        callback(ctx, self, token, event);
        if let Some(slot @ Slot::Busy) = self.slots.get_mut(token.0) {
            *slot = Slot::Waiting(callback);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// What the callbacks of a test write down, in order.
    type Log = Vec<String>;

    fn logger(name: &'static str) -> Callback<Log> {
        Box::new(move |log, lp, token, event| {
            log.push(format!("{name} {event:?}"));
            lp.remove(token);
        })
    }

    /// Timers fire in deadline order, whatever the order they were set in; a cancelled one never
    /// fires.
    #[test]
    fn timers_fire_in_deadline_order() {
        let mut lp = EventLoop::new().unwrap();
        let now = Instant::now();
        for (name, ms) in [("c", 30), ("a", 10), ("cancelled", 20), ("b", 20)] {
            let token = lp.reserve();
            lp.set_callback(token, logger(name));
            let id = lp.set_timer(now + Duration::from_millis(ms), token);
            if name == "cancelled" {
                lp.cancel_timer(id);
                lp.remove(token);
            }
        }
        let mut log = Log::new();
        lp.run(&mut log, |log| log.len() == 3).unwrap();
        assert_eq!(log, ["a Timeout", "b Timeout", "c Timeout"]);
        assert!(now.elapsed() >= Duration::from_millis(30), "no timer fires early");
    }

    /// A socket's callback runs when it is readable, can switch the interest it waits for, and
    /// once it removes itself it is dropped and never called again.
    #[test]
    fn socket_callbacks_follow_readiness() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = mio::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let mut lp: EventLoop<Log> = EventLoop::new().unwrap();
        let token = lp.reserve();
        lp.register(&mut client, token, Interest::WRITABLE).unwrap();
        let mut client = Some(client);
        lp.set_callback(
            token,
            Box::new(move |log, lp, token, event| {
                let Some(stream) = client.as_mut() else { return };
                if log.is_empty() {
                    assert!(matches!(event, Event::Ready { writable: true, .. }));
                    stream.write_all(b"ping").unwrap();
                    lp.reregister(stream, token, Interest::READABLE).unwrap();
                    log.push("sent".into());
                } else {
                    let mut buf = [0u8; 16];
                    let n = stream.read(&mut buf).unwrap();
                    log.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    lp.deregister(stream).unwrap();
                    client = None;
                    lp.remove(token);
                }
            }),
        );
        let mut log = Log::new();
        lp.run(&mut log, |log| !log.is_empty()).unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        server.write_all(b"pong").unwrap();
        lp.run(&mut log, |log| log.len() == 2).unwrap();
        assert_eq!(log, ["sent", "pong"]);
        assert!(matches!(lp.slots[token.0], Slot::Free), "removed, and its token free again");
        assert_eq!(lp.reserve(), token, "a free token is reused");
    }

    /// The waker ends the wait from another thread, so that the loop sees a stop that a signal
    /// handler set, although no socket and no timer is due.
    #[test]
    fn waker_ends_the_wait_from_another_thread() {
        let mut lp: EventLoop<()> = EventLoop::new().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (waker, flag) = (lp.waker(), stop.clone());
        let thread = std::thread::spawn(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            waker.wake().unwrap();
        });
        lp.run(&mut (), |_| stop.load(std::sync::atomic::Ordering::SeqCst)).unwrap();
        thread.join().unwrap();
    }
}
