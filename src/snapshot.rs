//! What the world looked like when a task was scheduled (SPEC §22), and what changed
//! since: the git work tree `schedule` ran in (top level, branch, HEAD) and each
//! artifact that was a local file (size, modification time). Git is read with the
//! `git` binary, each call bounded in time; no git, or no work tree, is not an error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::bounded::{self, Ran};
pub use crate::task::snapshot::{FileState, GitState, Snapshot};
use crate::timestamp::Timestamp;

/// The time one git call may take.
const GIT_LIMIT: Duration = Duration::from_secs(2);
/// At most this many artifacts are recorded.
const MAX_ARTIFACTS: usize = 32;

/// The snapshot `schedule` records from `cwd`, or `None` when there is nothing to
/// record (not in a work tree, no artifact that is a local file).
pub fn capture(cwd: &Path, artifacts: &[String]) -> Option<Snapshot> {
    let snapshot = Snapshot {
        git: git_state(cwd),
        artifacts: artifacts
            .iter()
            .filter_map(|a| file_state(&absolute(cwd, a)?))
            .take(MAX_ARTIFACTS)
            .collect(),
        extra: serde_json::Map::new(),
    };
    (snapshot.git.is_some() || !snapshot.artifacts.is_empty()).then_some(snapshot)
}

/// An artifact that names a local path (not a URL, not an id), made absolute.
fn absolute(cwd: &Path, artifact: &str) -> Option<PathBuf> {
    let text = artifact.trim();
    if text.is_empty() || text.contains("://") || text.contains('\n') {
        return None;
    }
    let path = Path::new(text);
    Some(match path.is_absolute() {
        true => path.to_path_buf(),
        false => cwd.join(path),
    })
}

fn file_state(path: &Path) -> Option<FileState> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let modified: DateTime<Utc> = meta.modified().ok()?.into();
    Some(FileState {
        path: path.to_str()?.to_string(),
        size: meta.len(),
        modified: Timestamp::new(modified),
    })
}

/// One line of a git command's output, or `None` on any failure.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    git_lines(dir, args)?.into_iter().next()
}

/// Every line of a git command's output, or `None` on any failure.
fn git_lines(dir: &Path, args: &[&str]) -> Option<Vec<String>> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0");
    match bounded::run(&mut command, GIT_LIMIT) {
        Ran::Done {
            success: true,
            stdout,
            ..
        } => Some(stdout.lines().map(str::to_string).collect()),
        _ => None,
    }
}

/// The work tree `dir` is in: one `git rev-parse` (top level, HEAD, branch; `HEAD` for
/// the branch when detached). No commit yet, or no work tree: `None`.
fn git_state(dir: &Path) -> Option<GitState> {
    let lines = git_lines(
        dir,
        &[
            "rev-parse",
            "--show-toplevel",
            "HEAD",
            "--abbrev-ref",
            "HEAD",
        ],
    )?;
    let [top, head, branch] = <[String; 3]>::try_from(lines).ok()?;
    let is_commit = head.len() >= 40 && head.bytes().all(|b| b.is_ascii_hexdigit());
    is_commit.then(|| GitState {
        top,
        branch: (branch != "HEAD").then_some(branch),
        head,
    })
}

/// The `Changed since scheduled:` lines for `then`, comparing it with the world now
/// (times shown in `tz`); empty when nothing changed.
pub fn changes(then: &Snapshot, tz: Tz) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(git) = &then.git {
        lines.extend(repo_change(git));
    }
    for file in &then.artifacts {
        let now = file_state(Path::new(&file.path));
        lines.extend(file_change(file, now.as_ref(), tz));
    }
    lines
}

fn repo_change(then: &GitState) -> Option<String> {
    let top = Path::new(&then.top);
    let Some(now) = git_state(top) else {
        return top
            .exists()
            .then(|| format!("repo {}: no longer a git work tree", then.top))
            .or_else(|| Some(format!("repo {}: deleted", then.top)));
    };
    let branch = match (&then.branch, &now.branch) {
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "branch {} -> {}",
            a.as_deref().unwrap_or("(detached)"),
            b.as_deref().unwrap_or("(detached)")
        )),
    };
    if now.head == then.head {
        return branch.map(|b| format!("repo {}: {b}", then.top));
    }
    let range = format!("{}..{}", then.head, now.head);
    let moved = match is_ancestor(top, &then.head, &now.head) {
        true => match git(top, &["rev-list", "--count", &range]) {
            Some(n) if n == "1" => "HEAD moved 1 commit".to_string(),
            Some(n) => format!("HEAD moved {n} commits"),
            None => "HEAD moved".to_string(),
        },
        false => "HEAD moved (not a descendant: rebased or reset)".to_string(),
    };
    let branch_part = match branch {
        Some(b) => b,
        None => format!("branch {}", now.branch.as_deref().unwrap_or("(detached)")),
    };
    Some(format!(
        "repo {}: {moved} ({} -> {}), {branch_part}",
        then.top,
        short(&then.head),
        short(&now.head)
    ))
}

fn is_ancestor(top: &Path, old: &str, new: &str) -> bool {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(top)
        .args(["merge-base", "--is-ancestor", old, new]);
    matches!(
        bounded::run(&mut command, GIT_LIMIT),
        Ran::Done { success: true, .. }
    )
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

fn file_change(then: &FileState, now: Option<&FileState>, tz: Tz) -> Option<String> {
    match now {
        None => Some(format!("artifact {}: deleted", then.path)),
        Some(now) if now.size != then.size || now.modified != then.modified => Some(format!(
            "artifact {}: modified {}",
            then.path,
            now.modified
                .at()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests;
