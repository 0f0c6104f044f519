//! `defer export` (SPEC §17) through the binary: a stored series or task as systemd
//! units (checked by `systemd-analyze` where the machine has it, and run: the service's
//! command with its embedded stdin executes the task) or a Kubernetes CronJob (parsed as
//! YAML); refusals are one line, and nothing is ever written.

use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::support::{Env, BIN};

/// A series occurrence as `defer schedule --cron` stores it (SPEC §12's `series`).
fn series_record(id: &str, every: Option<&str>, cron: Option<&str>, run_at: &str) -> String {
    let record = serde_json::json!({
        "id": id, "created_at": "2026-12-01T08:00:00Z", "run_at": run_at,
        "type": "deferred_task", "intent": "notify",
        "context": {"summary": "Weekly report\nwith a \"quoted\" line", "key_points": [], "artifacts": [], "constraints": []},
        "execution": {"mode": "fresh", "prompt_template": "Write the report", "aura_level": "low"},
        "status": "scheduled", "attempts": 0, "max_retries": 0, "reorient_requested": false,
        "reorient": {"requested": false, "project": null, "explicit_context_file": null},
        "series": {"id": id, "every": every, "cron": cron, "timezone": "Europe/Berlin",
                   "until": null, "count": null, "occurrence": 1, "missed": "run-once",
                   "grace_seconds": 600}
    });
    format!("{record}\n")
}

/// The files of a systemd export, by name.
fn files(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("# ---- file: ") {
            out.push((name.trim_end_matches(" ----").to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn decode_base64(text: &str) -> Vec<u8> {
    let out = Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("base64 -d");
    out.stdout
}

/// Every path under `dir` with its length, sorted (a write or a new file shows); lock
/// files, which every reader of the store opens, left out.
fn walk(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        let path = entry.path().display().to_string();
        if path.ends_with(".lock") {
            continue;
        }
        out.push((path, meta.len()));
        if meta.is_dir() {
            out.extend(walk(&entry.path()));
        }
    }
    out.sort();
    out
}

fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: {tool} is not on PATH");
    }
    found
}

#[test]
fn a_series_exports_as_a_service_and_timer_that_run_the_task() {
    let env = Env::new();
    env.write_store(series_record(
        "weekly",
        None,
        Some("0 9 * * mon"),
        "2026-12-07T08:00:00Z",
    ));
    let before = env.store_bytes();
    let files_before = walk(&env.runtime_dir());
    let out = env
        .cmd(&["export", "weekly", "--format", "systemd"])
        .success();
    assert_eq!(env.store_bytes(), before, "export wrote to the store");
    assert_eq!(
        walk(&env.runtime_dir()),
        files_before,
        "export wrote a file"
    );
    assert!(
        out.stdout.ends_with("#   defer cancel weekly\n"),
        "{}",
        out.stdout
    );
    let files = files(&out.stdout);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["defer-weekly.service", "defer-weekly.timer"]);
    let (service, timer) = (&files[0].1, &files[1].1);
    assert!(
        timer.contains("\nOnCalendar=Mon *-*-* 09:00:00 Europe/Berlin\n"),
        "{timer}"
    );
    assert!(timer.contains("\nPersistent=true\n"));
    let bin = std::fs::canonicalize(BIN).unwrap();
    let exec = format!("\nExecStart=\"{}\" execute --compact\n", bin.display());
    assert!(service.contains(&exec), "{service}");
    let runtime = format!(
        "Environment=\"DEFER_RUNTIME_DIR={}\"",
        env.runtime_dir().display()
    );
    assert!(service.contains(&runtime), "{service}");

    // What systemd would do: run ExecStart with StandardInputData= on stdin.
    let data: String = service
        .lines()
        .filter_map(|l| l.strip_prefix("StandardInputData="))
        .collect();
    let json = decode_base64(&data);
    let task: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        task["context"]["summary"],
        "Weekly report\nwith a \"quoted\" line"
    );
    assert!(task.get("series").is_none());
    let ran = env.cmd(&["execute", "--compact"]).stdin(json).success();
    assert_eq!(ran.json()["status"], "completed");
    assert_eq!(ran.json()["result"]["type"], "prompt_prepared");

    // systemd's own checker finds nothing wrong with the two files.
    if have("systemd-analyze") {
        let dir = env.root().join("units");
        std::fs::create_dir(&dir).unwrap();
        let mut paths = Vec::new();
        for (name, body) in &files {
            std::fs::write(dir.join(name), body).unwrap();
            paths.push(dir.join(name));
        }
        let check = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .args(&paths)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert!(stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
    }
}

