//! `defer schedule`: the record it writes (SPEC §1, §3), every flag, every error, and
//! the audit line (§9).

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::support::{instant, is_timestamp, key_order, now_secs, Env, Output};

const RECORD_KEYS: [&str; 13] = [
    "id",
    "created_at",
    "run_at",
    "type",
    "intent",
    "context",
    "execution",
    "status",
    "attempts",
    "max_retries",
    "reorient_requested",
    "reorient",
    // only with --key; checked separately
    "key",
];

fn schedule(env: &Env, extra: &[&str]) -> Value {
    let mut args = vec!["schedule", "--when", "10m", "--compact"];
    args.extend_from_slice(extra);
    env.cmd(&args).success().json()
}

fn is_generated_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("task_") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('_').collect();
    parts.len() == 3
        && parts[0].len() == 8
        && parts[1].len() == 6
        && parts[..2]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts[2].len() == 12
        && parts[2]
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[test]
fn default_record_shape_and_field_order() {
    let env = Env::new();
    let before = now_secs();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "Write the report",
            "--compact",
        ])
        .success();
    let after = now_secs();
    out.assert_stderr_empty();

    let lines = env.store_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        out.stdout,
        format!("{}\n", lines[0]),
        "--compact prints the stored line"
    );
    assert_eq!(key_order(&lines[0]), RECORD_KEYS[..12].to_vec());

    let task = out.json();
    let id = task["id"].as_str().unwrap();
    assert!(is_generated_id(id), "generated id {id}");
    for field in ["created_at", "run_at"] {
        assert!(
            is_timestamp(task[field].as_str().unwrap()),
            "{field}: {}",
            task[field]
        );
    }
    let created = instant(task["created_at"].as_str().unwrap());
    assert!(
        before <= created && created <= after,
        "created_at {created} not in [{before}, {after}]"
    );
    let run_at = instant(task["run_at"].as_str().unwrap());
    assert_eq!(run_at - created, chrono::Duration::minutes(10));
    assert_eq!(
        &id[5..20],
        created.format("%Y%m%d_%H%M%S").to_string(),
        "the id carries created_at"
    );

    let mut expected = json!({
        "type": "deferred_task",
        "intent": "resume_task",
        "context": {"summary": "Write the report", "key_points": [], "artifacts": [], "constraints": []},
        "execution": {"mode": "fresh", "prompt_template": "Write the report", "aura_level": "low"},
        "status": "scheduled",
        "attempts": 0,
        "max_retries": 0,
        "reorient_requested": false,
        "reorient": {"requested": false, "project": null, "explicit_context_file": null}
    });
    for field in ["id", "created_at", "run_at"] {
        expected[field] = task[field].clone();
    }
    assert_eq!(task, expected);
    // nested objects keep their order too
    let line = &lines[0];
    let pos = |needle: &str| {
        line.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {line}"))
    };
    assert!(pos("\"summary\"") < pos("\"key_points\""));
    assert!(pos("\"key_points\"") < pos("\"artifacts\""));
    assert!(pos("\"artifacts\"") < pos("\"constraints\""));
    assert!(pos("\"mode\"") < pos("\"prompt_template\""));
    assert!(pos("\"prompt_template\"") < pos("\"aura_level\""));
    assert!(pos("\"requested\"") < pos("\"project\""));
    assert!(pos("\"project\"") < pos("\"explicit_context_file\""));
}

#[test]
fn pretty_by_default_compact_on_request() {
    let env = Env::new();
    let pretty = env
        .cmd(&["schedule", "--when", "10m", "--summary", "p"])
        .success();
    assert!(
        pretty.stdout.lines().count() > 10,
        "pretty output:\n{}",
        pretty.stdout
    );
    assert!(pretty.stdout.ends_with("}\n"));
    let compact = env
        .cmd(&["schedule", "--when", "10m", "--summary", "c", "--compact"])
        .success();
    assert_eq!(compact.stdout.lines().count(), 1);
    let lines = env.store_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        pretty.json(),
        serde_json::from_str::<Value>(&lines[0]).unwrap()
    );
    assert_eq!(compact.stdout.trim_end(), lines[1]);
}

