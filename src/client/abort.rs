//! Waiting with a deadline and an abort: what the JS client gets from `AbortSignal` and timers.
//! A step that blocks (a send, a token function) runs on a thread of its own while the caller
//! waits on a channel, so the caller leaves at the deadline or at `abort()` whatever the step
//! is doing; an abort wakes every wait registered with its handle at once. No polling.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Cancels calls from another thread, as a JS `AbortSignal` does: hand it to
/// [`Client::with_abort`](crate::Client::with_abort), then [`abort`](AbortHandle::abort) ends
/// every call made through that client at once, during an attempt or a backoff wait, with
/// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted); a call started after it sends nothing.
/// The connection of an attempt in flight is given up by its sending thread, which the
/// built-in transport ends at the attempt's deadline at the latest (a blocking socket read
/// cannot be interrupted from another thread); with no timeout, when the server answers.
///
/// ```
/// use confluence_users::AbortHandle;
///
/// let handle = AbortHandle::new();
/// let remote = handle.clone();
/// std::thread::spawn(move || remote.abort()).join().unwrap();
/// assert!(handle.is_aborted());
/// ```
#[derive(Clone, Default)]
pub struct AbortHandle(Arc<Mutex<State>>);

#[derive(Default)]
struct State {
    aborted: bool,
    next_id: u64,
    /// The waits to wake, by id.
    wakers: Vec<(u64, Box<dyn Fn() + Send>)>,
}

impl std::fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbortHandle")
            .field("aborted", &self.is_aborted())
            .finish()
    }
}

impl AbortHandle {
    /// A handle that has not fired.
    pub fn new() -> AbortHandle {
        AbortHandle::default()
    }

    /// Ends every call waiting on this handle, and every later one, with
    /// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted). Calling it again does nothing.
    pub fn abort(&self) {
        let wakers = {
            let mut state = lock(&self.0);
            state.aborted = true;
            std::mem::take(&mut state.wakers)
        };
        for (_, wake) in wakers {
            wake();
        }
    }

    /// Whether [`abort`](AbortHandle::abort) was called.
    pub fn is_aborted(&self) -> bool {
        lock(&self.0).aborted
    }

    /// Calls `wake` on abort, until the returned guard is dropped; `None` when already
    /// aborted (then `wake` is not kept).
    fn watch(&self, wake: Box<dyn Fn() + Send>) -> Option<Watch<'_>> {
        let mut state = lock(&self.0);
        if state.aborted {
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.wakers.push((id, wake));
        Some(Watch { handle: self, id })
    }
}

/// Removes its waker from the handle when dropped.
struct Watch<'a> {
    handle: &'a AbortHandle,
    id: u64,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        lock(&self.handle.0).wakers.retain(|(id, _)| *id != self.id);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A waker is a channel send that cannot panic: the state is never left half-updated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a raced step ended.
pub(crate) enum Raced<T> {
    /// It finished in time.
    Done(T),
    /// The deadline came first.
    TimedOut,
    /// The handle fired first.
    Aborted,
    /// It panicked, or no thread could be started for it: why.
    Lost(String),
}

enum Message<T> {
    Done(T),
    Panicked,
    Aborted,
}

/// Runs `job` on a thread of its own and waits for it until `timeout` or an abort of `abort`,
/// whichever comes first. The thread is not waited for after that: it ends when `job` does
/// (the default transport's own deadline bounds it).
pub(crate) fn race<T: Send + 'static>(
    abort: Option<&AbortHandle>,
    timeout: Option<Duration>,
    job: impl FnOnce() -> T + Send + 'static,
) -> Raced<T> {
    if abort.is_none() && timeout.is_none() {
        // Nothing to leave early for: no thread needed.
        return match catch_unwind(AssertUnwindSafe(job)) {
            Ok(value) => Raced::Done(value),
            Err(_) => Raced::Lost("the transport panicked".to_owned()),
        };
    }
    let (tx, rx) = mpsc::channel::<Message<T>>();
    let _watch = match abort {
        Some(handle) => {
            let tx = tx.clone();
            match handle.watch(Box::new(move || {
                let _ = tx.send(Message::Aborted);
            })) {
                Some(watch) => Some(watch),
                None => return Raced::Aborted,
            }
        }
        None => None,
    };
    let spawned = std::thread::Builder::new()
        .name("confluence-users-attempt".to_owned())
        .spawn(move || {
            let message = match catch_unwind(AssertUnwindSafe(job)) {
                Ok(value) => Message::Done(value),
                Err(_) => Message::Panicked,
            };
            // The caller may have left (deadline, abort): then nobody needs the answer.
            let _ = tx.send(message);
        });
    if let Err(e) = spawned {
        return Raced::Lost(format!("could not start a thread for the request: {e}"));
    }
    let got = match timeout {
        Some(t) => rx.recv_timeout(t),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
    match got {
        Ok(Message::Done(value)) => Raced::Done(value),
        Ok(Message::Aborted) => Raced::Aborted,
        Ok(Message::Panicked) | Err(RecvTimeoutError::Disconnected) => {
            Raced::Lost("the transport panicked".to_owned())
        }
        Err(RecvTimeoutError::Timeout) => Raced::TimedOut,
    }
}

/// Sleeps `duration`, or less if `abort` fires: whether it fired.
pub(crate) fn sleep(abort: Option<&AbortHandle>, duration: Duration) -> bool {
    let Some(handle) = abort else {
        std::thread::sleep(duration);
        return false;
    };
    let (tx, rx) = mpsc::channel::<()>();
    let Some(_watch) = handle.watch(Box::new(move || {
        let _ = tx.send(());
    })) else {
        return true;
    };
    // The sender lives in the handle until the watch is dropped: only an abort answers.
    rx.recv_timeout(duration).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_race_ends_at_the_deadline_or_the_abort_whichever_first() {
        let slow = || std::thread::sleep(Duration::from_secs(5));
        let started = Instant::now();
        assert!(matches!(
            race(None, Some(Duration::from_millis(30)), slow),
            Raced::TimedOut
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(matches!(race(None, None, || 7), Raced::Done(7)));
        assert!(matches!(
            race(None, None, || panic!("from a test")),
            Raced::Lost(_)
        ));

        let handle = AbortHandle::new();
        let remote = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            remote.abort();
        });
        let started = Instant::now();
        assert!(matches!(race(Some(&handle), None, slow), Raced::Aborted));
        assert!(started.elapsed() < Duration::from_secs(2));
        // Fired already: nothing runs.
        assert!(matches!(
            race(Some(&handle), None, || unreachable!()),
            Raced::Aborted
        ));
        assert!(lock(&handle.0).wakers.is_empty());
    }

    #[test]
    fn a_sleep_ends_early_only_on_abort() {
        assert!(!sleep(None, Duration::from_millis(1)));
        let handle = AbortHandle::new();
        assert!(!sleep(Some(&handle), Duration::from_millis(1)));
        assert!(lock(&handle.0).wakers.is_empty());
        let remote = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            remote.abort();
        });
        let started = Instant::now();
        assert!(sleep(Some(&handle), Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(sleep(Some(&handle), Duration::from_secs(10)));
    }
}