/// Series made by `defer schedule --cron` in Europe/Berlin, exported, and the timers'
/// elapses (systemd-analyze, from a fixed base) against `defer when --cron --next` run
/// at that base under libfaketime.
#[test]
fn exported_timers_elapse_when_defer_when_says() {
    assert!(
        have("systemd-analyze"),
        "systemd-analyze is not installed: `make test` installs it (scripts/need.sh)"
    );
    let env = Env::new();
    let base = "2026-12-04 12:00:00";
    for (i, cron) in [
        "0 9 * * mon-fri",
        "*/20 * * * *",
        "0 9 1,15 * mon",
        "@monthly",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("s{i}");
        env.at(
            base,
            &["schedule", "--cron", cron, "--summary", "s", "--id", &id],
        )
        .env("DEFER_TIMEZONE", "Europe/Berlin")
        .success();
        let out = env.cmd(&["export", &id, "--format", "systemd"]).success();
        let lines: Vec<String> = out
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("OnCalendar="))
            .map(str::to_string)
            .collect();
        let mut elapses = Vec::new();
        for line in &lines {
            let cal = Command::new("systemd-analyze")
                .env("TZ", "UTC")
                .args([
                    "calendar",
                    "--iterations=8",
                    &format!("--base-time={base} UTC"),
                    line,
                ])
                .output()
                .unwrap();
            for text in String::from_utf8_lossy(&cal.stdout).lines() {
                if let Some((label, value)) = text.split_once(": ") {
                    let label = label.trim();
                    if label == "Next elapse" || label.starts_with("Iter. #") {
                        let v = value.trim().split_once(' ').unwrap().1;
                        elapses.push(v.trim_end_matches(" UTC").replace(' ', "T") + "Z");
                    }
                }
            }
        }
        elapses.sort();
        elapses.dedup();
        elapses.truncate(8);
        let when = env
            .at(base, &["when", "--cron", cron, "--next", "8", "--compact"])
            .env("DEFER_TIMEZONE", "Europe/Berlin")
            .success();
        let fires: Vec<String> = when
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["utc"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(elapses, fires, "{cron} as {lines:?}");
    }
}

#[test]
fn a_series_exports_as_a_configmap_and_cronjob() {
    let env = Env::new();
    env.write_store(series_record(
        "every-15",
        Some("15m"),
        None,
        "2026-12-07T08:05:00Z",
    ));
    let out = env
        .cmd(&[
            "export",
            "every-15",
            "--format",
            "kubernetes",
            "--name",
            "reports",
        ])
        .success();
    let docs: Vec<serde_norway::Value> = serde_norway::Deserializer::from_str(&out.stdout)
        .map(|d| serde_norway::Value::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["kind"], "ConfigMap");
    assert_eq!(docs[0]["metadata"]["name"], "reports-task");
    let task: Value = serde_json::from_str(docs[0]["data"]["task.json"].as_str().unwrap()).unwrap();
    assert_eq!(task["id"], "every-15");
    let spec = &docs[1]["spec"];
    assert_eq!(docs[1]["kind"], "CronJob");
    assert_eq!(spec["schedule"], "5,20,35,50 * * * *");
    assert_eq!(spec["timeZone"], "Etc/UTC");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    assert!(out.stdout.ends_with("#   defer cancel every-15\n"));
}

