//! The user's crontab through the `crontab` command: read it (`crontab -l`, where "no
//! crontab for <user>" is an empty crontab) and replace it (`crontab -`). What to write
//! is decided by `cron.rs`.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};

const NOT_FOUND: &str =
    "crontab not found on PATH (install the 'cron' package, e.g. apt-get install cron)";

/// The current crontab's text; empty when the user has none.
pub fn read() -> Result<String> {
    let output = command()
        .arg("-l")
        .stdin(Stdio::null())
        .output()
        .map_err(spawn_error)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return String::from_utf8(output.stdout).context("reading `crontab -l`: not UTF-8");
    }
    if stderr.to_ascii_lowercase().contains("no crontab for") {
        return Ok(String::new());
    }
    bail!("`crontab -l` failed: {}", one_line(&stderr, output.status))
}

/// Replaces the crontab with `text`.
pub fn write(text: &str) -> Result<()> {
    let mut child = command()
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(text.as_bytes())
        .context("writing to `crontab -`")?;
    drop(stdin);
    let output = child
        .wait_with_output()
        .context("waiting for `crontab -`")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("`crontab -` failed: {}", one_line(&stderr, output.status));
    }
    Ok(())
}

fn command() -> Command {
    Command::new("crontab")
}

fn spawn_error(e: std::io::Error) -> anyhow::Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(NOT_FOUND),
        _ => anyhow!("running crontab: {e}"),
    }
}

fn one_line(stderr: &str, status: std::process::ExitStatus) -> String {
    let text = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.is_empty() {
        true => status.to_string(),
        false => text,
    }
}
