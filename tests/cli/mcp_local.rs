//! MCP for people and models (SPEC §21): task objects carry `run_at_local` and
//! `due_in`, a key hit says `stored: false`, `pause`/`resume`/`reschedule` by id or key,
//! schemas in argument names with every bound and default, and `doctor` saying whose
//! environment it checked. Raw JSON-RPC through pipes to the real binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};

use crate::mcp::{call, initialize, request};
use crate::support::Env;

const NOW: &str = "2026-12-06 00:30:00";

/// Serves `lines` with the clock at `NOW`; the replies, by request.
fn session(env: &Env, lines: &[String]) -> Vec<Value> {
    let mut input = vec![initialize()];
    input.extend_from_slice(lines);
    let out = env
        .cmd(&["mcp"])
        .at(NOW)
        .stdin(input.join("\n") + "\n")
        .run();
    assert_eq!(out.status, 0, "stderr: {}", out.stderr);
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .skip(1)
        .collect()
}

fn result(reply: &Value) -> &Value {
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    &reply["result"]["structuredContent"]
}

fn error_text(reply: &Value) -> String {
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The text block parsed: the same JSON as `structuredContent`.
fn text_json(reply: &Value) -> Value {
    serde_json::from_str(reply["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

#[test]
fn task_objects_carry_local_time_and_due_in_and_the_cli_keeps_utc() {
    let env = Env::new();
    // A daily series in Berlin, scheduled from the CLI under the same clock.
    env.at(
        NOW,
        &[
            "schedule",
            "--cron",
            "0 9 * * *",
            "--summary",
            "standup",
            "--id",
            "daily",
        ],
    )
    .env("DEFER_TIMEZONE", "Europe/Berlin")
    .success();
    let replies = session(
        &env,
        &[
            // 09:00 in the server's zone (America/New_York): 14:00Z.
            call(
                1,
                "schedule",
                json!({"when": "2026-12-07 09:00", "summary": "s", "id": "t1"}),
            ),
            call(2, "list", json!({})),
            call(3, "show", json!({"id": "t1"})),
            call(4, "cancel", json!({"id": "t1"})),
            call(5, "history", json!({})),
        ],
    );
    let scheduled = result(&replies[0]);
    assert_eq!(scheduled["run_at"], "2026-12-07T14:00:00Z");
    assert_eq!(scheduled["run_at_local"], "2026-12-07T09:00:00-05:00");
    assert_eq!(scheduled["due_in"], "in 1d 13h");
    assert_eq!(
        &text_json(&replies[0]),
        scheduled,
        "the text is the same JSON"
    );
    let keys: Vec<&String> = scheduled.as_object().unwrap().keys().collect();
    let at = keys.iter().position(|k| *k == "run_at").unwrap();
    assert_eq!(keys[at + 1..at + 3], ["run_at_local", "due_in"]);

    // list: by run_at; the series occurrence in its own zone (Berlin: 09:00+01:00).
    let tasks = result(&replies[1])["tasks"].as_array().unwrap().clone();
    let ids: Vec<&str> = tasks.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["daily", "t1"]);
    assert_eq!(tasks[0]["run_at"], "2026-12-06T08:00:00Z");
    assert_eq!(tasks[0]["run_at_local"], "2026-12-06T09:00:00+01:00");
    assert_eq!(tasks[0]["due_in"], "in 7h 30m");
    for reply in [&replies[2], &replies[3]] {
        assert_eq!(result(reply)["run_at_local"], "2026-12-07T09:00:00-05:00");
    }
    let finished = &result(&replies[4])["tasks"][0];
    assert_eq!(finished["id"], "t1");
    assert_eq!(finished["due_in"], "in 1d 13h");

    // Stored records and the CLI's JSON: UTC only.
    for record in env.records() {
        assert!(record.get("run_at_local").is_none() && record.get("due_in").is_none());
    }
    let shown = env.cmd(&["show", "t1", "--compact"]).success().stdout;
    assert!(
        !shown.contains("run_at_local") && !shown.contains("due_in"),
        "{shown}"
    );
    assert!(!shown.contains("stored"), "{shown}");
}

#[test]
fn a_key_hit_says_stored_false_and_names_the_replace_argument() {
    let env = Env::new();
    let args = json!({"when": "1h", "summary": "once", "key": "k"});
    let replies = session(
        &env,
        &[
            call(1, "schedule", args.clone()),
            call(2, "schedule", args),
            call(
                3,
                "schedule",
                json!({"when": "1h", "summary": "p", "dry_run": true}),
            ),
            call(
                4,
                "schedule",
                json!({"when": "1h", "summary": "r", "key": "k", "replace": true}),
            ),
            call(
                5,
                "schedule",
                json!({"when": "1h", "summary": "b", "backoff": "exponential"}),
            ),
        ],
    );
    assert_eq!(result(&replies[0])["stored"], true);
    assert_eq!(result(&replies[1])["stored"], false);
    assert_eq!(result(&replies[1])["id"], result(&replies[0])["id"]);
    assert_eq!(text_json(&replies[1])["stored"], false);
    assert_eq!(
        result(&replies[2])["stored"],
        false,
        "a dry run stores nothing"
    );
    assert_eq!(
        result(&replies[3])["stored"],
        true,
        "a replacement is stored"
    );
    let said: Vec<&str> = replies[1]["result"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        said.iter()
            .any(|l| l.ends_with("nothing to store (replace replaces it)")),
        "{said:?}"
    );
    let said = replies[4]["result"]["content"][1]["text"].as_str().unwrap();
    assert_eq!(
        said,
        "defer: warning: retry_delay and backoff only matter with max_retries 1 or more"
    );
    // The CLI still speaks in flags.
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "again",
            "--key",
            "k",
        ])
        .success();
    assert!(
        out.stderr
            .contains("nothing to store (--replace replaces it)"),
        "{}",
        out.stderr
    );
}

#[test]
fn pause_resume_and_reschedule_by_id_or_key() {
    let env = Env::new();
    env.at(
        NOW,
        &[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--id",
            "t1",
            "--key",
            "k",
        ],
    )
    .success();
    let replies = session(
        &env,
        &[
            call(1, "pause", json!({"key": "k"})),
            call(
                2,
                "reschedule",
                json!({"id": "t1", "when": "2026-12-08 10:00"}),
            ),
            call(3, "resume", json!({"key": "k"})),
            call(4, "resume", json!({"id": "t1"})),
            call(5, "pause", json!({})),
            call(6, "pause", json!({"id": "t1", "key": "k"})),
            call(7, "reschedule", json!({"key": "nobody", "when": "1h"})),
            request(8, "tools/list", json!({})),
        ],
    );
    assert_eq!(result(&replies[0])["status"], "paused");
    let moved = result(&replies[1]);
    assert_eq!(moved["status"], "paused");
    assert_eq!(moved["run_at"], "2026-12-08T15:00:00Z");
    assert_eq!(moved["run_at_local"], "2026-12-08T10:00:00-05:00");
    assert_eq!(moved["rescheduled_from"], "2026-12-06T01:30:00Z");
    assert_eq!(result(&replies[2])["status"], "scheduled");
    let cli = env
        .cmd(&["resume", "t1"])
        .failure(1)
        .error_line()
        .to_string();
    assert_eq!(error_text(&replies[3]), cli, "the CLI's message");
    assert_eq!(
        error_text(&replies[4]),
        "defer: give id or key: which task? (see the list tool)"
    );
    assert_eq!(error_text(&replies[5]), "defer: give id or key, not both");
    assert_eq!(
        error_text(&replies[6]),
        "defer: no live task has key 'nobody' (finished ones are in history)"
    );
    let record = env.task("t1");
    assert_eq!(record["status"], "scheduled");
    assert_eq!(record["run_at"], "2026-12-08T15:00:00Z");

    let tools = replies[7]["result"]["tools"].as_array().unwrap();
    let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap();
    for (name, idempotent) in [("pause", true), ("resume", true), ("reschedule", false)] {
        let t = tool(name);
        let hints = &t["annotations"];
        assert_eq!(hints["readOnlyHint"], false, "{name}");
        assert_eq!(hints["destructiveHint"], false, "{name}");
        assert_eq!(hints["idempotentHint"], idempotent, "{name}");
        let props = &t["inputSchema"]["properties"];
        assert!(
            props.get("id").is_some() && props.get("key").is_some(),
            "{name}"
        );
        let required = t["inputSchema"]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!required.contains(&json!("id")), "{name}: id or key");
    }
    assert_eq!(
        tool("reschedule")["inputSchema"]["required"],
        json!(["when"])
    );
}

