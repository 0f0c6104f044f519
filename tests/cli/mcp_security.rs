//! What a model may do through `defer mcp` (SPEC §21, docs/security.md): no program for
//! cron unless the server was started with `--allow-commands`, reorient reads only a
//! CONTEXT.md under ~/data/research, and `show` reads files through the checked opens.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::{Env, Output};

fn call(id: u64, tool: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": arguments}})
    .to_string()
}

fn list_tools(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"}).to_string()
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#;

/// `defer mcp <flags>` fed `lines` after the handshake; the replies by id (0 is the
/// handshake's).
fn serve(env: &Env, flags: &[&str], lines: &[String]) -> (Vec<Value>, Output) {
    let mut argv = vec!["mcp"];
    argv.extend_from_slice(flags);
    let input = std::iter::once(INITIALIZE.to_string())
        .chain(lines.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let out = env.cmd(&argv).stdin(input).run();
    assert_eq!(out.status, 0, "stderr: {}", out.stderr);
    let replies = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON-RPC line"))
        .collect();
    (replies, out)
}

fn is_error(reply: &Value) -> bool {
    reply["result"]["isError"] == json!(true)
}

fn first_text(reply: &Value) -> String {
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {reply}"))
        .to_string()
}

fn schedule_tool(reply: &Value) -> Value {
    reply["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "schedule")
        .unwrap()
        .clone()
}

#[test]
fn a_command_is_refused_unless_the_server_allows_commands() {
    let env = Env::new();
    let with_command = json!({"when": "1h", "summary": "s", "command": ["touch", "/tmp/x"]});
    let mut dry = with_command.clone();
    dry["dry_run"] = json!(true);
    let (replies, _) = serve(
        &env,
        &[],
        &[
            call(1, "schedule", with_command.clone()),
            call(2, "schedule", dry),
            list_tools(3),
        ],
    );
    for reply in &replies[1..3] {
        assert!(is_error(reply), "{reply}");
        let text = first_text(reply);
        assert!(
            text.starts_with("defer: argument 'command' is refused")
                && text.contains("defer mcp --allow-commands")
                && !text.contains('\n'),
            "{text}"
        );
    }
    assert!(
        !env.store_exists() || env.records().is_empty(),
        "nothing stored"
    );
    let tool = schedule_tool(&replies[3]);
    assert_eq!(tool["annotations"]["openWorldHint"], false);
    let says = |name: &str| {
        tool["inputSchema"]["properties"][name]["description"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(says("command").contains("Refused"), "{}", says("command"));
    assert!(says("replace").contains("exactly that key"));

    let (replies, _) = serve(
        &env,
        &["--allow-commands"],
        &[call(1, "schedule", with_command), list_tools(2)],
    );
    assert!(!is_error(&replies[1]), "{}", replies[1]);
    assert_eq!(
        env.records()[0]["execution"]["command"],
        json!(["touch", "/tmp/x"])
    );
    let tool = schedule_tool(&replies[2]);
    assert_eq!(tool["annotations"]["openWorldHint"], true);
    assert!(tool["inputSchema"]["properties"]["command"]["description"]
        .as_str()
        .unwrap()
        .contains("Allowed"));
}

#[test]
fn mcp_config_adds_allow_commands_only_when_asked() {
    let env = Env::new();
    let plain = env.cmd(&["mcp", "config"]).success().json();
    assert_eq!(plain["mcpServers"]["defer"]["args"], json!(["mcp"]));
    let open = env
        .cmd(&["mcp", "config", "--allow-commands"])
        .success()
        .json();
    assert_eq!(
        open["mcpServers"]["defer"]["args"],
        json!(["mcp", "--allow-commands"])
    );
    let before = env
        .cmd(&["mcp", "--allow-commands", "config"])
        .success()
        .json();
    assert_eq!(before, open, "the flag before or after config");
    let claude = env
        .cmd(&["mcp", "config", "--client", "claude", "--allow-commands"])
        .success();
    assert!(claude.stdout.trim_end().ends_with(" mcp --allow-commands"));
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn reorient_over_mcp_reads_only_context_md_under_research() {
    let env = Env::new();
    let home = env.home();
    let research = home.join("data/research");
    write(
        &research.join("projects/good/CONTEXT.md"),
        "# Orientation\n- the good project\n",
    );
    let secret = home.join("app/.env");
    write(&secret, "API_KEY=sk-live-123\n");
    let outside = home.join("elsewhere/CONTEXT.md");
    write(&outside, "API_KEY=sk-live-456\n");
    std::os::unix::fs::symlink(home.join("elsewhere"), research.join("projects/linked")).unwrap();
    std::os::unix::fs::symlink(&secret, research.join("projects/good/shortcut.md")).unwrap();
    let reorient = |id: u64, extra: Value| {
        let mut args = json!({"when": "1h", "reorient": true, "dry_run": true});
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        call(id, "schedule", args)
    };
    let escape = format!("{}/data/research/../elsewhere/CONTEXT.md", home.display());
    let (replies, out) = serve(
        &env,
        &[],
        &[
            reorient(1, json!({"context_file": secret.display().to_string()})),
            reorient(2, json!({"context_file": "/etc/passwd"})),
            reorient(3, json!({"context_file": escape})),
            reorient(4, json!({"project": "linked"})),
            reorient(
                5,
                json!({"context_file": research.join("projects/good/shortcut.md")}),
            ),
            reorient(6, json!({"project": "good"})),
            reorient(
                7,
                json!({"context_file": "~/data/research/projects/good/CONTEXT.md"}),
            ),
            list_tools(8),
        ],
    );
    for reply in &replies[1..6] {
        assert!(is_error(reply), "{reply}");
        let text = first_text(reply);
        assert!(
            text.contains("refused: over MCP, reorient reads only a file named CONTEXT.md under")
                && !text.contains("sk-live"),
            "{text}"
        );
    }
    assert!(!out.stdout.contains("sk-live") && !out.stderr.contains("sk-live"));
    for reply in &replies[6..8] {
        assert!(!is_error(reply), "{reply}");
        assert_eq!(
            reply["result"]["structuredContent"]["context"]["summary"],
            "the good project"
        );
    }
    let tool = schedule_tool(&replies[8]);
    for name in ["reorient", "context_file"] {
        let text = tool["inputSchema"]["properties"][name]["description"]
            .as_str()
            .unwrap();
        assert!(text.contains("CONTEXT.md under ~/data/research"), "{text}");
    }
    assert!(
        !env.store_exists() || env.records().is_empty(),
        "dry runs store nothing"
    );
    // The CLI keeps reading what its user names.
    let cli = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--reorient",
            "--dry-run",
            "--context-file",
            &secret.display().to_string(),
        ])
        .success()
        .json();
    assert_eq!(cli["context"]["summary"], "API_KEY=sk-live-123");
}

#[test]
fn show_over_mcp_reads_a_bounded_tail_and_never_blocks_on_a_fifo() {
    let env = Env::new();
    env.schedule("big", "s");
    env.schedule("fifo", "s");
    env.schedule("link", "s");
    let logs = env.log_dir();
    std::fs::create_dir_all(&logs).unwrap();
    let text: String = (0..20_000).map(|i| format!("line {i:05}\n")).collect();
    std::fs::write(logs.join("big.output.txt"), &text).unwrap();
    let fifo = logs.join("fifo.output.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path in the test's own temp dir, with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let secret = env.root().join("secret.txt");
    std::fs::write(&secret, "sk-live-secret\n").unwrap();
    std::os::unix::fs::symlink(&secret, logs.join("link.output.txt")).unwrap();
    let show = |id: u64, task: &str| call(id, "show", json!({"id": task, "include_output": true}));
    let input = std::iter::once(INITIALIZE.to_string())
        .chain([show(1, "fifo"), show(2, "link"), show(3, "big")])
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let out = env
        .cmd(&["mcp"])
        .stdin(input)
        .timeout(std::time::Duration::from_secs(20))
        .success();
    let replies: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(replies.len(), 4, "every request answered: {}", out.stdout);
    for reply in &replies[1..3] {
        assert!(is_error(reply), "{reply}");
        assert!(!reply.to_string().contains("sk-live"), "{reply}");
    }
    let big = &replies[3]["result"];
    assert_eq!(big["isError"], false, "{big}");
    let blocks = big["content"].as_array().unwrap();
    let shown = blocks[1]["text"].as_str().unwrap();
    assert_eq!(shown.len(), 64 * 1024);
    assert!(text.ends_with(shown));
    let note = blocks[2]["text"].as_str().unwrap();
    assert!(
        note.contains(&format!("the file has {} bytes", text.len()))
            && note.contains("defer show big --output"),
        "{note}"
    );
}
