//! The leaf futures: a socket ([`TcpStream`]: connect, read, write) and a timer ([`sleep`],
//! [`timeout`]) that register with the event loop and are woken by its callbacks. The chapter's
//! `read(sock)` and `read_all(sock)`: a callback that resolves a future, and a coroutine that
//! waits on it.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use callback::{Event, TimerId};
use mio::{Interest, Token};

use super::executor::{if_executor, with_executor};

/// What the event loop has said about a socket or timer since its task last looked, and the
/// task to wake when it says more: the chapter's `Future`, whose `set_result` runs the
/// callbacks added with `add_done_callback` (here, one waker).
#[derive(Debug, Default)]
struct Readiness {
    readable: bool,
    writable: bool,
    timed_out: bool,
    waker: Option<Waker>,
}

/// A token on the reactor whose callback records readiness in `state` and wakes its waiter.
fn register_callback(state: &Rc<RefCell<Readiness>>) -> Token {
    let state = state.clone();
    with_executor(|executor| {
        let mut reactor = executor.reactor.borrow_mut();
        let token = reactor.reserve();
        reactor.set_callback(
            token,
            Box::new(move |_, _, _, event| {
                let mut state = state.borrow_mut();
                match event {
                    Event::Ready { readable, writable } => {
                        state.readable |= readable;
                        state.writable |= writable;
                    }
                    Event::Timeout => state.timed_out = true,
                }
                if let Some(waker) = state.waker.take() {
                    waker.wake();
                }
            }),
        );
        token
    })
}

/// Waits until `ready` holds of the state (the loop's callback sets it and wakes us).
fn wait_for<'a>(
    state: &'a Rc<RefCell<Readiness>>,
    ready: impl Fn(&Readiness) -> bool + 'a,
) -> impl Future<Output = ()> + 'a {
    poll_fn(move |cx: &mut Context<'_>| {
        let mut state = state.borrow_mut();
        if ready(&state) {
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    })
}

/// A non-blocking TCP connection registered with the event loop.
///
/// Dropping it (a cancelled task drops its futures, and with them its sockets) deregisters it
/// and closes it.
#[derive(Debug)]
pub struct TcpStream {
    inner: mio::net::TcpStream,
    token: Token,
    state: Rc<RefCell<Readiness>>,
}

impl TcpStream {
    /// The addresses of `host`: the one blocking call of this runtime, as in the chapter
    /// (`getaddrinfo` has no non-blocking form). The shared client calls it once per host.
    pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok((host, port).to_socket_addrs()?.collect())
    }

    /// Connects to `addr`: starts a non-blocking connect, then waits until the socket is
    /// writable, which is when the connect has finished (or failed).
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let mut inner = mio::net::TcpStream::connect(addr)?;
        // As reqwest and ureq do: a request never waits for an acknowledgement to go out.
        inner.set_nodelay(true)?;
        let state = Rc::new(RefCell::new(Readiness::default()));
        let token = register_callback(&state);
        let registered = with_executor(|executor| {
            let interest = Interest::READABLE | Interest::WRITABLE;
            executor.reactor.borrow().register(&mut inner, token, interest)
        });
        // From here on, dropping the stream frees its token, whatever happens next.
        let stream = TcpStream { inner, token, state };
        registered?;
        loop {
            wait_for(&stream.state, |s| s.writable).await;
            if let Some(e) = stream.inner.take_error()? {
                return Err(e);
            }
            match stream.inner.peer_addr() {
                Ok(_) => return Ok(stream),
                // A wake-up before the connect finished: wait again.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    stream.state.borrow_mut().writable = false;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads what has arrived into `buf`, waiting until something has (0: the peer closed).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable().await,
                result => return result,
            }
        }
    }

    /// Reads what has arrived, without waiting: `WouldBlock` if nothing has.
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Edge-triggered: readiness is spent until the loop reports it again.
                    self.state.borrow_mut().readable = false;
                    return Err(e);
                }
                result => return result,
            }
        }
    }

    /// Waits until a read would not block.
    pub async fn readable(&self) {
        wait_for(&self.state, |s| s.readable).await;
    }

    /// Waits until a write would not block.
    pub async fn writable(&self) {
        wait_for(&self.state, |s| s.writable).await;
    }

    /// Writes what the send buffer takes, without waiting: `WouldBlock` if it is full.
    pub fn try_write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[io::IoSlice::new(bytes)])
    }

    /// Writes what the send buffer takes of `bufs`, in one system call, without waiting:
    /// `WouldBlock` if it is full. (TLS hands over several records at once: written one by
    /// one, the small ones would wait for the peer's delayed acknowledgement, Nagle's rule.)
    pub fn try_write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        loop {
            match self.inner.write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Edge-triggered: readiness is spent until the loop reports it again.
                    self.state.borrow_mut().writable = false;
                    return Err(e);
                }
                result => return result,
            }
        }
    }

    /// Writes all of `bytes`, waiting whenever the socket's buffer is full.
    pub async fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.inner.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.state.borrow_mut().writable = false;
                    wait_for(&self.state, |s| s.writable).await;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        if_executor(|executor| {
            let mut reactor = executor.reactor.borrow_mut();
            let _ = reactor.deregister(&mut self.inner);
            reactor.remove(self.token);
        });
    }
}

/// A timer: resolves once `duration` has passed.
pub fn sleep(duration: Duration) -> Sleep {
    let state = Rc::new(RefCell::new(Readiness::default()));
    let token = register_callback(&state);
    let timer = with_executor(|executor| {
        executor.reactor.borrow_mut().set_timer(Instant::now() + duration, token)
    });
    Sleep { state, token, timer }
}

/// The future of [`sleep`]; dropping it cancels the timer.
#[derive(Debug)]
pub struct Sleep {
    state: Rc<RefCell<Readiness>>,
    token: Token,
    timer: TimerId,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        if state.timed_out {
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if_executor(|executor| {
            let mut reactor = executor.reactor.borrow_mut();
            reactor.cancel_timer(self.timer);
            reactor.remove(self.token);
        });
    }
}

/// `future`'s output, or `None` if `duration` passes first (`future` is then dropped).
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
    let (mut future, mut timer) = (pin!(future), pin!(sleep(duration)));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            Poll::Ready(Some(output))
        } else if timer.as_mut().poll(cx).is_ready() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    })
    .await
}