#[test]
fn every_intent_is_accepted() {
    let env = Env::new();
    for intent in ["resume_task", "notify", "execute_action"] {
        let task = schedule(&env, &["--summary", "s", "--intent", intent]);
        assert_eq!(task["intent"], intent);
    }
    let stored: Vec<Value> = env.records().iter().map(|r| r["intent"].clone()).collect();
    assert_eq!(stored, ["resume_task", "notify", "execute_action"]);
}

#[test]
fn every_mode_and_aura_level_is_accepted() {
    let env = Env::new();
    for mode in ["fresh", "callback"] {
        assert_eq!(
            schedule(&env, &["--summary", "s", "--mode", mode])["execution"]["mode"],
            mode
        );
    }
    for level in ["low", "medium", "high"] {
        let task = schedule(&env, &["--summary", "s", "--aura-level", level]);
        assert_eq!(task["execution"]["aura_level"], level);
    }
    assert_eq!(env.records().len(), 5);
}

#[test]
fn prompt_template_and_max_retries() {
    let env = Env::new();
    let task = schedule(
        &env,
        &[
            "--summary",
            "s",
            "--prompt-template",
            "Do the thing",
            "--max-retries",
            "3",
        ],
    );
    assert_eq!(task["execution"]["prompt_template"], "Do the thing");
    assert_eq!(task["context"]["summary"], "s");
    assert_eq!(task["max_retries"], 3);
    assert_eq!(task["attempts"], 0);
    assert_eq!(env.records()[0], task);
}

#[test]
fn repeatable_lists_keep_their_order() {
    let env = Env::new();
    let task = schedule(
        &env,
        &[
            "--summary",
            "s",
            "--key-point",
            "k1",
            "--artifact",
            "a1",
            "--constraint",
            "c1",
            "--key-point",
            "k2",
            "--artifact",
            "a2",
            "--constraint",
            "c2",
            "--key-point",
            "k3",
        ],
    );
    assert_eq!(task["context"]["key_points"], json!(["k1", "k2", "k3"]));
    assert_eq!(task["context"]["artifacts"], json!(["a1", "a2"]));
    assert_eq!(task["context"]["constraints"], json!(["c1", "c2"]));
    assert_eq!(env.records()[0], task);
}

#[test]
fn context_json_merges_under_the_flags() {
    let env = Env::new();
    let context = r#"{"summary":"from json","key_points":["jk"],"artifacts":["ja1","ja2"],"constraints":["jc"],"reoriented_from":"/p/CONTEXT.md","mood":"calm","nested":{"x":[1,2]}}"#;
    let task = schedule(
        &env,
        &[
            "--summary",
            "explicit",
            "--context-json",
            context,
            "--key-point",
            "fk",
            "--artifact",
            "fa",
            "--constraint",
            "fc",
        ],
    );
    let ctx = &task["context"];
    assert_eq!(ctx["summary"], "explicit", "the explicit --summary wins");
    assert_eq!(ctx["key_points"], json!(["jk", "fk"]));
    assert_eq!(ctx["artifacts"], json!(["ja1", "ja2", "fa"]));
    assert_eq!(ctx["constraints"], json!(["jc", "fc"]));
    assert_eq!(ctx["reoriented_from"], "/p/CONTEXT.md");
    assert_eq!(ctx["mood"], "calm", "unknown keys are kept");
    assert_eq!(ctx["nested"], json!({"x": [1, 2]}));
    assert_eq!(task["execution"]["prompt_template"], "explicit");
    assert_eq!(env.records()[0], task);
}

