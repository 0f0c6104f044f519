//! The supervision loop on Unix: `poll` over the child's stdin and output pipes.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::process::{Child, ChildStdin, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::Result;
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
use rustix::process::{kill_process_group, test_kill_process_group, Pid, Signal};

use super::{ending_of, Ending, Limits, OutputSink};

/// Why the group is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Timeout,
    /// `defer` itself was asked to stop (see `crate::shutdown`).
    Stop,
}

/// Where the child is in being stopped.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Running,
    Terminating { since: Instant },
    Killed,
}

pub(super) fn supervise(
    mut child: Child,
    mut out: std::io::PipeReader,
    stdin: &[u8],
    limits: &Limits,
    sink: &mut OutputSink,
) -> Result<Ending> {
    let group = Pid::from_child(&child);
    let started = Instant::now();
    let mut input = child.stdin.take().filter(|_| !stdin.is_empty());
    let mut written = 0;
    let mut out_open = true;
    let mut phase = Phase::Running;
    let mut exited: Option<(ExitStatus, Instant)> = None;
    let mut cause: Option<Cause> = None;
    let mut buf = vec![0u8; 64 * 1024];
    set_nonblocking(&out);
    if let Some(pipe) = &input {
        set_nonblocking(pipe);
    }
    loop {
        if exited.is_none() {
            if let Some(status) = child.try_wait()? {
                exited = Some((status, Instant::now()));
                input = None;
            }
        }
        // After a timeout the whole group gets its SIGKILL, even when the leader died
        // of the SIGTERM: other members may have ignored or missed it.
        let terminating = matches!(phase, Phase::Terminating { .. });
        if exited.is_none() || terminating {
            phase = enforce_limit(group, phase, started, limits, &mut cause);
        }
        if let Some((_, at)) = exited {
            let settled = !terminating || !group_alive(group);
            if settled && (!out_open || at.elapsed() >= limits.drain_grace) {
                break;
            }
        }
        let wait_ms = if out_open || input.is_some() { 50 } else { 2 };
        wait_ready(
            out_open.then(|| out.as_fd()),
            input.as_ref(),
            Duration::from_millis(wait_ms),
        );
        if out_open {
            out_open = drain(&mut out, &mut buf, sink)?;
        }
        if let Some(pipe) = input.as_mut() {
            if feed(pipe, stdin, &mut written) {
                input = None;
            }
        }
    }
    let (status, _) = exited.expect("the loop ends only after the child exits");
    Ok(match (cause, limits.timeout) {
        (Some(Cause::Stop), _) => Ending::Stopped,
        (Some(Cause::Timeout), Some(limit)) => Ending::TimedOut(limit),
        _ => ending_of(status),
    })
}

/// SIGTERM to the group at the limit or on a stop request, SIGKILL after the grace
/// period.
fn enforce_limit(
    group: Pid,
    phase: Phase,
    started: Instant,
    limits: &Limits,
    cause: &mut Option<Cause>,
) -> Phase {
    match phase {
        Phase::Running => {
            let now = if crate::shutdown::requested() {
                Some(Cause::Stop)
            } else if limits.timeout.is_some_and(|t| started.elapsed() >= t) {
                Some(Cause::Timeout)
            } else {
                None
            };
            if now.is_none() {
                return Phase::Running;
            }
            *cause = now;
            signal_group(group, Signal::TERM);
            Phase::Terminating {
                since: Instant::now(),
            }
        }
        Phase::Terminating { since } if since.elapsed() >= limits.kill_grace => {
            signal_group(group, Signal::KILL);
            Phase::Killed
        }
        other => other,
    }
}

/// kill(2) with a negative pid: signals every process of the group. An error (the group
/// is gone) is nothing to act on.
fn signal_group(group: Pid, signal: Signal) {
    let _ = kill_process_group(group, signal);
}

/// True while any process of the group is alive (signal 0 checks without signalling).
fn group_alive(group: Pid) -> bool {
    test_kill_process_group(group).is_ok()
}

/// Sets `O_NONBLOCK` on one of our own open pipe ends (fcntl fails there only for a bad
/// descriptor).
fn set_nonblocking(fd: impl AsFd) {
    if let Ok(flags) = fcntl_getfl(&fd) {
        let _ = fcntl_setfl(&fd, flags | OFlags::NONBLOCK);
    }
}

/// Sleeps until output is readable, stdin is writable, or `wait` passes.
fn wait_ready(out: Option<BorrowedFd<'_>>, input: Option<&ChildStdin>, wait: Duration) {
    let mut fds = Vec::with_capacity(2);
    if let Some(fd) = out {
        fds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
    }
    if let Some(pipe) = input {
        fds.push(PollFd::new(pipe, PollFlags::OUT));
    }
    let timeout = Timespec::try_from(wait).unwrap_or_default();
    // An error (EINTR from a signal) only ends the wait early; the loop looks again.
    let _ = poll(&mut fds, Some(&timeout));
}

/// Reads what is available; false once the pipe is closed.
fn drain(out: &mut std::io::PipeReader, buf: &mut [u8], sink: &mut OutputSink) -> Result<bool> {
    loop {
        match out.read(buf) {
            Ok(0) => return Ok(false),
            Ok(n) => sink.push(&buf[..n])?,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(false),
        }
    }
}

/// Writes what the pipe takes; true when stdin is done (all written, or the reader left).
fn feed(pipe: &mut ChildStdin, data: &[u8], written: &mut usize) -> bool {
    while *written < data.len() {
        match pipe.write(&data[*written..]) {
            Ok(n) => *written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    true
}
