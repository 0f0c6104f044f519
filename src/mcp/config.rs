//! `defer mcp config`: the text that registers this server with an MCP host. Pure:
//! finding the binary and the settings is the CLI's job.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::policy::Policy;
use crate::task::ClosedSet;

/// The host formats `defer mcp config --client` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// `{"mcpServers": {"defer": ...}}`: Claude Desktop, Cursor, Windsurf, ...
    Json,
    /// A `claude mcp add` command line (Claude Code).
    Claude,
    /// A `[mcp_servers.defer]` table for `~/.codex/config.toml`.
    Codex,
}

impl ClosedSet for Client {
    const ALL: &'static [Self] = &[Client::Json, Client::Claude, Client::Codex];
    fn name(self) -> &'static str {
        match self {
            Client::Json => "json",
            Client::Claude => "claude",
            Client::Codex => "codex",
        }
    }
}

/// The registration for `client`: `bin mcp` with `settings` (name, value) as its env;
/// `bin mcp --allow-commands` only when `policy` allows commands.
pub fn registration(
    client: Client,
    bin: &Path,
    settings: &[(String, String)],
    policy: Policy,
) -> String {
    let bin = bin.display().to_string();
    let mut args = vec!["mcp"];
    if policy.allow_commands {
        args.push("--allow-commands");
    }
    match client {
        Client::Json => {
            let env: Map<String, Value> = settings
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            let config = json!({"mcpServers": {"defer": {
                "command": bin, "args": args, "env": env,
            }}});
            serde_json::to_string_pretty(&config).expect("a JSON value serializes")
        }
        Client::Claude => {
            let mut words = vec!["claude", "mcp", "add", "--scope", "user", "defer"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            for (name, value) in settings {
                words.push("-e".into());
                words.push(shell_quote(&format!("{name}={value}")));
            }
            words.extend(["--".into(), shell_quote(&bin)]);
            words.extend(args.iter().map(|arg| arg.to_string()));
            words.join(" ")
        }
        Client::Codex => {
            let args: Vec<String> = args.iter().map(|arg| toml_string(arg)).collect();
            let mut toml = format!(
                "[mcp_servers.defer]\ncommand = {}\nargs = [{}]\n",
                toml_string(&bin),
                args.join(", ")
            );
            if !settings.is_empty() {
                toml.push_str("\n[mcp_servers.defer.env]\n");
                for (name, value) in settings {
                    toml.push_str(&format!("{} = {}\n", toml_key(name), toml_string(value)));
                }
            }
            toml.trim_end().to_string()
        }
    }
}

/// A word for `sh`: plain words stay bare, others are single-quoted.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:,=@%".contains(&b));
    match plain {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

/// A TOML key: bare when it can be, else quoted.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match bare {
        true => name.to_string(),
        false => toml_string(name),
    }
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if crate::text::is_unsafe(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOSED: Policy = Policy {
        allow_commands: false,
    };

    fn settings() -> Vec<(String, String)> {
        vec![
            ("DEFER_RUNTIME_DIR".into(), "/data/my runtime".into()),
            ("DEFER_TIMEZONE".into(), "Europe/Berlin".into()),
        ]
    }

    #[test]
    fn json_is_an_mcp_servers_object() {
        let text = registration(Client::Json, Path::new("/opt/defer"), &settings(), CLOSED);
        let value: Value = serde_json::from_str(&text).unwrap();
        let server = &value["mcpServers"]["defer"];
        assert_eq!(server["command"], "/opt/defer");
        assert_eq!(server["args"], json!(["mcp"]));
        assert_eq!(server["env"]["DEFER_RUNTIME_DIR"], "/data/my runtime");
        let bare = registration(Client::Json, Path::new("/opt/defer"), &[], CLOSED);
        assert_eq!(
            serde_json::from_str::<Value>(&bare).unwrap()["mcpServers"]["defer"]["env"],
            json!({})
        );
    }

    #[test]
    fn claude_is_a_quoted_command_line() {
        let text = registration(
            Client::Claude,
            Path::new("/opt/it's/defer"),
            &settings(),
            CLOSED,
        );
        assert_eq!(
            text,
            "claude mcp add --scope user defer -e 'DEFER_RUNTIME_DIR=/data/my runtime' \
             -e DEFER_TIMEZONE=Europe/Berlin -- '/opt/it'\\''s/defer' mcp"
        );
    }

    #[test]
    fn codex_is_a_toml_table_with_escaped_strings() {
        let mut settings = settings();
        settings.push(("DEFER_EXECUTOR".into(), "C:\\x \"q\"".into()));
        let text = registration(Client::Codex, Path::new("/opt/defer"), &settings, CLOSED);
        assert!(
            text.starts_with("[mcp_servers.defer]\ncommand = \"/opt/defer\"\nargs = [\"mcp\"]\n")
        );
        assert!(
            text.contains("\n[mcp_servers.defer.env]\nDEFER_RUNTIME_DIR = \"/data/my runtime\"\n")
        );
        assert!(text.contains("DEFER_EXECUTOR = \"C:\\\\x \\\"q\\\"\""));
        assert!(!registration(Client::Codex, Path::new("/d"), &[], CLOSED).contains("env"));
    }

    #[test]
    fn allow_commands_is_added_only_when_asked() {
        let open = Policy {
            allow_commands: true,
        };
        let bin = Path::new("/opt/defer");
        let json: Value =
            serde_json::from_str(&registration(Client::Json, bin, &[], open)).unwrap();
        assert_eq!(
            json["mcpServers"]["defer"]["args"],
            json!(["mcp", "--allow-commands"])
        );
        let claude = registration(Client::Claude, bin, &[], open);
        assert!(
            claude.ends_with("-- /opt/defer mcp --allow-commands"),
            "{claude}"
        );
        let codex = registration(Client::Codex, bin, &[], open);
        assert!(
            codex.contains("args = [\"mcp\", \"--allow-commands\"]"),
            "{codex}"
        );
        for client in [Client::Json, Client::Claude, Client::Codex] {
            assert!(!registration(client, bin, &[], CLOSED).contains("allow-commands"));
        }
    }
}
