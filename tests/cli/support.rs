//! The test builder: every test runs the real `defer` binary in its own temp dir.
//!
//! ```ignore
//! let env = Env::new();
//! let out = env.cmd(&["schedule", "--when", "10m", "--summary", "s"]).success();
//! assert_eq!(out.json()["status"], "scheduled");
//! assert_eq!(env.records().len(), 1);
//! ```
//!
//! `Env::new()` makes a temp dir holding `home/` (created, `HOME`) and `runtime/`
//! (`DEFER_RUNTIME_DIR`, *not* created: `defer` must create it on first use, 0700, so
//! tests can check that failures create nothing and that modes ignore the umask).
//! Children get a clean environment: only `PATH`, `HOME`, `DEFER_RUNTIME_DIR`,
//! `DEFER_TIMEZONE=America/New_York` and `DEFER_RUNNER_CHECK=0` (no cron runs `defer
//! run` here); every other `DEFER_*` variable and `TZ` are absent unless a test adds
//! them with `Cmd::env`.
//!
//! `Cmd::run` returns an `Output` whatever the status; `success()` / `failure(code)`
//! assert the exit code (printing stdout and stderr when it is wrong). Every command is
//! killed and the test fails if it runs longer than `Cmd::timeout` (60 s by default),
//! so a deadlock fails instead of hanging the suite.

#![allow(dead_code)] // each module uses a different part of the builder

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_defer");

/// The zone every test runs in unless it says otherwise.
pub const TIMEZONE: &str = "America/New_York";

/// One test's private world: a temp dir with `home/` and a (not yet created) `runtime/`.
pub struct Env {
    root: tempfile::TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("defer-itest-")
            .tempdir()
            .expect("creating a temp dir");
        fs::create_dir(root.path().join("home")).expect("creating home/");
        Env { root }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// `DEFER_RUNTIME_DIR`; absent until `defer` (or `write_store`) creates it.
    pub fn runtime_dir(&self) -> PathBuf {
        self.root().join("runtime")
    }

    pub fn store_path(&self) -> PathBuf {
        self.runtime_dir().join("deferred.jsonl")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.runtime_dir().join("deferred.jsonl.lock")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.runtime_dir().join("logs")
    }

    pub fn log_path(&self) -> PathBuf {
        self.log_dir().join("deferred.log")
    }

    /// A `defer` command line with the test environment.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        let mut cmd = Cmd {
            program: BIN.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            envs: Vec::new(),
            stdin: None,
            cwd: self.home(),
            timeout: Duration::from_secs(60),
            umask: None,
        };
        cmd.envs
            .push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
        cmd.envs
            .push(("HOME".into(), self.home().display().to_string()));
        cmd.envs.push((
            "DEFER_RUNTIME_DIR".into(),
            self.runtime_dir().display().to_string(),
        ));
        cmd.envs.push(("DEFER_TIMEZONE".into(), TIMEZONE.into()));
        // No cron runs `defer run` here: tests/cli/health.rs checks the warning.
        cmd.envs.push(("DEFER_RUNNER_CHECK".into(), "0".into()));
        // The suite itself may run under a fake clock (`scripts/date-check.sh`): its
        // children inherit that clock, so no test can depend on today's date.
        if let Some(clock) = suite_clock() {
            cmd.envs.push(("LD_PRELOAD".into(), libfaketime().into()));
            cmd.envs.push(("FAKETIME".into(), clock));
        }
        cmd
    }

    /// `defer ARGS` with the clock starting at `utc` (`2026-12-01 10:00:00` or
    /// `2026-12-01T10:00:00Z`) and running from there. The one way tests fake "now";
    /// see [`Cmd::at`].
    pub fn at(&self, utc: &str, args: &[&str]) -> Cmd {
        self.cmd(args).at(utc)
    }

    /// `sh -c script` (the binary is `$DEFER_BIN`) with every process in it starting
    /// its clock at `utc`.
    pub fn sh_at(&self, utc: &str, script: &str) -> Cmd {
        self.sh(script).at(utc)
    }

    /// A shell command line (`sh -c script`) with the test environment; the script sees
    /// the binary as `$DEFER_BIN`.
    pub fn sh(&self, script: &str) -> Cmd {
        let mut cmd = self.cmd(&["-c", script]);
        cmd.program = "sh".into();
        cmd.env("DEFER_BIN", BIN)
    }

    /// Schedules a task `--when 10m` with this id and summary; returns the printed record.
    pub fn schedule(&self, id: &str, summary: &str) -> Value {
        self.cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            summary,
            "--id",
            id,
            "--compact",
        ])
        .success()
        .json()
    }

    /// The store's raw bytes; empty when there is no store.
    pub fn store_bytes(&self) -> Vec<u8> {
        fs::read(self.store_path()).unwrap_or_default()
    }

    pub fn store_exists(&self) -> bool {
        self.store_path().exists()
    }

    /// The store's lines, without newlines (a torn last line is included as is).
    pub fn store_lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.store_bytes()).expect("store is UTF-8");
        text.lines().map(str::to_string).collect()
    }

    /// Every store line parsed as JSON; panics on a line that does not parse.
    pub fn records(&self) -> Vec<Value> {
        self.store_lines()
            .iter()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("store line {} is not JSON ({e}): {line}", i + 1))
            })
            .collect()
    }

    /// The audit log's lines; empty when there is no log.
    pub fn log_lines(&self) -> Vec<String> {
        fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes `contents` as the store (creating the runtime dir 0700), for fixtures.
    pub fn write_store(&self, contents: impl AsRef<[u8]>) {
        fs::create_dir_all(self.runtime_dir()).expect("creating runtime/");
        fs::set_permissions(self.runtime_dir(), fs::Permissions::from_mode(0o700))
            .expect("chmod runtime/");
        fs::write(self.store_path(), contents).expect("writing the store");
    }

    /// `list --all --compact` parsed; asserts exit 0.
    pub fn list_all(&self) -> Vec<Value> {
        let out = self.cmd(&["list", "--all", "--compact"]).success();
        out.json().as_array().expect("list prints an array").clone()
    }
}

