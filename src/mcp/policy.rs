//! What a model may do through the server that a person at the CLI may: no program for
//! cron to run unless `defer mcp --allow-commands`, and what the tool list says of it.

use serde_json::{json, Value};

use super::arguments::Arguments;

/// The server's start-up choices about what its callers may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// `defer mcp --allow-commands`: `schedule` accepts `command`.
    pub allow_commands: bool,
}

/// The one line a refused `command` gets.
pub const COMMAND_REFUSED: &str = "argument 'command' is refused: this server may not \
install programs for cron to run; to allow it, start the server with \
'defer mcp --allow-commands' (see 'defer mcp config --allow-commands')";

/// What the `command` argument's description says, by policy.
const COMMAND_OFF: &str = "A program (and its arguments) to run instead of the configured \
executor. Refused by this server: it was not started with `defer mcp --allow-commands`";
const COMMAND_ON: &str = "A program (and its arguments) cron will run instead of the \
configured executor (no shell; a bare name is looked up on PATH at run time), with the \
same contract. Allowed because the server was started with `defer mcp --allow-commands`";
const REORIENT: &str = "Start from a CONTEXT.md snapshot (see the reorient rules). Over \
MCP only a file named CONTEXT.md under ~/data/research is read (after resolving `..` and \
symlinks); any other file is refused";
const PROJECT: &str = "The project whose ~/data/research/projects/<project>/CONTEXT.md \
reorient reads";
const CONTEXT_FILE: &str = "The CONTEXT.md reorient reads. Over MCP it must be a file named \
CONTEXT.md under ~/data/research (after resolving `..` and symlinks); any other path is \
refused";
const REPLACE: &str = "With key: cancel the live task holding exactly that key (reason \
\"replaced by <new id>\") and store this one instead, in one write. No other task is \
touched; without key it is an error";

impl Policy {
    /// Why this call of `tool` is refused, as the one line the caller gets; `None`
    /// when it may run.
    pub fn refusal(&self, tool: &str, arguments: &Arguments) -> Option<&'static str> {
        // Any `command` argument, even `[]`: one rule is easier to state and to test.
        let command = tool == "schedule" && arguments.given("command");
        (command && !self.allow_commands).then_some(COMMAND_REFUSED)
    }

    /// True when `tool` can reach beyond defer's own files: `schedule` with commands
    /// allowed installs a program that cron runs.
    pub fn open_world(&self, tool: &str) -> bool {
        tool == "schedule" && self.allow_commands
    }

    /// `tool`'s input schema with the descriptions that say what this server allows.
    pub fn describe(&self, tool: &str, input: &mut Value) {
        if tool != "schedule" {
            return;
        }
        let command = match self.allow_commands {
            true => COMMAND_ON,
            false => COMMAND_OFF,
        };
        for (name, text) in [
            ("command", command),
            ("reorient", REORIENT),
            ("project", PROJECT),
            ("context_file", CONTEXT_FILE),
            ("replace", REPLACE),
        ] {
            if let Some(property) = input["properties"].get_mut(name) {
                property["description"] = json!(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::schema::{Kind, Property};

    fn properties() -> Vec<Property> {
        ["when", "summary", "dry_run", "command"]
            .into_iter()
            .map(|name| Property {
                name: name.into(),
                kind: match name {
                    "dry_run" => Kind::Flag,
                    "command" => Kind::List,
                    _ => Kind::Text,
                },
                long: None,
                required: false,
                default: None,
                schema: json!({}),
            })
            .collect()
    }

    #[test]
    fn a_command_needs_the_flag_and_nothing_else_is_refused() {
        let props = properties();
        let args =
            |value: Value| Arguments::check(&props, value.as_object().unwrap().clone()).unwrap();
        let with = args(json!({"when": "1h", "summary": "s", "command": ["id"]}));
        let dry = args(json!({"when": "1h", "summary": "s", "dry_run": true, "command": ["id"]}));
        let without = args(json!({"when": "1h", "summary": "s"}));
        let empty = args(json!({"when": "1h", "summary": "s", "command": []}));
        let closed = Policy::default();
        let open = Policy {
            allow_commands: true,
        };
        assert_eq!(closed.refusal("schedule", &with), Some(COMMAND_REFUSED));
        assert_eq!(closed.refusal("schedule", &dry), Some(COMMAND_REFUSED));
        assert_eq!(closed.refusal("schedule", &without), None);
        assert_eq!(closed.refusal("schedule", &empty), Some(COMMAND_REFUSED));
        assert_eq!(open.refusal("schedule", &with), None);
        assert!(open.open_world("schedule") && !closed.open_world("schedule"));
        assert!(!open.open_world("list"));
    }

    #[test]
    fn descriptions_follow_the_policy() {
        let mut input = json!({"properties": {"command": {"description": "x"},
            "context_file": {}, "replace": {}}});
        Policy::default().describe("schedule", &mut input);
        let text = input["properties"]["command"]["description"]
            .as_str()
            .unwrap();
        assert!(text.contains("Refused"), "{text}");
        assert!(input["properties"]["context_file"]["description"]
            .as_str()
            .unwrap()
            .contains("under ~/data/research"));
        assert!(input["properties"]["replace"]["description"]
            .as_str()
            .unwrap()
            .contains("exactly that key"));
        Policy {
            allow_commands: true,
        }
        .describe("schedule", &mut input);
        let text = input["properties"]["command"]["description"]
            .as_str()
            .unwrap();
        assert!(text.contains("Allowed"), "{text}");
    }
}
