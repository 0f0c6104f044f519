//! `defer mcp` on the wire: raw JSON-RPC lines through pipes to the real binary (SPEC
//! §16). The official Python SDK drives it end to end in tests/mcp/test_sdk.py.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{json, Value};

use crate::support::{Env, Output, BIN};

const LATEST: &str = "2025-11-25";
const STATELESS: &str = "2026-07-28";

pub(crate) fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

pub(crate) fn call(id: u64, tool: &str, arguments: Value) -> String {
    request(
        id,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
}

pub(crate) fn initialize() -> String {
    request(
        0,
        "initialize",
        json!({"protocolVersion": LATEST, "capabilities": {},
               "clientInfo": {"name": "test", "version": "1"}}),
    )
}

const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

/// Feeds `input` to `defer mcp`; every stdout line must be a JSON-RPC response.
fn serve_raw(env: &Env, input: impl Into<Vec<u8>>) -> (Vec<Value>, Output) {
    let out = env.cmd(&["mcp"]).stdin(input).run();
    assert_eq!(out.status, 0, "stderr: {}", out.stderr);
    let replies = out
        .stdout
        .lines()
        .map(|line| {
            let reply: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            assert_eq!(reply["jsonrpc"], "2.0", "{line}");
            assert!(reply.get("result").is_some() != reply.get("error").is_some());
            reply
        })
        .collect();
    (replies, out)
}

fn serve(env: &Env, lines: &[String]) -> (Vec<Value>, Output) {
    serve_raw(env, lines.join("\n") + "\n")
}

fn error_code(reply: &Value) -> i64 {
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {reply}"))
}

#[test]
fn handshake_then_tools_and_notifications_get_no_reply() {
    let env = Env::new();
    let (replies, out) = serve(
        &env,
        &[
            initialize(),
            INITIALIZED.to_string(),
            request(1, "tools/list", json!({})),
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#
                .to_string(),
            request(2, "ping", json!({})),
        ],
    );
    assert_eq!(replies.len(), 3, "{}", out.stdout);
    assert_eq!(replies[0]["result"]["protocolVersion"], LATEST);
    assert_eq!(
        replies[0]["result"]["capabilities"]["tools"],
        json!({"listChanged": false})
    );
    let names: Vec<&str> = replies[1]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in ["schedule", "list", "show", "cancel", "when"] {
        assert!(names.contains(&name), "{name} missing: {names:?}");
    }
    assert_eq!(replies[2], json!({"jsonrpc": "2.0", "id": 2, "result": {}}));
    out.assert_stderr_empty();
}

#[test]
fn bad_messages_get_errors_and_the_server_keeps_serving() {
    let env = Env::new();
    let (replies, out) = serve(
        &env,
        &[
            "{not json".to_string(),
            "[]".to_string(),
            r#"{"jsonrpc":"2.0","id":1}"#.to_string(),
            request(2, "resources/read", json!({})),
            call(3, "no_such_tool", json!({})),
            call(4, "schedule", json!({"when": ["10m"], "summary": "s"})),
            call(5, "schedule", json!({"when": "1h", "bogus": true})),
            call(6, "show", json!({"include_prompt": true})),
            request(7, "tools/call", json!({"name": "list", "arguments": []})),
            request(8, "ping", json!({})),
        ],
    );
    let summary: Vec<(Value, i64)> = replies
        .iter()
        .map(|r| (r["id"].clone(), r["error"]["code"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Value::Null, -32700),
            (Value::Null, -32600),
            (json!(1), -32600),
            (json!(2), -32601),
            (json!(3), -32602),
            (json!(4), -32602),
            (json!(5), -32602),
            // show takes id or key: neither is the CLI's one-line error, not a bad call.
            (json!(6), 0),
            (json!(7), -32602),
            (json!(8), 0),
        ]
    );
    assert!(replies[4]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown tool 'no_such_tool'"));
    assert!(!env.store_exists(), "nothing written");
    out.assert_stderr_empty();
}

#[test]
fn a_tool_call_before_initialize_is_answered() {
    // The stateless revision has no handshake at all; a handshake-era client that skips
    // it gets the latest handshake version's behaviour rather than an error.
    let env = Env::new();
    let (replies, _) = serve(
        &env,
        &[call(
            1,
            "schedule",
            json!({"when": "1h", "summary": "early", "id": "early"}),
        )],
    );
    assert_eq!(replies[0]["result"]["isError"], false, "{}", replies[0]);
    assert_eq!(replies[0]["result"]["structuredContent"]["id"], "early");
    assert_eq!(env.records().len(), 1);
}

#[test]
fn stateless_requests_without_handshake_and_unsupported_versions() {
    let env = Env::new();
    let meta = |version: &str| {
        json!({"_meta": {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
        }})
    };
    let mut list = meta(STATELESS);
    list["name"] = json!("list");
    let (replies, _) = serve(
        &env,
        &[
            request(1, "server/discover", meta(STATELESS)),
            request(2, "tools/call", list),
            request(3, "tools/list", meta("2099-01-01")),
        ],
    );
    let discover = &replies[0]["result"];
    assert_eq!(
        discover["supportedVersions"],
        json!(["2024-11-05", "2025-03-26", "2025-06-18", LATEST, STATELESS])
    );
    assert_eq!(discover["resultType"], "complete");
    assert_eq!(
        discover["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "defer"
    );
    assert_eq!(
        replies[1]["result"]["structuredContent"],
        json!({"tasks": []})
    );
    assert_eq!(replies[1]["result"]["resultType"], "complete");
    assert_eq!(error_code(&replies[2]), -32022);
    assert_eq!(
        replies[2]["error"]["data"]["supported"],
        discover["supportedVersions"]
    );
}

#[test]
fn older_clients_get_their_version_and_no_structured_content() {
    let env = Env::new();
    let init = request(
        0,
        "initialize",
        json!({"protocolVersion": "2024-11-05", "capabilities": {}}),
    );
    let (replies, _) = serve(
        &env,
        &[
            init,
            call(1, "when", json!({"expression": "2030-01-01T00:00:00Z"})),
        ],
    );
    assert_eq!(replies[0]["result"]["protocolVersion"], "2024-11-05");
    let result = &replies[1]["result"];
    assert!(result.get("structuredContent").is_none(), "{result}");
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["utc"], "2030-01-01T00:00:00Z");
}

#[test]
fn a_one_megabyte_argument_is_stored_whole() {
    let env = Env::new();
    let big = "x".repeat(1 << 20);
    let (replies, _) = serve(
        &env,
        &[
            initialize(),
            call(
                1,
                "schedule",
                json!({"when": "1h", "summary": "big", "key_points": [big]}),
            ),
        ],
    );
    assert_eq!(replies[1]["result"]["isError"], false);
    let records = env.records();
    assert_eq!(
        records[0]["context"]["key_points"][0]
            .as_str()
            .unwrap()
            .len(),
        1 << 20
    );
}

#[test]
fn end_of_input_mid_message_is_a_parse_error_and_exit_0() {
    let env = Env::new();
    let input = format!(
        "{}\n{}",
        request(1, "ping", json!({})),
        r#"{"jsonrpc":"2.0","id":2,"meth"#
    );
    let (replies, _) = serve_raw(&env, input);
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["result"], json!({}));
    assert_eq!(error_code(&replies[1]), -32700);
    assert_eq!(replies[1]["id"], Value::Null);
    // A whole last message without its newline is still answered.
    let (replies, _) = serve_raw(&env, request(3, "ping", json!({})));
    assert_eq!(replies[0]["id"], 3);
    // No input at all: nothing to say, exit 0.
    let (replies, _) = serve_raw(&env, "");
    assert!(replies.is_empty());
}

#[test]
fn cli_errors_are_is_error_results_and_warnings_stay_on_stderr() {
    let env = Env::new();
    let schedule = json!({"when": "1h", "summary": "once", "key": "k"});
    let (replies, out) = serve(
        &env,
        &[
            initialize(),
            call(1, "schedule", schedule.clone()),
            call(2, "schedule", schedule),
            call(
                3,
                "schedule",
                json!({"when": "1h", "summary": "s", "max_retries": -1}),
            ),
            call(4, "cancel", json!({"key": "nobody"})),
            call(5, "cancel", json!({"key": "k", "id": "other"})),
            call(6, "list", json!({"all": true, "statuses": ["scheduled"]})),
        ],
    );
    let first = &replies[1]["result"]["structuredContent"];
    assert_eq!(replies[2]["result"]["structuredContent"]["id"], first["id"]);
    assert!(
        out.stderr.contains("a task with key 'k' already exists"),
        "the key warning goes to stderr: {}",
        out.stderr
    );
    let said: Vec<&str> = replies[2]["result"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        said.iter()
            .any(|line| line.starts_with("defer: warning: a task with key 'k' already exists")),
        "and to the model, as a text block after the JSON: {said:?}"
    );
    let cli = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--max-retries",
            "-1",
        ])
        .failure(1);
    let text = |i: usize| {
        assert_eq!(replies[i]["result"]["isError"], true, "{}", replies[i]);
        replies[i]["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(text(3), cli.error_line());
    assert_eq!(
        text(4),
        "defer: no live task has key 'nobody' (finished ones are in history)"
    );
    assert_eq!(text(5), "defer: give id or key, not both");
    assert!(text(6).starts_with("defer: the argument"), "{}", text(6));
    assert_eq!(env.records().len(), 1);
}

#[test]
fn two_servers_and_a_runner_on_one_store_lose_nothing() {
    const PER_SERVER: usize = 30;
    let env = Env::new();
    let input = |prefix: &str, when: &str| {
        let mut lines = vec![initialize()];
        lines.extend((0..PER_SERVER).map(|n| {
            let id = format!("{prefix}{n:02}");
            call(
                n as u64 + 1,
                "schedule",
                json!({"when": when, "summary": id, "id": id}),
            )
        }));
        lines.join("\n") + "\n"
    };
    let (due, later) = (input("due", "now"), input("later", "10m"));
    let (due_replies, later_replies) = std::thread::scope(|scope| {
        let a = scope.spawn(|| serve_raw(&env, due.clone()).0);
        let b = scope.spawn(|| serve_raw(&env, later.clone()).0);
        // The runner claims and finishes due tasks while both servers append.
        let mut runs = 0;
        while runs < 2 || !(a.is_finished() && b.is_finished()) {
            env.cmd(&["run"]).success();
            runs += 1;
        }
        (a.join().unwrap(), b.join().unwrap())
    });
    for replies in [&due_replies, &later_replies] {
        assert_eq!(replies.len(), PER_SERVER + 1);
        assert!(replies[1..].iter().all(|r| r["result"]["isError"] == false));
    }
    env.cmd(&["run"]).success();
    let later: Vec<String> = env
        .list_all()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..PER_SERVER).map(|n| format!("later{n:02}")).collect();
    assert_eq!(later, expected, "the later tasks, each once, in order");
    for n in 0..PER_SERVER {
        let shown = env.cmd(&["show", &format!("due{n:02}")]).success().json();
        assert_eq!(shown["status"], "completed", "due{n:02}");
    }
    let lines = env.store_lines();
    let unique: HashSet<&String> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len(), "no duplicated line");
}

