//! A request to stop from SIGTERM, SIGINT or SIGHUP, while an executor runs. The
//! executor is in its own process group, so these signals would otherwise kill only
//! `defer` and leave the executor running — and the task, recovered as interrupted by
//! the next run, could then run twice at once. With the handlers installed the runner
//! stops the executor's group (as on a timeout), records the attempt as `interrupted`
//! and takes no more tasks.

use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// True once one of the signals arrived (after `install`).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Catches the signals from now on (idempotent). Called just before an executor
/// starts, so until then (e.g. while waiting for a lock) they end `defer` as usual.
/// The handler only stores to the atomic (async-signal-safe), and signal-hook installs
/// it with `SA_RESTART`, so blocking calls (flock, read) do not fail with EINTR.
pub fn install() {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    for signal in [SIGTERM, SIGINT, SIGHUP] {
        // sigaction fails only for SIGKILL, SIGSTOP or a bad number: not these three.
        let _ = signal_hook::flag::register(signal, &REQUESTED);
    }
}