#[test]
fn schemas_speak_in_argument_names_with_every_bound_and_default() {
    let env = Env::new();
    let replies = session(&env, &[request(1, "tools/list", json!({}))]);
    let tools = replies[0]["result"]["tools"].as_array().unwrap();
    // A tool's own options go by their argument names; the one command line a model
    // may be told about is how the user starts the server (`defer mcp --allow-commands`).
    let flag = |text: &str| {
        let text = text.replace("defer mcp --allow-commands", "");
        text.match_indices("--")
            .any(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()))
    };
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        let description = tool["description"].as_str().unwrap();
        assert!(!flag(description), "{name}: {description}");
        for (prop, schema) in tool["inputSchema"]["properties"].as_object().unwrap() {
            let text = schema["description"].as_str().unwrap_or_default();
            assert!(!flag(text), "{name}.{prop}: {text}");
            assert!(!text.contains("unquoted"), "{name}.{prop}: {text}");
        }
    }
    let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap();
    let props = |name: &str| tool(name)["inputSchema"]["properties"].clone();
    let schedule = props("schedule");
    assert_eq!(schedule["count"]["minimum"], 1);
    assert_eq!(schedule["max_retries"]["minimum"], 0);
    assert_eq!(schedule["max_retries"]["default"], 0);
    assert_eq!(schedule["backoff"]["default"], "fixed");
    assert_eq!(schedule["pause_after"]["default"], 5);
    assert_eq!(props("when")["next"]["minimum"], 1);
    assert_eq!(props("when")["next"]["default"], 5);
    assert_eq!(props("history")["limit"]["minimum"], 1);
    assert_eq!(props("history")["limit"]["default"], 50);
    assert!(props("list").get("key").is_some());

    let record = &tool("show")["outputSchema"]["properties"];
    for field in [
        "run_at_local",
        "due_in",
        "key",
        "series",
        "error",
        "last_error",
        "result",
        "history",
        "late_by_seconds",
        "missed_at",
        "cancel_reason",
        "rescheduled_from",
        "parent_id",
    ] {
        assert!(record.get(field).is_some(), "output schema lacks {field}");
    }
    assert!(tool("schedule")["outputSchema"]["properties"]
        .get("stored")
        .is_some());
    let tasks = &tool("list")["outputSchema"]["properties"]["tasks"]["items"]["properties"];
    assert!(tasks.get("series").is_some() && tasks.get("due_in").is_some());

    let cancel = tool("cancel")["description"].as_str().unwrap();
    assert!(cancel.contains("scheduled or paused"), "{cancel}");
    let history = tool("history")["description"].as_str().unwrap();
    assert!(
        history.contains("failed") && history.contains("[\"failed\", \"missed\"]"),
        "{history}"
    );
}