#[test]
fn context_json_supplies_the_summary() {
    let env = Env::new();
    let task = schedule(&env, &["--context-json", r#"{"summary":"from json"}"#]);
    assert_eq!(task["context"]["summary"], "from json");
    assert_eq!(task["execution"]["prompt_template"], "from json");
    assert_eq!(task["context"]["key_points"], json!([]));
    assert!(
        task["context"]
            .get("reoriented_from")
            .is_none_or(Value::is_null),
        "no reoriented_from given: {}",
        task["context"]
    );
}

#[test]
fn explicit_id_is_used() {
    let env = Env::new();
    let task = schedule(&env, &["--summary", "s", "--id", "my.task_1-A"]);
    assert_eq!(task["id"], "my.task_1-A");
    assert_eq!(env.records()[0]["id"], "my.task_1-A");
}

#[test]
fn project_and_context_file_are_recorded_without_reorient() {
    let env = Env::new();
    let task = schedule(
        &env,
        &[
            "--summary",
            "s",
            "--project",
            "alpha",
            "--context-file",
            "/tmp/CONTEXT.md",
        ],
    );
    assert_eq!(
        task["reorient"],
        json!({"requested": false, "project": "alpha", "explicit_context_file": "/tmp/CONTEXT.md"})
    );
    assert_eq!(task["reorient_requested"], false);
    assert_eq!(env.records()[0], task);
}

#[test]
fn key_is_idempotent() {
    let env = Env::new();
    let first = schedule(&env, &["--summary", "first", "--key", "nightly"]);
    assert_eq!(first["key"], "nightly");
    let lines = env.store_lines();
    assert_eq!(key_order(&lines[0]), RECORD_KEYS.to_vec());
    let logged = env.log_lines().len();

    let again = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "second",
            "--key",
            "nightly",
            "--compact",
        ])
        .success();
    assert_eq!(again.json(), first, "prints the existing task");
    assert_eq!(env.store_lines(), lines, "writes nothing");
    assert_eq!(env.log_lines().len(), logged, "logs nothing");

    let other = schedule(&env, &["--summary", "other", "--key", "weekly"]);
    assert_ne!(other["id"], first["id"]);
    assert_eq!(env.store_lines().len(), 2);
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "s",
            "--dry-run",
            "--compact",
        ])
        .success();
    let task = out.json();
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["context"]["summary"], "s");
    assert!(!env.store_exists(), "no store file");
    assert!(env.log_lines().is_empty(), "no log line");

    env.schedule("existing", "s");
    let before = env.store_bytes();
    env.cmd(&["schedule", "--when", "10m", "--summary", "t", "--dry-run"])
        .success();
    assert_eq!(env.store_bytes(), before);
    assert_eq!(env.log_lines().len(), 1);
}

#[test]
fn past_instant_is_stored_with_a_warning() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "2020-01-01T00:00:00Z",
            "--summary",
            "late",
            "--compact",
        ])
        .success();
    assert_eq!(out.json()["run_at"], "2020-01-01T00:00:00Z");
    assert!(out.stderr.contains("warning"), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("2020-01-01T00:00:00Z"),
        "stderr: {}",
        out.stderr
    );
    assert_eq!(env.records()[0]["run_at"], "2020-01-01T00:00:00Z");
}

#[test]
fn rfc3339_offsets_are_stored_in_utc() {
    let env = Env::new();
    let args = [
        "schedule",
        "--when",
        "2099-12-01T09:00:00+02:00",
        "--summary",
        "s",
        "--compact",
    ];
    let out = env.cmd(&args).success();
    out.assert_stderr_empty();
    assert_eq!(out.json()["run_at"], "2099-12-01T07:00:00Z");
    assert_eq!(env.records()[0]["run_at"], "2099-12-01T07:00:00Z");
}

#[test]
fn when_now_is_now() {
    let env = Env::new();
    let before = now_secs();
    let task = env
        .cmd(&["schedule", "--when", "now", "--summary", "s", "--compact"])
        .success()
        .json();
    let after = now_secs();
    let run_at = instant(task["run_at"].as_str().unwrap());
    assert!(before <= run_at && run_at <= after);
}

#[test]
fn the_audit_log_records_each_schedule() {
    let env = Env::new();
    let a = env.schedule("first", "s");
    let b = schedule(&env, &["--summary", "s", "--intent", "notify"]);
    let log = env.log_lines();
    assert_eq!(log.len(), 2, "{log:?}");
    for (line, task) in log.iter().zip([&a, &b]) {
        let words: Vec<&str> = line.split(' ').collect();
        assert!(is_timestamp(words[0]), "{line}");
        assert_eq!(
            words[1..],
            [
                "scheduled",
                &format!("id={}", task["id"].as_str().unwrap()),
                &format!("run_at={}", task["run_at"].as_str().unwrap()),
                &format!("intent={}", task["intent"].as_str().unwrap()),
            ],
            "{line}"
        );
    }
}

