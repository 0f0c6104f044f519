use std::fs;
use std::process::Command;

use super::*;

fn git_in(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_in(dir.path(), &["init", "-q", "-b", "main"]);
    git_in(dir.path(), &["commit", "-q", "--allow-empty", "-m", "one"]);
    dir
}

#[test]
fn nothing_to_record_outside_a_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        capture(
            dir.path(),
            &["https://example.com/x".into(), "PR-4312".into()]
        ),
        None
    );
}

#[test]
fn a_work_tree_and_its_moves() {
    let dir = repo();
    let sub = dir.path().join("src");
    fs::create_dir(&sub).unwrap();
    let then = capture(&sub, &[]).expect("a work tree");
    let git = then.git.clone().unwrap();
    assert_eq!(Path::new(&git.top), dir.path().canonicalize().unwrap());
    assert_eq!(git.branch.as_deref(), Some("main"));
    assert_eq!(git.head.len(), 40);
    assert!(
        changes(&then, chrono_tz::UTC).is_empty(),
        "nothing changed yet"
    );

    for n in 0..14 {
        git_in(
            dir.path(),
            &["commit", "-q", "--allow-empty", "-m", &format!("c{n}")],
        );
    }
    let lines = changes(&then, chrono_tz::UTC);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let now = git_state(dir.path()).unwrap();
    assert_eq!(
        lines[0],
        format!(
            "repo {}: HEAD moved 14 commits ({} -> {}), branch main",
            git.top,
            &git.head[..7],
            &now.head[..7]
        )
    );

    git_in(dir.path(), &["checkout", "-q", "-b", "feature"]);
    let lines = changes(&then, chrono_tz::UTC);
    assert!(lines[0].ends_with("branch main -> feature"), "{lines:?}");

    git_in(dir.path(), &["checkout", "-q", "--orphan", "fresh"]);
    git_in(
        dir.path(),
        &["commit", "-q", "--allow-empty", "-m", "unrelated"],
    );
    let lines = changes(&then, chrono_tz::UTC);
    assert!(lines[0].contains("not a descendant"), "{lines:?}");
}

#[test]
fn artifacts_modified_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let notes = dir.path().join("notes.txt");
    fs::write(&report, "v1").unwrap();
    fs::write(&notes, "keep").unwrap();
    let then = capture(
        dir.path(),
        &[
            "report.md".into(),
            notes.display().to_string(),
            "missing.txt".into(),
        ],
    )
    .expect("two files");
    assert_eq!(then.git, None);
    assert_eq!(then.artifacts.len(), 2, "a missing file is not recorded");
    assert!(changes(&then, chrono_tz::UTC).is_empty());
    fs::write(&report, "version two").unwrap();
    fs::remove_file(&notes).unwrap();
    let lines = changes(&then, chrono_tz::UTC);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("artifact {}: modified ", report.display())),
        "{lines:?}"
    );
    assert_eq!(lines[1], format!("artifact {}: deleted", notes.display()));
}

#[test]
fn the_field_round_trips_and_keeps_unknown_keys() {
    let text = r#"{"git":{"top":"/r","branch":null,"head":"abc"},"artifacts":[],"later":1}"#;
    let snapshot: Snapshot = serde_json::from_str(text).unwrap();
    assert_eq!(snapshot.git.as_ref().unwrap().branch, None);
    assert_eq!(
        serde_json::to_string(&snapshot).unwrap(),
        r#"{"git":{"top":"/r","branch":null,"head":"abc"},"later":1}"#
    );
}
