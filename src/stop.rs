//! A request to stop from SIGTERM, SIGINT or SIGHUP, while an executor runs. The
//! executor is in its own process group, so these signals would otherwise kill only
//! `defer` and leave the executor running — and the task, recovered as interrupted by
//! the next run, could then run twice at once. With the handlers installed the runner
//! stops the executor's group (as on a timeout), records the attempt as `interrupted`
//! and takes no more tasks.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// True once one of the signals arrived (after `install`).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Catches the signals from now on (idempotent). Called just before an executor
/// starts, so until then (e.g. while waiting for a lock) they end `defer` as usual.
pub fn install() {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    #[cfg(unix)]
    unix::install();
}

#[cfg(unix)]
mod unix {
    use super::REQUESTED;
    use std::sync::atomic::Ordering;

    extern "C" fn on_signal(_: libc::c_int) {
        // Only an atomic store: async-signal-safe.
        REQUESTED.store(true, Ordering::SeqCst);
    }

    pub(super) fn install() {
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            // SAFETY: a zeroed sigaction is valid; the handler only stores to an atomic;
            // SA_RESTART keeps blocking calls (flock, read) from failing with EINTR.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }
}
