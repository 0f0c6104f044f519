//! Anything acknowledged can be read back (SPEC §19): `schedule` bounds what it stores,
//! an archive month never glues two records, an archived id is never reused, and a
//! corrupt summary entry never makes a read trust it.

use serde_json::{json, Value};

use crate::support::{record_with, schedule_due, Env};

/// A `--context-json` object nested `depth` levels deep (the object is level 1).
fn nested(depth: usize) -> String {
    let inner = depth - 1;
    format!(
        r#"{{"summary":"deep","n":{}{}}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    )
}

/// The replies of `defer mcp` to `initialize` and then these tool calls.
fn mcp(env: &Env, calls: &[(&str, Value)]) -> Vec<Value> {
    let mut lines = vec![json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}})
    .to_string()];
    for (i, (tool, arguments)) in calls.iter().enumerate() {
        lines.push(
            json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                   "params": {"name": tool, "arguments": arguments}})
            .to_string(),
        );
    }
    let out = env.cmd(&["mcp"]).stdin(lines.join("\n") + "\n").success();
    out.stdout
        .lines()
        .skip(1)
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn context_json_64_deep_is_stored_listed_and_run() {
    let env = Env::new();
    let deep = nested(64);
    schedule_due(&env, "deep", &["--context-json", &deep]);
    let listed = env.cmd(&["list", "--compact"]).success();
    listed.assert_stderr_empty();
    assert_eq!(listed.json()[0]["id"], "deep");
    env.cmd(&["run"]).success().assert_stderr_empty();
    let shown = env.cmd(&["show", "deep", "--compact"]).success().json();
    assert_eq!(shown["status"], "completed");
    let expected: Value = serde_json::from_str(&deep).unwrap();
    assert_eq!(shown["context"]["n"], expected["n"]);
}

#[test]
fn context_json_65_deep_is_refused_naming_the_limit() {
    let env = Env::new();
    for depth in [65, 126, 1000] {
        let out = env
            .cmd(&["schedule", "--when", "1h", "--context-json", &nested(depth)])
            .failure(1);
        let line = out.error_line();
        assert!(line.contains("--context-json"), "{line}");
        assert!(
            line.contains(&format!(
                "nested {depth} levels deep (accepted: at most 64)"
            )),
            "{line}"
        );
        assert!(!env.store_exists(), "nothing written for depth {depth}");
    }
}

/// The command line cannot carry 8 MiB (the kernel's argv limit), so the size bound is
/// tried where it can be reached: over MCP.
#[test]
fn mcp_schedule_refuses_too_deep_and_too_large_values() {
    let env = Env::new();
    let huge = "x".repeat(9 << 20);
    let replies = mcp(
        &env,
        &[
            (
                "schedule",
                json!({"when": "1h", "context_json": nested(65)}),
            ),
            (
                "schedule",
                json!({"when": "1h", "summary": "big", "key_points": [huge]}),
            ),
            (
                "schedule",
                json!({"when": "1h", "context_json": nested(64), "id": "ok"}),
            ),
        ],
    );
    for (reply, says) in replies[..2].iter().zip([
        "nested 65 levels deep (accepted: at most 64)",
        "bytes of JSON (accepted: at most 8388608 bytes, 8 MiB)",
    ]) {
        assert_eq!(reply["result"]["isError"], true, "{reply}");
        let text = reply["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.starts_with("defer: ") && text.contains(says), "{text}");
    }
    assert_eq!(replies[2]["result"]["isError"], false, "{}", replies[2]);
    let ids: Vec<Value> = env.records().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, [json!("ok")], "only the bounded task is stored");
}

/// A completed record archived under March 2025.
fn completed(id: &str, day: u32) -> String {
    record_with(
        id,
        &[
            ("status", json!("completed")),
            ("completed_at", json!(format!("2025-03-{day:02}T10:00:00Z"))),
        ],
    )
}

#[test]
fn an_archive_month_missing_its_final_newline_gets_one_before_the_next_record() {
    let env = Env::new();
    env.write_store(format!("{}\n", completed("a", 4)));
    env.cmd(&["archive"]).success().assert_stderr_empty();
    let month = env.archive_dir().join("deferred_202503.jsonl");
    let text = std::fs::read_to_string(&month).unwrap();
    std::fs::write(&month, text.trim_end_matches('\n')).unwrap();

    env.write_store(format!("{}\n", completed("b", 5)));
    env.cmd(&["run"]).success().assert_stderr_empty();
    let lines = &env.archive_files()[0].1;
    assert_eq!(lines, &[completed("a", 4), completed("b", 5)]);
    let history = env.cmd(&["history", "--compact"]).success();
    history.assert_stderr_empty();
    let ids: Vec<Value> = history
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [json!("b"), json!("a")]);
    for id in ["a", "b"] {
        let shown = env.cmd(&["show", id, "--compact"]).success().json();
        assert_eq!(shown["status"], "completed", "{id}");
    }
}