/// One command to run; see the module docs.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    cwd: PathBuf,
    timeout: Duration,
    umask: Option<u32>,
}

impl Cmd {
    /// Adds or replaces a variable in the child's environment.
    pub fn env(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.into(), value.as_ref().into()));
        self
    }

    /// Removes a variable the builder would set (e.g. `DEFER_TIMEZONE`).
    pub fn env_remove(mut self, key: &str) -> Self {
        self.envs.retain(|(k, _)| k != key);
        self
    }

    /// Bytes for the child's stdin (default: `/dev/null`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = dir.into();
        self
    }

    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Starts the child's clock at `utc` (`2026-12-01 10:00:00`, or the record format
    /// `2026-12-01T10:00:00Z`), through libfaketime loaded directly (`LD_PRELOAD`,
    /// `FAKETIME='@...'`): no `faketime` wrapper, whose /dev/shm files outlive a killed
    /// wrapper and break a later one. The clock runs from there (a `wait` still times
    /// out). `TZ=UTC` because libfaketime reads the instant in the process's zone;
    /// `defer` itself takes its zone from `DEFER_TIMEZONE`. A test that fakes "now"
    /// must schedule under the same fake clock, or it depends on today's date.
    pub fn at(self, utc: &str) -> Self {
        let stamp = utc.trim_end_matches('Z').replace('T', " ");
        assert!(
            chrono::NaiveDateTime::parse_from_str(&stamp, "%Y-%m-%d %H:%M:%S").is_ok(),
            "fake clock {utc:?}: expected YYYY-MM-DD HH:MM:SS (UTC)"
        );
        self.env("LD_PRELOAD", libfaketime())
            .env("FAKETIME", format!("@{stamp}"))
            .env("TZ", "UTC")
    }

    /// Runs the program under this umask (through `sh -c 'umask M; exec ...'`).
    pub fn umask(mut self, mask: u32) -> Self {
        self.umask = Some(mask);
        self
    }

    /// The `std::process::Command` this runs, for tests that manage the child
    /// themselves (e.g. to kill it). Stdio is left to the caller.
    pub fn command(&self) -> Command {
        let mut command = match self.umask {
            Some(mask) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("umask {mask:03o}; exec \"$0\" \"$@\""))
                    .arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        command.args(&self.args).env_clear().current_dir(&self.cwd);
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        if self.envs.iter().any(|(k, _)| k == "LD_PRELOAD") {
            sweep_faketime_leftovers();
        }
        command
    }

    /// Runs to completion (or the timeout, which fails the test).
    pub fn run(self) -> Output {
        let mut child = self
            .command()
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.program));
        if let Some(bytes) = self.stdin.clone() {
            let mut pipe = child.stdin.take().expect("piped stdin");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let pid = child.id() as libc::pid_t;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(self.timeout) {
            Ok(output) => output,
            Err(_) => {
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!(
                    "{} {:?} ran longer than {:?}",
                    self.program, self.args, self.timeout
                );
            }
        };
        let output = output.expect("waiting for the child");
        Output {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit 0.
    pub fn success(self) -> Output {
        self.failure(0)
    }

    /// Runs and asserts this exit code.
    pub fn failure(self, code: i32) -> Output {
        let what = format!("{:?}", self.args);
        let out = self.run();
        assert_eq!(
            out.status, code,
            "defer {what}: expected exit {code}\n--- stdout\n{}--- stderr\n{}",
            out.stdout, out.stderr
        );
        out
    }
}

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code; -1 when killed by a signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Stdout parsed as one JSON value.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    /// Asserts stderr is exactly one `defer: ...` line and returns it.
    pub fn error_line(&self) -> &str {
        let lines = self.stderr_lines();
        assert_eq!(
            lines.len(),
            1,
            "expected one stderr line, got:\n{}",
            self.stderr
        );
        assert!(lines[0].starts_with("defer: "), "stderr: {}", self.stderr);
        lines[0]
    }

    pub fn assert_stderr_empty(&self) -> &Self {
        assert!(
            self.stderr.is_empty(),
            "unexpected stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// The top-level keys of a one-line JSON object, in the order they appear in the text.
pub fn key_order(line: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(line).expect("a JSON object");
    let object = value.as_object().expect("a JSON object");
    let mut keyed: Vec<(usize, String)> = object
        .keys()
        .map(|k| (top_level_position(line, k), k.clone()))
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, k)| k).collect()
}

/// Byte position of `"key":` at nesting depth 1 in a compact JSON object.
fn top_level_position(line: &str, key: &str) -> usize {
    let needle = format!("{}:", serde_json::to_string(key).unwrap());
    let bytes = line.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' if depth == 1 && line[i..].starts_with(&needle) => return i,
            b'"' => in_string = true,
            _ => {}
        }
    }
    panic!("key {key} not found at top level of {line}")
}

