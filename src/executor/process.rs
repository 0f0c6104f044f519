//! The executor's process as the store records it (SPEC §11): the group leader's pid
//! and start time, and how orphan recovery stops a group a SIGKILLed runner left
//! behind without ever signalling a reused pid.
//!
//! The start time is `/proc/<pid>/stat` field 22 (clock ticks after boot) on Linux.
//! Elsewhere it is not read (`None`), so recovery cannot tell the executor from a
//! process that reused its pid and leaves it alone: the old behaviour, documented in
//! `docs/decisions.md`.

use std::time::{Duration, Instant};

use rustix::process::{kill_process_group, test_kill_process_group, Pid, Signal};

use crate::task::ExecutorProcess;

/// The start time of `pid` as the OS reports it, if it can be read; a zombie still has
/// one. Compared for equality only.
pub fn start_time(pid: u32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        stat_fields(pid)?.get(19)?.parse().ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Fields 3.. of `/proc/<pid>/stat` (after the parenthesised command name, which may
/// itself hold spaces and parentheses).
#[cfg(target_os = "linux")]
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Fields 3.. of a `/proc/<pid>/stat` line (index 0 is the state, 2 the group, 19 the
/// start time).
pub fn parse_stat(stat: &str) -> Option<Vec<String>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// The recorded process, when it still is that process: alive (not a zombie) with the
/// recorded start time. Without a recorded start time, never.
pub fn is_same(process: &ExecutorProcess) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Some(started) = process.started else {
            return false;
        };
        let Some(fields) = stat_fields(process.pid) else {
            return false;
        };
        fields.first().is_some_and(|state| state != "Z")
            && fields.get(19).and_then(|s| s.parse::<u64>().ok()) == Some(started)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = process;
        false
    }
}

/// Stops the group a dead runner's executor leads, if the leader is still the recorded
/// process: SIGTERM to the group, SIGKILL after `grace`, then waits (briefly) until no
/// live member is left. True when it signalled the group.
pub fn stop_orphan(process: &ExecutorProcess, grace: Duration) -> bool {
    let Some(group) = i32::try_from(process.pid)
        .ok()
        .filter(|&pid| pid > 1)
        .and_then(Pid::from_raw)
    else {
        return false;
    };
    if !is_same(process) {
        return false;
    }
    signal_group(group, Signal::TERM);
    if !wait_gone(group, grace) {
        signal_group(group, Signal::KILL);
        wait_gone(group, Duration::from_secs(2));
    }
    true
}

/// kill(2) with a negative pid: signals every process of the group. An error (the group
/// is gone) is nothing to act on.
fn signal_group(group: Pid, signal: Signal) {
    let _ = kill_process_group(group, signal);
}

/// Polls until no live member of `group` is left; false if some still is after `limit`.
fn wait_gone(group: Pid, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if !group_alive(group) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while a member of the group lives. On Linux zombies do not count (a dead
/// runner's children are reaped by whoever adopted them, which may be never in a
/// container), so `/proc` is scanned; elsewhere kill(2) with signal 0 answers.
fn group_alive(group: Pid) -> bool {
    #[cfg(target_os = "linux")]
    if let Ok(dir) = std::fs::read_dir("/proc") {
        let group = group.as_raw_pid().to_string();
        return dir.flatten().any(|entry| {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                return false;
            };
            stat_fields(pid)
                .is_some_and(|f| f.first().is_some_and(|s| s != "Z") && f.get(2) == Some(&group))
        });
    }
    test_kill_process_group(group).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_survive_odd_command_names() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
        let fields = parse_stat(stat).unwrap();
        assert_eq!(fields[0], "S");
        assert_eq!(fields[2], "4242");
        assert_eq!(fields[19], "987654");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn own_process_is_the_same_only_with_its_start_time() {
        let pid = std::process::id();
        let started = start_time(pid).expect("our own start time");
        assert!(is_same(&ExecutorProcess {
            pid,
            started: Some(started)
        }));
        assert!(!is_same(&ExecutorProcess {
            pid,
            started: Some(started + 1)
        }));
        assert!(!is_same(&ExecutorProcess { pid, started: None }));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stops_a_live_group_and_not_a_reused_pid() {
        use std::io::BufRead;
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; sleep 30 & echo ready; wait"])
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut ready).unwrap();
        assert_eq!(ready, "ready\n");
        let pid = child.id();
        let started = start_time(pid).unwrap();
        // A wrong start time means another process: left alone.
        let stranger = ExecutorProcess {
            pid,
            started: Some(started + 1),
        };
        assert!(!stop_orphan(&stranger, Duration::from_millis(100)));
        assert!(child.try_wait().unwrap().is_none());
        let at = Instant::now();
        let ours = ExecutorProcess {
            pid,
            started: Some(started),
        };
        assert!(stop_orphan(&ours, Duration::from_millis(300)));
        assert!(
            at.elapsed() >= Duration::from_millis(300),
            "SIGTERM was ignored, so SIGKILL came after the grace"
        );
        child.wait().unwrap();
        assert!(!group_alive(Pid::from_child(&child)));
    }
}