/// Exit 1, one `defer:` line containing `needle`, nothing on stdout, store unchanged.
fn refused(env: &Env, args: &[&str], needle: &str) {
    let before = env.store_bytes();
    let out = env.cmd(args).failure(1);
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    assert!(
        out.stderr.starts_with("defer: "),
        "{args:?}: {}",
        out.stderr
    );
    assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    assert_eq!(out.stdout, "", "{args:?}");
    assert_eq!(env.store_bytes(), before, "{args:?}");
}

#[test]
fn what_cannot_be_exported_exactly_is_refused_in_one_line() {
    let env = Env::new();
    let mut store = series_record("drift", Some("11m"), None, "2026-12-07T08:00:00Z");
    store.push_str(&series_record(
        "late-sec",
        Some("15m"),
        None,
        "2026-12-07T08:00:07Z",
    ));
    env.write_store(store);
    env.cmd(&[
        "schedule",
        "--when",
        "2h",
        "--summary",
        "once",
        "--id",
        "once",
    ])
    .success();
    env.cmd(&[
        "schedule",
        "--when",
        "2h",
        "--summary",
        "gone",
        "--id",
        "gone",
    ])
    .success();
    env.cmd(&["cancel", "gone"]).success();
    refused(
        &env,
        &["export", "drift", "--format", "systemd"],
        "interval '11m' divides no hour, day or week",
    );
    refused(
        &env,
        &["export", "late-sec", "--format", "kubernetes"],
        "fires at second 7",
    );
    refused(
        &env,
        &["export", "once", "--format", "kubernetes"],
        "a Kubernetes CronJob only repeats",
    );
    refused(
        &env,
        &["export", "gone", "--format", "systemd"],
        "its status is cancelled",
    );
    refused(
        &env,
        &["export", "nope", "--format", "systemd"],
        "task not found: nope",
    );
    refused(
        &env,
        &["export", "once", "--format", "cron"],
        "invalid --format 'cron' (accepted: systemd, kubernetes)",
    );
    refused(
        &env,
        &["export", "once", "--format", "systemd", "--name", "a/b"],
        "invalid --name 'a/b'",
    );
    // A one-shot task is fine as a timer at its instant.
    let out = env
        .cmd(&["export", "once", "--format", "systemd"])
        .success();
    assert_eq!(out.stdout.matches("\nOnCalendar=").count(), 1);
}

#[test]
fn a_kubernetes_deadline_under_ten_seconds_is_raised_to_ten_and_says_so() {
    let env = Env::new();
    let deadline = |grace: &str| {
        let id = format!("g{grace}");
        env.cmd(&[
            "schedule",
            "--cron",
            "0 9 * * *",
            "--missed",
            "skip",
            "--grace",
            grace,
            "--summary",
            "s",
            "--id",
            &id,
        ])
        .env("DEFER_TIMEZONE", "UTC")
        .success();
        let out = env
            .cmd(&["export", &id, "--format", "kubernetes"])
            .success();
        let docs: Vec<serde_norway::Value> = serde_norway::Deserializer::from_str(&out.stdout)
            .map(|d| serde_norway::Value::deserialize(d).unwrap())
            .collect();
        let seconds = docs[1]["spec"]["startingDeadlineSeconds"].as_u64().unwrap();
        (seconds, out.stdout)
    };
    for grace in ["0s", "5s", "9s"] {
        let (seconds, text) = deadline(grace);
        assert_eq!(seconds, 10, "{text}");
        let note = format!("# The grace is {}; Kubernetes may never start", grace);
        assert!(text.contains(&note), "{text}");
    }
    let (seconds, text) = deadline("10s");
    assert_eq!(seconds, 10);
    assert!(!text.contains("may never start"), "{text}");
    assert_eq!(deadline("2m").0, 120);
}