/// The keys of a JSON object value, in serde_json's (sorted) order, for set comparisons.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// File mode bits (`0o777` part) of a path.
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A valid `scheduled` record line with this id (keys in serde_json order), for
/// hand-made stores.
pub fn record_line(id: &str, summary: &str) -> String {
    serde_json::json!({
        "id": id,
        "created_at": "2026-04-08T16:35:00Z",
        "run_at": "2026-04-08T16:45:00Z",
        "type": "deferred_task",
        "intent": "resume_task",
        "context": {"summary": summary, "key_points": [], "artifacts": [], "constraints": []},
        "execution": {"mode": "fresh", "prompt_template": summary, "aura_level": "low"},
        "status": "scheduled",
        "attempts": 0,
        "max_retries": 0,
        "reorient_requested": false,
        "reorient": {"requested": false, "project": null, "explicit_context_file": null}
    })
    .to_string()
}

/// True when `text` is `YYYY-MM-DDTHH:MM:SSZ`.
pub fn is_timestamp(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").is_ok() && text.len() == 20
}

/// Parses a record timestamp.
pub fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ")
        .unwrap_or_else(|e| panic!("{text} is not a record timestamp: {e}"))
        .and_utc()
}

// ---- The fake clock -------------------------------------------------------------------

/// libfaketime's preload library (Debian: package `faketime`, which `make test`
/// installs). Panics with the fix when it is missing: a test that needs another "now"
/// must fail loudly, never pass by running on today's clock.
pub fn libfaketime() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let candidates = [
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib/faketime/libfaketime.so.1",
            "/usr/local/lib/faketime/libfaketime.so.1",
        ];
        let multiarch = fs::read_dir("/usr/lib")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                e.path()
                    .join("faketime/libfaketime.so.1")
                    .display()
                    .to_string()
            });
        candidates
            .iter()
            .map(|s| s.to_string())
            .chain(multiarch)
            .find(|p| Path::new(p).is_file())
            .unwrap_or_else(|| {
                panic!(
                    "libfaketime is not installed: `make test` installs it \
                     (scripts/need.sh faketime), or run `apt-get install -y faketime`"
                )
            })
    })
}

/// The fake clock this test process runs under, if any (`FAKETIME` with libfaketime
/// preloaded, as `scripts/date-check.sh` runs the suite a year ahead). Children get it too.
pub fn suite_clock() -> Option<String> {
    let preload = std::env::var("LD_PRELOAD").unwrap_or_default();
    let clock = std::env::var("FAKETIME").ok()?;
    preload.contains("faketime").then_some(clock)
}

/// Removes the files libfaketime keeps per process in /dev/shm (`faketime_shm_<pid>`,
/// `sem.faketime_sem_<pid>`) for pids that no longer run. A process killed under
/// libfaketime (the kill tests, the soak) leaves them, and a later process that gets the
/// same pid fails at once (`ft_shm_create(), shm_open failed: File exists`; pids here
/// wrap at 32768). Called before every faked child, at most every 100 ms per process.
pub fn sweep_faketime_leftovers() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let last = LAST.load(Ordering::Relaxed);
    if now.saturating_sub(last) < 100
        || LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let Ok(entries) = fs::read_dir("/dev/shm") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let pid = name
            .strip_prefix("faketime_shm_")
            .or_else(|| name.strip_prefix("sem.faketime_sem_"));
        if let Some(pid) = pid.filter(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            if !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The variables that hand the suite's fake clock (if any) to a child started with a
/// plain `std::process::Command` instead of [`Env::cmd`].
pub fn suite_clock_vars() -> Vec<(String, String)> {
    match suite_clock() {
        Some(clock) => vec![
            ("LD_PRELOAD".into(), libfaketime().into()),
            ("FAKETIME".into(), clock),
        ],
        None => Vec::new(),
    }
}

/// Now, truncated to whole seconds (records store whole seconds).
pub fn now_secs() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap()
}