#[test]
fn config_prints_the_registration_for_each_host() {
    let env = Env::new();
    let bin = Path::new(BIN).canonicalize().unwrap();
    let runtime = env.runtime_dir().display().to_string();
    let json_out = env.cmd(&["mcp", "config"]).success().json();
    let server = &json_out["mcpServers"]["defer"];
    assert_eq!(server["command"], bin.display().to_string());
    assert_eq!(server["args"], json!(["mcp"]));
    assert_eq!(server["env"]["DEFER_RUNTIME_DIR"], runtime);
    assert_eq!(server["env"]["DEFER_TIMEZONE"], crate::support::TIMEZONE);
    assert!(server["env"].get("PATH").is_none() && server["env"].get("HOME").is_none());
    let claude = env.cmd(&["mcp", "config", "--client", "claude"]).success();
    assert!(claude
        .stdout
        .starts_with("claude mcp add --scope user defer -e "));
    assert!(claude
        .stdout
        .trim_end()
        .ends_with(&format!("-- {} mcp", bin.display())));
    let codex = env.cmd(&["mcp", "config", "--client", "codex"]).success();
    assert!(codex.stdout.starts_with("[mcp_servers.defer]\ncommand = "));
    assert!(codex
        .stdout
        .contains(&format!("DEFER_RUNTIME_DIR = \"{runtime}\"")));
    let bad = env.cmd(&["mcp", "config", "--client", "vim"]).failure(1);
    assert_eq!(
        bad.error_line(),
        "defer: invalid --client 'vim' (accepted: json, claude, codex)"
    );
    assert!(!env.store_exists());
}

