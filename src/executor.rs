//! Running `DEFER_EXECUTOR` (or a task's own command) for one task: no shell, its own process group, the task
//! JSON on stdin, stdout and stderr captured together, a wall-clock limit. One poll
//! loop feeds stdin and drains output, so an executor that ignores stdin, floods
//! output, hangs or leaves a child holding the pipe cannot wedge the runner.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Result;

/// Output kept in the record; the rest is only in `logs/<id>.output.txt`.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How to run the executor.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock limit; `None` waits forever.
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL of the process group.
    pub kill_grace: Duration,
    /// How long output is still read after the executor exits.
    pub drain_grace: Duration,
    /// At most this many bytes go to the output file (the rest is still read, and
    /// counts for the last line); `None` keeps everything. Hooks use a cap.
    pub file_cap: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Some(Duration::from_secs(3600)),
            kill_grace: Duration::from_secs(5),
            drain_grace: Duration::from_secs(2),
            file_cap: None,
        }
    }
}

/// One invocation.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub program: &'a Path,
    /// Arguments after the program (a task's own command); none for `DEFER_EXECUTOR`.
    pub args: &'a [String],
    pub stdin: &'a [u8],
    pub env: &'a [(&'a str, String)],
    /// Where the full combined output goes.
    pub output_file: &'a Path,
}

/// How the executor ended: a model type (`task.rs`), kept in the attempt's entry.
pub use crate::task::Ending;

/// What came back: the ending and the first `OUTPUT_CAP` bytes of output.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    pub output: Vec<u8>,
    pub truncated: bool,
    /// The last non-empty line of the whole output, quoted (see `last_line`).
    pub last_line: Option<String>,
    /// Writing `logs/<id>.output.txt` failed part-way: the file is incomplete.
    pub file_error: Option<String>,
}

impl Outcome {
    /// The error of a failed attempt: the cause, then the output's last line when there
    /// is one (`executor exited with status 3: boom on stderr`). A stopped runner's
    /// attempt is just `interrupted`, like an orphan's.
    pub fn error(&self) -> String {
        match (&self.ending, &self.last_line) {
            (Ending::Stopped, _) | (_, None) => self.ending.to_string(),
            (ending, Some(line)) => format!("{ending}: {line}"),
        }
    }

    /// The kept output as text (invalid UTF-8 replaced, never cut inside a character).
    pub fn output_text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }
}

/// The program `DEFER_EXECUTOR` names, if it is an executable file: a path with a `/`
/// as written, a bare name searched on `PATH`.
pub fn resolve(program: &Path, path_var: Option<&str>) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return is_executable(program).then(|| program.to_path_buf());
    }
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    use std::os::unix::fs::PermissionsExt;
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

/// Runs the executor to completion (or its limit) and returns how it ended.
/// Errors are the runner's own (cannot write the output file), not the executor's.
pub fn run(inv: &Invocation, limits: &Limits) -> Result<Outcome> {
    run_gated(inv, limits, &|_| Ok(()), false)
}

/// `run`, calling `started(pid)` before the program may start (the runner records its
/// process there); only once that returned does the program run (`gate`), so a runner
/// that dies first leaves nothing running and the store saying so exactly. If
/// `started` fails, the group is killed at once and the error returned: nothing may
/// run that the store does not know about.
pub fn run_with(
    inv: &Invocation,
    limits: &Limits,
    started: &dyn Fn(u32) -> Result<()>,
) -> Result<Outcome> {
    run_gated(inv, limits, started, cfg!(unix))
}

fn run_gated(
    inv: &Invocation,
    limits: &Limits,
    started: &dyn Fn(u32) -> Result<()>,
    gated: bool,
) -> Result<Outcome> {
    crate::shutdown::install();
    let mut sink = OutputSink::create(inv.output_file, limits.file_cap)?;
    let gate = gate::wrap(inv);
    let spawned = match gated {
        true => spawn(&gate.invocation()),
        false => spawn(inv),
    };
    let (mut child, out_reader) = match spawned {
        Ok(spawned) => spawned,
        Err(e) => {
            return Ok(Outcome {
                ending: Ending::SpawnFailed(e.to_string()),
                output: Vec::new(),
                truncated: false,
                last_line: None,
                file_error: None,
            })
        }
    };
    if let Err(e) = started(child.id()) {
        // SIGKILL to the process group we just created.
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(&child),
            rustix::process::Signal::KILL,
        );
        let _ = child.wait();
        return Err(e);
    }
    let stdin = match gated {
        true => gate::open(inv.stdin),
        false => inv.stdin.to_vec(),
    };
    let ending = supervise(child, out_reader, &stdin, limits, &mut sink)?;
    sink.finish(ending)
}

