//! [`Stop`]: the named way to end a crawl early (Ctrl-C), shared by the binary that catches the
//! signal and the model that must react to it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

type Hook = Box<dyn FnOnce() + Send>;

/// A one-shot "stop taking new URLs" signal.
///
/// The binary triggers it from its Ctrl-C handler; each model registers, with [`Stop::on_stop`],
/// the one thing that wakes *its* waiting crawl: the thread model closes its queue, the tokio
/// model notifies its main task, the event loop wakes its poll. Cloning gives another handle on
/// the same signal.
///
/// # Examples
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// let stop = shared::Stop::new();
/// let woken = Arc::new(AtomicBool::new(false));
/// let w = woken.clone();
/// stop.on_stop(move || w.store(true, Ordering::SeqCst));
/// stop.trigger();
/// assert!(stop.is_triggered());
/// assert!(woken.load(Ordering::SeqCst));
/// ```
#[derive(Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    triggered: AtomicBool,
    /// Hooks waiting for the signal. Behind a std `Mutex` because it is touched twice per crawl,
    /// never on a hot path, and from plain threads as well as from async code.
    hooks: Mutex<Vec<Hook>>,
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
            let mut hooks = self.inner.hooks.lock().unwrap_or_else(PoisonError::into_inner);
            if self.inner.triggered.swap(true, Ordering::SeqCst) {
                return;
            }
            std::mem::take(&mut *hooks)
        };
        for hook in hooks {
            hook();
        }
    }

    /// Whether [`Stop::trigger`] has been called.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::SeqCst)
    }

    /// Runs `hook` when the signal fires, or at once if it already has.
    pub fn on_stop(&self, hook: impl FnOnce() + Send + 'static) {
        {
            let mut hooks = self.inner.hooks.lock().unwrap_or_else(PoisonError::into_inner);
            if !self.inner.triggered.load(Ordering::SeqCst) {
                hooks.push(Box::new(hook));
                return;
            }
        }
        hook();
    }
}

impl fmt::Debug for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stop").field("triggered", &self.is_triggered()).finish()
    }
}