#[test]
fn options_added_to_the_cli_reach_the_tool_unchanged() {
    // `-- CMD ARG...` is an array named as the record's field; a duration is a string
    // for the CLI's parser; both store what the CLI stores.
    let env = Env::new();
    let args = json!({"when": "1h", "summary": "s", "id": "via-mcp", "max_retries": 1,
                      "retry_delay": "90s", "command": ["echo", "-n", "hi there"]});
    // `command` needs a server started with --allow-commands (mcp_security.rs).
    let input = [initialize(), call(1, "schedule", args)].join("\n") + "\n";
    let out = env.cmd(&["mcp", "--allow-commands"]).stdin(input).success();
    let reply: Value = serde_json::from_str(out.stdout.lines().nth(1).unwrap()).unwrap();
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "s",
        "--id",
        "via-cli",
        "--max-retries",
        "1",
        "--retry-delay",
        "90s",
        "--",
        "echo",
        "-n",
        "hi there",
    ])
    .success();
    let records = env.records();
    let strip = |r: &Value| {
        let mut r = r.clone();
        for field in ["id", "created_at", "run_at"] {
            r.as_object_mut().unwrap().remove(field);
        }
        r
    };
    assert_eq!(strip(&records[0]), strip(&records[1]));
    assert_eq!(
        records[0]["execution"]["command"],
        json!(["echo", "-n", "hi there"])
    );
}

