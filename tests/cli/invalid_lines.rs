//! Invalid store lines are reported on one line, however many (SPEC §21): cron mails
//! every line `run` prints, every minute, and a model reads every MCP content block.

use serde_json::{json, Value};

use crate::support::{record_line, Env};

const WARNING: &str =
    "defer: warning: 5000 invalid store lines (first at line 2); see 'defer doctor'";

/// A store of one valid task (line 1) and 5,000 lines that are not records.
fn five_thousand_bad() -> Env {
    let env = Env::new();
    let later =
        record_line("later", "later").replace("2026-04-08T16:45:00Z", "2099-01-01T00:00:00Z");
    let bad: String = (0..5000).map(|i| format!("not a record {i}\n")).collect();
    env.write_store(format!("{later}\n{bad}"));
    env
}

#[test]
fn run_list_and_cancel_say_it_once() {
    let env = five_thousand_bad();
    for args in [&["run"][..], &["run"], &["list", "--compact"]] {
        let out = env.cmd(args).success();
        assert_eq!(out.stderr_lines(), [WARNING], "{args:?}");
    }
    let out = env.cmd(&["cancel", "later"]).success();
    assert_eq!(out.stderr_lines(), [WARNING]);
}

#[test]
fn an_mcp_result_carries_one_block_for_them() {
    let env = five_thousand_bad();
    let input = [
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
               "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "test", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "list", "arguments": {}}}),
    ]
    .map(|m| m.to_string())
    .join("\n");
    let out = env.cmd(&["mcp"]).stdin(input + "\n").success();
    let reply: Value = serde_json::from_str(out.stdout.lines().nth(1).unwrap()).unwrap();
    let content = reply["result"]["content"].as_array().unwrap();
    assert_eq!(
        content.len(),
        2,
        "the list and one warning: {}",
        content.len()
    );
    assert_eq!(content[1]["text"], WARNING);
}

#[test]
fn doctor_lists_them() {
    let env = five_thousand_bad();
    let out = env.cmd(&["doctor"]).run();
    let rows: Value = serde_json::from_str(&out.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "invalid_lines")
        .unwrap();
    let detail = row["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("5000 line(s) are not valid task records"),
        "{detail}"
    );
    assert!(detail.contains("lines 2, 3, 4,"), "{detail}");
}

#[test]
fn history_says_it_once_per_file() {
    let env = Env::new();
    env.write_store("store junk 1\nstore junk 2\n");
    let archive = env.archive_dir();
    std::fs::create_dir_all(&archive).unwrap();
    let month = archive.join("deferred_202503.jsonl");
    std::fs::write(&month, "{\"id\": 5}\nx\ny\n").unwrap();
    let out = env.cmd(&["history", "--compact"]).success();
    assert_eq!(
        out.stderr_lines(),
        [
            "defer: warning: 2 invalid store lines (first at line 1); see 'defer doctor'"
                .to_string(),
            format!(
                "defer: warning: {}: 3 invalid lines (first at line 1), skipped and kept as is",
                month.display()
            ),
        ]
    );
}