/// `x` completed, archived and compacted away: only its month file knows it.
fn archived_x() -> Env {
    let env = Env::new();
    env.write_store(format!("{}\n", completed("x", 4)));
    env.cmd(&["archive"]).success();
    assert!(env.latest().is_empty(), "compacted away");
    env
}

#[test]
fn schedule_refuses_an_id_that_is_archived() {
    let env = archived_x();
    let archive = env.archive_files();
    let store = env.store_bytes();
    for extra in [&[][..], &["--dry-run"], &["--key", "k"]] {
        let mut args = vec![
            "schedule",
            "--when",
            "1h",
            "--summary",
            "again",
            "--id",
            "x",
        ];
        args.extend_from_slice(extra);
        let out = env.cmd(&args).failure(1);
        assert_eq!(
            out.error_line(),
            "defer: task id already exists: x (choose another --id)",
            "{extra:?}"
        );
    }
    assert_eq!(env.store_bytes(), store, "nothing written");
    assert_eq!(env.archive_files(), archive);
    let history = env.cmd(&["history", "--compact"]).success().json();
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["context"]["summary"], "x");
    let shown = env.cmd(&["show", "x", "--compact"]).success().json();
    assert_eq!(shown["status"], "completed");
}

#[test]
fn replace_refuses_an_archived_id_too() {
    let env = archived_x();
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "h",
        "--id",
        "h",
        "--key",
        "k",
    ])
    .success();
    let store = env.store_bytes();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "new",
            "--id",
            "x",
            "--key",
            "k",
            "--replace",
        ])
        .failure(1);
    assert_eq!(
        out.error_line(),
        "defer: task id already exists: x (choose another --id)"
    );
    assert_eq!(env.store_bytes(), store, "h is still the key holder");
}

#[test]
fn an_id_only_mentioned_in_the_archive_is_free() {
    let env = Env::new();
    let mention = record_with(
        "a",
        &[
            ("status", json!("completed")),
            ("completed_at", json!("2025-03-04T10:00:00Z")),
            ("parent_id", json!("y")),
            ("key", json!("y")),
        ],
    );
    env.write_store(format!("{mention}\n"));
    env.cmd(&["archive"]).success();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "y",
            "--id",
            "y",
            "--compact",
        ])
        .success();
    assert_eq!(out.json()["id"], "y");
}

/// `later` scheduled in 10 minutes, and the summary a full scan saved for it.
fn summarised() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    env.schedule("later", "not yet");
    env.cmd(&["run"]).success().assert_stderr_empty();
    let idx = env.runtime_dir().join("deferred.jsonl.idx");
    assert!(idx.exists(), "a full scan saves the summary");
    (env, idx)
}

#[test]
fn a_summary_entry_outside_the_store_is_not_trusted() {
    for corrupt in ["len", "offset"] {
        let (env, idx) = summarised();
        let text = std::fs::read_to_string(&idx).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut entry: Vec<String> = lines[1].split(' ').map(str::to_string).collect();
        assert_eq!(entry[..2], ["d", "scheduled"], "{text}");
        // The identity line is kept, so only the entry can say it is wrong: due at
        // 0 (now), and a length (or offset) far past the store.
        entry[2] = "0".into();
        match corrupt {
            "len" => entry[4] = "1000000000000000".into(),
            _ => entry[3] = "1000000000000000".into(),
        }
        let edited = [lines[0].to_string(), entry.join(" ")]
            .into_iter()
            .chain(lines[2..].iter().map(|l| l.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(&idx, &edited).unwrap();
        let store = env.store_bytes();
        env.cmd(&["run"]).success().assert_stderr_empty();
        assert_eq!(env.store_bytes(), store, "{corrupt}: later is not due");
        assert_eq!(env.task("later")["status"], "scheduled");
        let saved = std::fs::read_to_string(&idx).unwrap();
        assert_ne!(
            saved, edited,
            "{corrupt}: the full scan saved a fresh summary"
        );
        assert!(!saved.contains("1000000000000000"), "{saved}");
    }
}
