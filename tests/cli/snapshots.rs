//! What users and models read, recorded (insta snapshots under `tests/cli/snapshots/`):
//! every `--help`, every man page, the tables, `export` output and MCP `tools/list`. A
//! change to any of them shows up in review as a diff of these files. Ids, temp paths
//! and the binary's path are filtered; times come from a fake clock. To accept a change
//! on purpose: `INSTA_UPDATE=always cargo test --test cli snapshots`, then read the diff.

use serde_json::{json, Value};

use crate::support::{Env, BIN};

const NOW: &str = "2026-12-01 10:00:00";

/// Runs `check` with the filters every snapshot needs.
fn filtered(env: &Env, check: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(&regex_escape(&env.root().display().to_string()), "[TMP]");
    settings.add_filter(&regex_escape(BIN), "[BIN]");
    settings.add_filter(r"task_\d{8}_\d{6}_[0-9a-z]{12}", "[ID]");
    settings.add_filter(r"defer \d+\.\d+\.\d+", "defer [VERSION]");
    // The task JSON inside an export carries its created_at (a running fake clock).
    settings.add_filter(
        r"StandardInputData=\S+",
        "StandardInputData=[BASE64 TASK JSON]",
    );
    settings.add_filter(r#"(created_at\\?"\s*:\s*\\?")[0-9T:Z-]+"#, "${1}[CREATED]");
    settings.bind(check);
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The subcommands `defer --help` lists (without `help`).
fn commands(env: &Env) -> Vec<String> {
    let help = env.cmd(&["--help"]).success().stdout;
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help() {
    let env = Env::new();
    filtered(&env, || {
        insta::assert_snapshot!("help", env.cmd(&["--help"]).success().stdout);
        for command in commands(&env) {
            let out = env.cmd(&[&command, "--help"]).success().stdout;
            insta::assert_snapshot!(format!("help-{command}"), out);
        }
        for nested in [["mcp", "config"], ["skill", "install"], ["skill", "print"]] {
            let out = env.cmd(&[nested[0], nested[1], "--help"]).success().stdout;
            insta::assert_snapshot!(format!("help-{}-{}", nested[0], nested[1]), out);
        }
    });
}

#[test]
fn every_man_page() {
    let env = Env::new();
    filtered(&env, || {
        insta::assert_snapshot!("man", env.cmd(&["man"]).success().stdout);
        for command in commands(&env) {
            let out = env.cmd(&["man", &command]).success().stdout;
            insta::assert_snapshot!(format!("man-{command}"), out);
        }
    });
}

/// A store with a one-shot task, a keyed reminder, a series and a finished task, all
/// scheduled under the fake clock.
fn populated() -> Env {
    let env = Env::new();
    let at = |args: &[&str]| {
        env.at(NOW, args).success();
    };
    at(&[
        "schedule",
        "--when",
        "2026-12-01T15:00:00Z",
        "--summary",
        "Check the deploy of abc123 and report anything red",
        "--id",
        "deploy-check",
    ]);
    at(&[
        "schedule",
        "--when",
        "2026-12-02T14:00:00Z",
        "--summary",
        "Reminder: renew the TLS cert",
        "--key",
        "tls",
        "--intent",
        "notify",
        "--id",
        "tls-reminder",
    ]);
    at(&[
        "schedule",
        "--cron",
        "0 9 * * 1-5",
        "--summary",
        "Summarize yesterday's PRs",
        "--id",
        "daily-prs",
        "--when",
        "2026-12-01T14:00:00Z",
    ]);
    at(&[
        "schedule",
        "--when",
        "2026-12-01T09:00:00Z",
        "--summary",
        "Already due",
        "--id",
        "done-1",
    ]);
    at(&["run"]);
    env
}

#[test]
fn tables() {
    let env = populated();
    filtered(&env, || {
        let list = env.at(NOW, &["list", "--format", "table"]).success().stdout;
        insta::assert_snapshot!("list-table", list);
        let history = env
            .at(NOW, &["history", "--format", "table"])
            .success()
            .stdout;
        insta::assert_snapshot!("history-table", history);
        let when = env
            .at(NOW, &["when", "--cron", "0 9 * * 1-5", "--next", "3"])
            .success()
            .stdout;
        insta::assert_snapshot!("when-cron", when);
    });
}

#[test]
fn export_output() {
    let env = populated();
    filtered(&env, || {
        for format in ["systemd", "kubernetes"] {
            let out = env
                .at(NOW, &["export", "daily-prs", "--format", format])
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .success()
                .stdout;
            insta::assert_snapshot!(format!("export-{format}"), out);
        }
    });
}

#[test]
fn mcp_tools_list() {
    let env = Env::new();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}});
    let out = env
        .cmd(&["mcp"])
        .stdin(format!("{request}\n"))
        .success()
        .stdout;
    let reply: Value = serde_json::from_str(out.lines().next().expect("a reply")).unwrap();
    filtered(&env, || {
        insta::assert_json_snapshot!("mcp-tools-list", reply["result"]["tools"]);
    });
}