fn spawn(inv: &Invocation) -> std::io::Result<(Child, std::io::PipeReader)> {
    let (reader, writer) = std::io::pipe()?;
    let mut command = Command::new(inv.program);
    command
        .args(inv.args)
        .stdin(Stdio::piped())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .envs(inv.env.iter().map(|(k, v)| (k, v)));
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = spawn_retrying(&mut command)?;
    drop(command); // closes our copies of the pipe's write end
    Ok((child, reader))
}

/// Retries briefly while the program is "text file busy" (just written, or written by
/// a process that forked meanwhile).
fn spawn_retrying(command: &mut Command) -> std::io::Result<Child> {
    const ETXTBSY: i32 = 26;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Where output goes while it streams: all of it to the file, the head to memory.
struct OutputSink {
    file: std::io::BufWriter<File>,
    path: PathBuf,
    head: Vec<u8>,
    tail: last_line::Tail,
    total: u64,
    /// Bytes past this are not written to the file.
    file_cap: Option<u64>,
    /// The first failed write to the file; later output only goes to memory.
    file_error: Option<String>,
}

impl OutputSink {
    fn create(path: &Path, file_cap: Option<u64>) -> Result<Self> {
        if let Some(dir) = path.parent() {
            crate::safe_fs::ensure_dir(dir)?;
        }
        let file = private_truncate(path)?;
        Ok(OutputSink {
            file: std::io::BufWriter::new(file),
            path: path.to_path_buf(),
            head: Vec::new(),
            tail: last_line::Tail::default(),
            total: 0,
            file_cap,
            file_error: None,
        })
    }

    /// Takes more output. A failed write to the file (disk full) is remembered, not
    /// returned: the executor runs on and is supervised to its end either way.
    fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let room = self.file_cap.map_or(bytes.len(), |cap| {
            usize::try_from(cap.saturating_sub(self.total))
                .map_or(bytes.len(), |r| r.min(bytes.len()))
        });
        // Flushed per read so `show --output --follow` sees output as it comes.
        if self.file_error.is_none() && room > 0 {
            if let Err(e) = self
                .file
                .write_all(&bytes[..room])
                .and_then(|()| self.file.flush())
            {
                self.file_error = Some(format!("writing {}: {e}", self.path.display()));
            }
        }
        let room = OUTPUT_CAP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.tail.push(bytes);
        self.total += bytes.len() as u64;
        Ok(())
    }

    fn finish(mut self, ending: Ending) -> Result<Outcome> {
        if self.file_error.is_none() {
            if let Err(e) = self.file.flush() {
                self.file_error = Some(format!("writing {}: {e}", self.path.display()));
            }
        }
        let truncated = self.total > OUTPUT_CAP as u64;
        if truncated {
            let cut = utf8_boundary(&self.head);
            self.head.truncate(cut);
        }
        Ok(Outcome {
            ending,
            file_error: self.file_error,
            last_line: self.tail.last_line(),
            output: self.head,
            truncated,
        })
    }
}

/// The longest prefix of `bytes` that does not end inside a UTF-8 character.
fn utf8_boundary(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => bytes.len(),
    }
}

/// Never through a symlink, and only the user's own regular file (`safe_fs::open_truncate`).
fn private_truncate(path: &Path) -> Result<File> {
    crate::safe_fs::open_truncate(path)
}

mod gate;
mod last_line;
pub mod process;
mod unix;
use unix::supervise;

fn ending_of(status: ExitStatus) -> Ending {
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Ending::Signalled(signal);
    }
    Ending::Exited(status.code().unwrap_or(-1))
}

#[cfg(test)]
mod tests;