// ---- Runner and archive helpers -------------------------------------------------------

impl Env {
    /// `DEFER_ARCHIVE_DIR` (default layout).
    pub fn archive_dir(&self) -> PathBuf {
        self.runtime_dir().join("archive")
    }

    /// The archive files `deferred_*.jsonl` with their lines, sorted by file name.
    pub fn archive_files(&self) -> Vec<(String, Vec<String>)> {
        let Ok(dir) = fs::read_dir(self.archive_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<(String, Vec<String>)> = dir
            .map(|entry| entry.expect("reading archive/").path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.starts_with("deferred_") && name.ends_with(".jsonl")
            })
            .map(|path| {
                let text = fs::read_to_string(&path).expect("reading an archive file");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, text.lines().map(str::to_string).collect())
            })
            .collect();
        files.sort();
        files
    }

    /// Every line of every archive file, parsed; panics on a line that is not JSON.
    pub fn archive_records(&self) -> Vec<Value> {
        self.archive_files()
            .into_iter()
            .flat_map(|(name, lines)| {
                lines.into_iter().map(move |line| {
                    serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("{name}: line is not JSON ({e}): {line}"))
                })
            })
            .collect()
    }

    /// The latest snapshot of each id in the active store (last line wins), skipping
    /// lines that are not JSON objects with a string `id`.
    pub fn latest(&self) -> std::collections::BTreeMap<String, Value> {
        let mut latest = std::collections::BTreeMap::new();
        for line in self.store_lines() {
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                if let Some(id) = value.get("id").and_then(Value::as_str) {
                    latest.insert(id.to_string(), value);
                }
            }
        }
        latest
    }

    /// The latest snapshot of `id` in the active store; panics when absent.
    pub fn task(&self, id: &str) -> Value {
        self.latest()
            .remove(id)
            .unwrap_or_else(|| panic!("task {id} not in the active store"))
    }

    /// Writes an executable `sh` script `root/bin/<name>` with this body (after a
    /// `#!/bin/sh` line) and returns its path, for `DEFER_EXECUTOR`. Written to a temp
    /// name and renamed, so a concurrent fork never holds it open for writing.
    pub fn write_executor(&self, name: &str, body: &str) -> PathBuf {
        let dir = self.root().join("bin");
        fs::create_dir_all(&dir).expect("creating bin/");
        let path = dir.join(name);
        let temp = dir.join(format!(".{name}.tmp"));
        fs::write(&temp, format!("#!/bin/sh\n{body}\n")).expect("writing an executor");
        fs::set_permissions(&temp, fs::Permissions::from_mode(0o755)).expect("chmod executor");
        fs::rename(&temp, &path).expect("renaming the executor");
        path
    }

    /// Audit log lines whose event (after the timestamp) starts with `event `.
    pub fn log_events(&self, event: &str) -> Vec<String> {
        let prefix = format!("{event} ");
        self.log_lines()
            .into_iter()
            .filter(|line| {
                line.split_once(' ')
                    .is_some_and(|(_, rest)| rest.starts_with(&prefix))
            })
            .collect()
    }
}

/// Schedules `id` due now (`--when now`) with extra arguments; returns the record.
pub fn schedule_due(env: &Env, id: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "schedule",
        "--when",
        "now",
        "--summary",
        id,
        "--id",
        id,
        "--compact",
    ];
    args.extend_from_slice(extra);
    env.cmd(&args).success().json()
}

/// Polls `condition` every 10 ms until it holds; panics after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A tiny deterministic generator (xorshift64) for kill delays; no extra crates.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `record_line(id, id)` with top-level fields replaced or added (`null` values are set
/// as `null`, not removed), for hand-made stores: e.g. a due task is
/// `record_with("a", &[("run_at", json!("2020-01-01T00:00:00Z"))])`.
pub fn record_with(id: &str, fields: &[(&str, Value)]) -> String {
    let mut value: Value = serde_json::from_str(&record_line(id, id)).unwrap();
    let object = value.as_object_mut().unwrap();
    for (key, field) in fields {
        object.insert(key.to_string(), field.clone());
    }
    value.to_string()
}