#[test]
fn an_error_with_control_characters_is_the_cli_line_escaped() {
    let env = Env::new();
    let hostile = "soon\u{1b}[2J\nrm -rf";
    let (replies, _) = serve(
        &env,
        &[call(
            1,
            "schedule",
            json!({"when": hostile, "summary": "s"}),
        )],
    );
    let cli = env
        .cmd(&["schedule", "--when", hostile, "--summary", "s"])
        .failure(1);
    let text = replies[0]["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(replies[0]["result"]["isError"], true);
    assert_eq!(text, cli.error_line());
    assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text}");
}

/// While serving, file descriptor 1 is the server's stderr: whatever a command might
/// print lands there, and protocol messages go out on their own copy of stdout.
#[cfg(target_os = "linux")]
#[test]
fn while_serving_fd_1_points_at_stderr() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let env = Env::new();
    let stderr_file = env.root().join("server-stderr");
    let mut child = env
        .cmd(&["mcp"])
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", request(1, "ping", json!({}))).unwrap();
    let mut reply = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut reply)
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&reply).unwrap()["id"], 1);
    let fd = |n: u32| std::fs::read_link(format!("/proc/{}/fd/{n}", child.id())).unwrap();
    assert_eq!(fd(1), stderr_file);
    assert_eq!(fd(2), stderr_file);
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn when_next_is_bounded_and_the_server_survives_a_huge_one() {
    let env = Env::new();
    let (replies, _) = serve(
        &env,
        &[
            initialize(),
            request(1, "tools/list", json!({})),
            call(2, "when", json!({"every": "1m", "next": 4_000_000_000u64})),
            call(3, "when", json!({"every": "1m", "next": 3})),
        ],
    );
    let tools = replies[1]["result"]["tools"].as_array().unwrap();
    let when = tools.iter().find(|t| t["name"] == "when").unwrap();
    assert_eq!(when["inputSchema"]["properties"]["next"]["maximum"], 1000);
    let refused = &replies[2]["result"];
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("'4000000000'") && text.contains("from 1 to 1000"),
        "{text}"
    );
    let fires = &replies[3]["result"]["structuredContent"]["fires"];
    assert_eq!(fires.as_array().unwrap().len(), 3, "{}", replies[3]);
}