#[test]
fn generated_ids_are_unique_across_processes() {
    let env = Env::new();
    let ids: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..10)
                        .map(|_| {
                            schedule(&env, &["--summary", "s"])["id"]
                                .as_str()
                                .unwrap()
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(ids.len(), 40);
    assert!(ids.iter().all(|id| is_generated_id(id)), "{ids:?}");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 40, "duplicate generated ids: {ids:?}");
    let stored: HashSet<String> = env
        .records()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored.len(), 40);
}

// ---- errors: exit 1, one `defer: ` line naming the value, nothing written ----

/// Runs a failing schedule against a store holding one task; checks exit 1, a single
/// `defer:` line containing every `needle`, and that nothing was written.
fn rejected(extra: &[&str], needles: &[&str]) -> Output {
    let env = Env::new();
    env.schedule("existing", "s");
    let store = env.store_bytes();
    let log = env.log_lines();
    let mut args = vec!["schedule"];
    args.extend_from_slice(extra);
    let out = env.cmd(&args).failure(1);
    let line = out.error_line();
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} not in {line:?}");
    }
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert_eq!(env.store_bytes(), store, "store changed");
    assert_eq!(env.log_lines(), log, "log changed");
    out
}

/// Like `rejected`, and also checks that a fresh runtime dir is never created.
fn rejected_fresh(extra: &[&str], needles: &[&str]) {
    rejected(extra, needles);
    let env = Env::new();
    let mut args = vec!["schedule"];
    args.extend_from_slice(extra);
    env.cmd(&args).failure(1);
    assert!(
        !env.runtime_dir().exists(),
        "runtime dir created by a failed schedule"
    );
}

#[test]
fn bad_intent_message_is_exact() {
    let out = rejected(
        &["--when", "10m", "--summary", "s", "--intent", "bogus"],
        &[],
    );
    assert_eq!(
        out.stderr,
        "defer: invalid --intent 'bogus' (accepted: resume_task, notify, execute_action)\n"
    );
}

#[test]
fn bad_closed_set_values() {
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--mode", "x"],
        &["--mode", "'x'", "fresh", "callback"],
    );
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--aura-level", "x"],
        &["--aura-level", "'x'", "low", "medium", "high"],
    );
    rejected(
        &["--when", "10m", "--summary", "s", "--intent", "Notify"],
        &["'Notify'"],
    );
}

#[test]
fn bad_max_retries() {
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--max-retries", "-1"],
        &["--max-retries", "'-1'"],
    );
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--max-retries", "abc"],
        &["--max-retries", "'abc'"],
    );
    rejected(
        &["--when", "10m", "--summary", "s", "--max-retries", "1.5"],
        &["'1.5'"],
    );
}

#[test]
fn bad_when() {
    rejected_fresh(&["--when", "-5m", "--summary", "s"], &["--when", "'-5m'"]);
    rejected_fresh(&["--when", "", "--summary", "s"], &["--when", "''"]);
    rejected_fresh(
        &["--when", "garbage", "--summary", "s"],
        &["--when", "'garbage'"],
    );
    rejected(&["--when", "0m", "--summary", "s"], &["'0m'"]);
}

