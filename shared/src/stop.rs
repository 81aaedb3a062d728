//! [`Stop`]: the named way to end a crawl early (Ctrl-C), shared by the binary that catches the
//! signal and the model that must react to it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

type Hook = Box<dyn FnOnce() + Send>;

/// A one-shot "stop taking new URLs" signal.
///
/// The binary triggers it from its Ctrl-C handler; each model registers, with [`Stop::on_stop`],
/// the one thing that wakes *its* waiting crawl: the thread model closes its queue, the tokio
/// model notifies its main task, the event loop wakes its poll. The registration is an
/// [`OnStop`] guard that the crawl holds: when the crawl is over the guard is dropped and the
/// hook with it, so a `Stop` used for a thousand crawls holds nothing of them. Cloning gives
/// another handle on the same signal.
///
/// # Examples
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// let stop = shared::Stop::new();
/// let woken = Arc::new(AtomicBool::new(false));
/// let w = woken.clone();
/// let registered = stop.on_stop(move || w.store(true, Ordering::SeqCst));
/// assert_eq!(stop.hooks(), 1);
/// stop.trigger();
/// assert!(stop.is_triggered());
/// assert!(woken.load(Ordering::SeqCst));
///
/// // A registration dropped before the signal fires never runs.
/// let stop = shared::Stop::new();
/// drop(stop.on_stop(|| panic!("not registered any more")));
/// assert_eq!(stop.hooks(), 0);
/// stop.trigger();
/// ```
#[derive(Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    triggered: AtomicBool,
    /// Hooks waiting for the signal, by registration number. Behind a std `Mutex` because it
    /// is touched twice per crawl, never on a hot path, and from plain threads as well as from
    /// async code.
    hooks: Mutex<Hooks>,
}

#[derive(Default)]
struct Hooks {
    next: u64,
    waiting: Vec<(u64, Hook)>,
}

impl Stop {
    /// A signal that has not fired.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Fires the signal: runs every registered hook once. Later calls do nothing.
    pub fn trigger(&self) {
        // The flag is set under the hooks' lock, so that `on_stop` either sees it set or leaves
        // its hook for us to run: no hook is lost in between.
        let hooks = {
            let mut hooks = self.lock();
            if self.inner.triggered.swap(true, Ordering::SeqCst) {
                return;
            }
            std::mem::take(&mut hooks.waiting)
        };
        for (_, hook) in hooks {
            hook();
        }
    }

    /// Whether [`Stop::trigger`] has been called.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::SeqCst)
    }

    /// Runs `hook` when the signal fires, or at once if it already has, for as long as the
    /// returned guard lives.
    pub fn on_stop(&self, hook: impl FnOnce() + Send + 'static) -> OnStop {
        {
            let mut hooks = self.lock();
            if !self.inner.triggered.load(Ordering::SeqCst) {
                let id = hooks.next;
                hooks.next += 1;
                hooks.waiting.push((id, Box::new(hook)));
                return OnStop { stop: self.clone(), id: Some(id) };
            }
        }
        hook();
        OnStop { stop: self.clone(), id: None }
    }

    /// Hooks registered and not yet run or dropped.
    pub fn hooks(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, Hooks> {
        // A hook runs outside the lock: nothing can panic while it is held.
        self.inner.hooks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stop").field("triggered", &self.is_triggered()).finish()
    }
}

/// A hook registered with [`Stop::on_stop`]; dropping it unregisters the hook (if it has not
/// run), and with it whatever the hook owns (an event loop's waker, a queue's handle).
#[must_use = "dropping the guard unregisters the hook at once"]
pub struct OnStop {
    stop: Stop,
    /// The hook's registration number; `None` once it ran at registration.
    id: Option<u64>,
}

impl Drop for OnStop {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // Taken out under the lock, dropped after it: a hook's captures may take locks.
            let hook = {
                let mut hooks = self.stop.lock();
                let at = hooks.waiting.iter().position(|(i, _)| *i == id);
                at.map(|at| hooks.waiting.swap_remove(at))
            };
            drop(hook);
        }
    }
}

impl fmt::Debug for OnStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnStop").field("id", &self.id).finish()
    }
}