/// A fake `crontab` on PATH that prints `text` for `-l`.
fn fake_crontab(env: &Env, text: &str) -> String {
    let bin = env.root().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let file = env.root().join("crontab.txt");
    fs::write(&file, text).unwrap();
    let script = bin.join("crontab");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = -l ] && exec /bin/cat '{}'\nexit 2\n",
            file.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    bin.display().to_string()
}

#[test]
fn doctor_over_mcp_says_whose_environment_it_checked() {
    let env = Env::new();
    let exec = env.write_executor("exec", "cat");
    let exec = exec.to_str().unwrap();
    let doctor = |path: &str, executor: Option<&str>| {
        let mut cmd = env.cmd(&["mcp"]).env("PATH", path);
        if let Some(executor) = executor {
            cmd = cmd.env("DEFER_EXECUTOR", executor);
        }
        let input = [initialize(), call(1, "doctor", json!({}))].join("\n") + "\n";
        let out = cmd.stdin(input).run();
        let reply: Value = serde_json::from_str(out.stdout.lines().nth(1).unwrap()).unwrap();
        result(&reply)["checks"][0].clone()
    };
    // The crontab line `defer cron` prints with the executor set.
    let line = env
        .cmd(&["cron"])
        .env("DEFER_EXECUTOR", exec)
        .success()
        .stdout;
    let path = fake_crontab(&env, &line);
    let same = doctor(&path, Some(exec));
    assert_eq!(same["check"], "mcp_server");
    assert_eq!(same["status"], "ok", "{same}");
    let detail = same["detail"].as_str().unwrap();
    assert!(
        detail.contains("this MCP server's own environment"),
        "{detail}"
    );

    // The host started the server without the executor cron has.
    let differs = doctor(&path, None);
    assert_eq!(differs["status"], "warn", "{differs}");
    let detail = differs["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("executor {exec} for cron")),
        "{detail}"
    );

    // A crontab line for another runtime dir.
    let other = env
        .cmd(&["cron"])
        .env(
            "DEFER_RUNTIME_DIR",
            env.root().join("elsewhere").display().to_string(),
        )
        .success()
        .stdout;
    let path = fake_crontab(&env, &other);
    let differs = doctor(&path, None);
    assert_eq!(differs["status"], "warn", "{differs}");
    assert!(
        differs["detail"].as_str().unwrap().contains("elsewhere"),
        "{differs}"
    );

    // The CLI checks its own shell's environment: no such row.
    let rows = env
        .cmd(&["doctor", "--compact"])
        .env("PATH", &path)
        .run()
        .json();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["check"] != "mcp_server"));
}