#[test]
fn missing_summary() {
    rejected_fresh(&["--when", "10m"], &["--summary"]);
    rejected(&["--when", "10m", "--summary", "   "], &["summary"]);
    rejected(
        &["--when", "10m", "--context-json", r#"{"key_points":["k"]}"#],
        &["summary"],
    );
}

#[test]
fn bad_context_json() {
    let when = ["--when", "10m", "--summary", "s", "--context-json"];
    let cases: [(&str, &[&str]); 7] = [
        ("[1,2]", &["--context-json", "[1,2]"]),
        ("\"text\"", &["--context-json"]),
        (r#"{"summary":5}"#, &["--context-json", "summary"]),
        (r#"{"key_points":"one"}"#, &["--context-json", "key_points"]),
        (r#"{"artifacts":[1]}"#, &["--context-json", "artifacts"]),
        (
            r#"{"constraints":[null]}"#,
            &["--context-json", "constraints"],
        ),
        ("{not json", &["--context-json", "{not json"]),
    ];
    for (json, needles) in cases {
        let mut args = when.to_vec();
        args.push(json);
        rejected(&args, needles);
    }
    rejected_fresh(
        &["--when", "10m", "--context-json", "{oops"],
        &["--context-json"],
    );
}

#[test]
fn bad_ids() {
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--id", "bad id"],
        &["--id", "'bad id'"],
    );
    rejected_fresh(
        &["--when", "10m", "--summary", "s", "--id", "-x"],
        &["--id", "'-x'"],
    );
    rejected(
        &["--when", "10m", "--summary", "s", "--id", "a/b"],
        &["'a/b'"],
    );
    let long = "a".repeat(129);
    rejected(
        &["--when", "10m", "--summary", "s", "--id", &long],
        &[&long],
    );
}

#[test]
fn duplicate_id_is_rejected() {
    rejected(
        &["--when", "10m", "--summary", "again", "--id", "existing"],
        &["existing"],
    );
}

#[test]
fn invalid_timezone_names_the_variable() {
    let env = Env::new();
    let out = env
        .cmd(&["schedule", "--when", "10m", "--summary", "s"])
        .env("DEFER_TIMEZONE", "Mars/Base")
        .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("DEFER_TIMEZONE") && line.contains("Mars/Base"),
        "{line}"
    );
    assert!(!env.runtime_dir().exists());
}

// ---- usage errors: exit 2 ----

fn usage_error(args: &[&str]) {
    let env = Env::new();
    let out = env.cmd(args).failure(2);
    assert!(!out.stderr.is_empty());
    assert!(out.stdout.is_empty());
    assert!(
        !env.runtime_dir().exists(),
        "usage error created the runtime dir"
    );
}

#[test]
fn usage_errors_exit_2() {
    usage_error(&["schedule", "--when", "10m", "--summary", "s", "--bogus"]);
    usage_error(&["schedule", "--when", "10m", "--summary", "s", "--intent"]);
    usage_error(&["schedule", "--summary", "s"]);
    usage_error(&["frobnicate"]);
}

#[test]
fn empty_closed_set_value_is_a_bad_value() {
    let out = rejected(
        &["--when", "10m", "--summary", "s", "--intent", ""],
        &["--intent", "''"],
    );
    assert!(out.stderr.contains("resume_task"), "{}", out.stderr);
}

#[test]
fn dry_run_previews_the_id_and_key_checks() {
    let env = Env::new();
    env.schedule("taken", "s");
    let keyed = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "k",
            "--key",
            "nightly",
            "--compact",
        ])
        .success()
        .json();
    let before = env.store_bytes();
    let err = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "s",
            "--id",
            "taken",
            "--dry-run",
        ])
        .failure(1);
    assert_eq!(
        err.error_line(),
        "defer: task id already exists: taken (choose another --id)"
    );
    let again = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "other",
            "--key",
            "nightly",
            "--dry-run",
            "--compact",
        ])
        .success();
    assert_eq!(
        again.json()["id"],
        keyed["id"],
        "the existing keyed task is what a real run would print"
    );
    assert_eq!(env.store_bytes(), before, "dry runs write nothing");
}

#[test]
fn generated_id_shape_is_reserved() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "s",
            "--id",
            "task_20260408_163500_0a3kz9x2m1qp",
        ])
        .failure(1);
    assert!(
        out.error_line().starts_with(
            "defer: invalid --id 'task_20260408_163500_0a3kz9x2m1qp': ids shaped like"
        ),
        "{}",
        out.stderr
    );
    assert!(!env.store_exists());
    // The original scripts' shape stays available.
    env.cmd(&[
        "schedule",
        "--when",
        "10m",
        "--summary",
        "s",
        "--id",
        "task_20260408_163500_4821",
    ])
    .success();
}
