//! Running a helper program (crontab, systemctl, git) with no stdin and a time limit:
//! it is killed when the limit passes, and a full pipe never blocks it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a bounded command went.
#[derive(Debug, PartialEq, Eq)]
pub enum Ran {
    NotFound,
    Done {
        success: bool,
        stdout: String,
        stderr: String,
    },
    Other(String),
}

/// Runs `command` with no stdin, killing it after `limit`.
pub fn run(command: &mut Command, limit: Duration) -> Ran {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ran::NotFound,
        Err(e) => return Ran::Other(format!("cannot run it: {e}")),
    };
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + limit;
    // Quick programs (git rev-parse takes 2 ms) are seen quickly; slow ones cost 10 ms
    // polls at most.
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Ran::Other(format!("no answer within {}s", limit.as_secs()));
            }
        }
    };
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        let bytes = rx
            .recv_timeout(Duration::from_millis(500))
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ran::Done {
        success: status.success(),
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

/// Reads a pipe to its end on a thread (so a full pipe never blocks the child).
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        });
    }
    rx
}
