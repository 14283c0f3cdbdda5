//! A small hierarchical cancellation signal.
//!
//! Every task the transport layer spawns (listeners, connections, UDP
//! readers) waits on one of these, so that shutting down a listener, closing
//! a single flow or dropping the whole [`crate::Transports`] stops exactly
//! the tasks it should and leaks nothing. Cancelling a parent cancels its
//! children; children hold no strong reference to their parent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
    children: Mutex<Vec<Weak<Inner>>>,
}

impl Inner {
    fn cancel(&self) {
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return;
        }
        self.notify.notify_waiters();
        let children = match self.children.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel();
        }
    }
}

/// A cloneable cancellation signal; clones share the same state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cancel {
    inner: Arc<Inner>,
}

impl Cancel {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A new signal that is cancelled when `self` is (or already cancelled
    /// when `self` already is).
    pub(crate) fn child(&self) -> Self {
        let child = Self::new();
        if let Ok(mut children) = self.inner.children.lock() {
            // Drop the entries of children that are gone, so a long-lived
            // listener with many short connections does not grow this list.
            if children.len() >= 64 && children.len().is_power_of_two() {
                children.retain(|weak| weak.strong_count() > 0);
            }
            children.push(Arc::downgrade(&child.inner));
        }
        if self.is_cancelled() {
            child.cancel();
        }
        child
    }

    pub(crate) fn cancel(&self) {
        self.inner.cancel();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// Resolves once the signal is cancelled.
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parent_cancels_children_but_not_the_reverse() {
        let root = Cancel::new();
        let a = root.child();
        let b = a.child();
        b.cancel();
        assert!(!a.is_cancelled());
        root.cancel();
        assert!(a.is_cancelled());
        a.cancelled().await;
        let late = root.child();
        assert!(late.is_cancelled());
    }
}
