//! The tools: what a model reads about each, their annotations and output shapes; a
//! call becomes an argv for the CLI's own parser and runs the CLI's own command code.

use chrono::Utc;
use clap::Parser;
use serde_json::{json, Map, Value};

use super::protocol::{code, RpcError, Version};
use super::schema::{self, Shape};
use crate::cli::{self, Cli, Ctx};
use crate::config::Env;
use crate::task::{AuraLevel, ClosedSet, Intent, Mode, Status};

/// What a tool's result object looks like.
#[derive(Debug, Clone, Copy)]
pub enum Output {
    /// One task record.
    Task,
    /// The CLI's array wrapped in an object under this key: `{"tasks": [...]}` for
    /// list (and history), `{"checks": [...]}` for doctor.
    Wrapped(&'static str),
    /// `defer when`'s preview; its array of fires (`--every`/`--cron`) is wrapped as
    /// `{"fires": [...]}`.
    Preview,
}

/// One tool.
pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub shape: Shape,
    /// readOnlyHint, destructiveHint, idempotentHint.
    pub hints: (bool, bool, bool),
    pub output: Output,
}

const SCHEDULE: &str = "Store a task to run later; cron hands due tasks to a fresh run. \
Use it when the user asks to be reminded or to continue later (\"::defer 2h ...\", \
\"remind me tomorrow\"), or when the next step must wait for something slow (a build, a \
review, a cooldown). Do not defer what you can finish now, and never store secrets (the \
store is a plain file). The future run sees only this snapshot, not this conversation: \
summary = one line naming the next concrete step; key_points = 3-7 facts it needs; \
artifacts = absolute paths, URLs, ids it will open; constraints = rules it must follow; \
prompt_template = the instruction for the run (default: the summary). Pass a key when you \
might retry: if a live task has it, that task is returned and nothing is stored. `when` \
takes 10m, 2h, in 2 hours, tomorrow 9am, next friday 14:00, 2026-12-01 09:00 or an ISO \
instant (no zone suffixes); check one with the `when` tool. For recurring work give every \
(15m, 1d) or cron ('0 9 * * 1-5') instead of, or with, when (the first occurrence). Tell \
the user the id and the local time it runs.";

const LIST: &str = "List pending tasks as {\"tasks\": [...]}: scheduled and executing by \
default. Narrow with statuses, intents, due (waiting to run now), before/after (time \
expressions). Finished tasks leave this list: look one up with `show`.";

const SHOW: &str = "One task's latest record by id, from the active store or an archive. \
include_prompt adds the prompt file written when it ran; include_output adds the \
executor's full output (each as a second text block).";

const CANCEL: &str = "Cancel a scheduled task, by id or by the key it was scheduled with. \
Only scheduled tasks can be cancelled; otherwise the error names the current status. \
reason is kept in the record.";

const WHEN: &str = "Preview what a time expression means, storing nothing: the instant in \
UTC, local time, the zone, how far away it is, and whether it is in the past. Use it to \
confirm a time before `schedule` and to tell the user a task's run_at in their local time. \
With every (a fixed interval) or cron (a cron expression) instead of expression, the next \
`next` fires of that recurrence, as {\"fires\": [...]}.";

const HISTORY: &str = "Finished tasks (completed, failed, cancelled, ...) from the store \
and the archives, newest first, as {\"tasks\": [...]}: what `list` no longer shows. Narrow \
with since (a duration ago such as 2h, or a past time such as yesterday), statuses, \
intents, key, series and limit. Report a failure to the user with the task id and its \
error text.";

const DOCTOR: &str = "Check that deferred tasks will actually run, as {\"checks\": [...]}: \
settings, file permissions, the store's invalid lines, orphaned and overdue tasks, whether \
cron runs `defer run` (the heartbeat), the executor. Each check has a status (ok, warn, \
fail), a detail and, when something is wrong, a fix to tell the user. Use it when tasks \
do not run, or once after setting defer up.";

/// Every tool. A new CLI command becomes a tool with one entry here and one arm in
/// `cli::command_value`.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "schedule",
        title: "Schedule a task",
        description: SCHEDULE,
        shape: Shape {
            command: "schedule",
            renames: &[],
            hidden: &[],
        },
        hints: (false, false, false),
        output: Output::Task,
    },
    Tool {
        name: "list",
        title: "List tasks",
        description: LIST,
        shape: Shape {
            command: "list",
            renames: &[],
            hidden: &[],
        },
        hints: (true, false, true),
        output: Output::Wrapped("tasks"),
    },
    Tool {
        name: "show",
        title: "Show a task",
        description: SHOW,
        shape: Shape {
            command: "show",
            renames: &[("prompt", "include_prompt"), ("output", "include_output")],
            // Streaming and the lineage array do not fit one record per call.
            hidden: &["follow", "chain"],
        },
        hints: (true, false, true),
        output: Output::Task,
    },
    Tool {
        name: "cancel",
        title: "Cancel a task",
        description: CANCEL,
        shape: Shape {
            command: "cancel",
            renames: &[],
            hidden: &[],
        },
        hints: (false, true, true),
        output: Output::Task,
    },
    Tool {
        name: "when",
        title: "Preview a time",
        description: WHEN,
        shape: Shape {
            command: "when",
            renames: &[("expr", "expression")],
            hidden: &[],
        },
        hints: (true, false, true),
        output: Output::Preview,
    },
    Tool {
        name: "history",
        title: "Finished tasks",
        description: HISTORY,
        shape: Shape {
            command: "history",
            renames: &[],
            hidden: &[],
        },
        hints: (true, false, true),
        output: Output::Wrapped("tasks"),
    },
    Tool {
        name: "doctor",
        title: "Check defer's health",
        description: DOCTOR,
        shape: Shape {
            command: "doctor",
            renames: &[],
            hidden: &[],
        },
        hints: (true, false, true),
        output: Output::Wrapped("checks"),
    },
];

/// The `tools/list` entries, with what `version` knows: annotations since 2025-03-26,
/// titles and output schemas since 2025-06-18.
pub fn list(version: Version) -> Vec<Value> {
    TOOLS
        .iter()
        .map(|tool| {
            let properties = schema::properties(&tool.shape);
            let mut input = schema::input_schema(&properties, &[]);
            if matches!(tool.name, "cancel" | "show") {
                input["description"] = json!("Give id or key.");
            }
            let mut entry = json!({
                "name": tool.name,
                "description": tool.description,
                "inputSchema": input,
            });
            let (read_only, destructive, idempotent) = tool.hints;
            if version.at_least("2025-03-26") {
                entry["annotations"] = json!({
                    "title": tool.title,
                    "readOnlyHint": read_only,
                    "destructiveHint": destructive,
                    "idempotentHint": idempotent,
                    "openWorldHint": false,
                });
            }
            if version.at_least("2025-06-18") {
                entry["title"] = json!(tool.title);
                entry["outputSchema"] = output_schema(tool.output);
            }
            entry
        })
        .collect()
}

/// Runs a tool. Bad argument types and unknown tools are protocol errors; everything
/// the CLI would reject is an `isError` result carrying the CLI's one-line message.
pub fn call(
    name: &str,
    arguments: Map<String, Value>,
    env: &Env,
    version: Version,
) -> Result<Value, RpcError> {
    let Some(tool) = TOOLS.iter().find(|tool| tool.name == name) else {
        let names: Vec<&str> = TOOLS.iter().map(|tool| tool.name).collect();
        return Err(RpcError::new(
            code::INVALID_PARAMS,
            format!("unknown tool '{name}' (tools: {})", names.join(", ")),
        ));
    };
    let invalid =
        |e: schema::BadArguments| RpcError::new(code::INVALID_PARAMS, format!("{name}: {}", e.0));
    let ctx = Ctx::new(
        env.clone(),
        crate::timestamp::Timestamp::new(Utc::now()).at(),
    );
    let properties = schema::properties(&tool.shape);
    let argv = schema::argv(&tool.shape, &properties, &arguments).map_err(invalid)?;
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(err) => return Ok(failure(&clap_message(&err, &argv))),
    };
    // A bug in one command must not take the server (and the host's session) down.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cli::command_value(&ctx, cli.command)
    }));
    match ran {
        Ok(Ok(done)) => Ok(success(tool.output, done, version)),
        Ok(Err(err)) => Ok(failure(&format!("{err:#}"))),
        Err(_) => Ok(failure(&format!("internal error in {name} (see stderr)"))),
    }
}

/// What the CLI says about a bad argv, on one line.
fn clap_message(err: &clap::Error, argv: &[String]) -> String {
    let argv: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
    if let Some(message) = cli::bad_value_message(err, &argv) {
        return message;
    }
    let rendered = err.render().to_string();
    let head = rendered.split("\n\n").next().unwrap_or(&rendered);
    let head = head.strip_prefix("error: ").unwrap_or(head);
    head.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn success(output: Output, done: cli::CommandValue, version: Version) -> Value {
    let cli::CommandValue {
        text,
        value,
        file,
        said,
    } = done;
    let mut content = vec![json!({"type": "text", "text": text})];
    if let Some(file) = file {
        content.push(json!({"type": "text", "text": file}));
    }
    // What the CLI would say on stderr (a held key, no runner): the model should see it.
    content.extend(
        said.into_iter()
            .map(|line| json!({"type": "text", "text": line})),
    );
    let mut result = json!({"content": content, "isError": false});
    if version.at_least("2025-06-18") {
        result["structuredContent"] = match output {
            Output::Wrapped(key) => json!({ key: value }),
            Output::Preview if value.is_array() => json!({ "fires": value }),
            Output::Task | Output::Preview => value,
        };
    }
    result
}

/// An error result: the line the CLI prints on stderr (`defer: ...`, control
/// characters escaped).
fn failure(message: &str) -> Value {
    let line = format!("defer: {}", crate::text::escape_control(message));
    json!({"content": [{"type": "text", "text": line}], "isError": true})
}

fn names<T: ClosedSet>() -> Value {
    json!(T::names())
}

fn task_schema() -> Value {
    let strings = json!({"type": "array", "items": {"type": "string"}});
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "created_at": {"type": "string", "description": "UTC, YYYY-MM-DDTHH:MM:SSZ"},
            "run_at": {"type": "string", "description": "when it is due, UTC"},
            "type": {"type": "string"},
            "intent": {"type": "string", "enum": names::<Intent>()},
            "context": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string"},
                    "key_points": strings,
                    "artifacts": strings,
                    "constraints": strings,
                },
            },
            "execution": {
                "type": "object",
                "properties": {
                    "mode": {"type": "string", "enum": names::<Mode>()},
                    "prompt_template": {"type": "string"},
                    "aura_level": {"type": "string", "enum": names::<AuraLevel>()},
                },
            },
            "status": {"type": "string", "enum": names::<Status>()},
            "attempts": {"type": "integer"},
            "max_retries": {"type": "integer"},
        },
        "required": ["id", "run_at", "intent", "context", "execution", "status"],
    })
}

fn output_schema(output: Output) -> Value {
    match output {
        Output::Task => task_schema(),
        Output::Wrapped(key) => {
            let items = match key {
                "tasks" => task_schema(),
                "checks" => json!({
                    "type": "object",
                    "properties": {
                        "check": {"type": "string"},
                        "status": {"type": "string", "enum": ["ok", "warn", "fail"]},
                        "detail": {"type": "string"},
                        "fix": {"type": ["string", "null"]},
                    },
                    "required": ["check", "status", "detail"],
                }),
                _ => json!({"type": "object"}),
            };
            json!({
                "type": "object",
                "properties": { key: {"type": "array", "items": items} },
                "required": [key],
            })
        }
        Output::Preview => {
            let preview = json!({
                "type": "object",
                "properties": {
                    "input": {"type": "string"},
                    "utc": {"type": "string"},
                    "local": {"type": "string"},
                    "timezone": {"type": "string"},
                    "relative": {"type": "string"},
                    "in_past": {"type": "boolean"},
                },
                "required": ["input", "utc", "local", "timezone", "relative", "in_past"],
            });
            let fires = json!({
                "type": "object",
                "properties": {"fires": {"type": "array", "items": preview}},
                "required": ["fires"],
            });
            json!({"type": "object", "anyOf": [preview, fires]})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATEST: Version = Version {
        name: "2025-11-25",
        stateless: false,
    };

    fn env() -> Env {
        Env::from_pairs([("DEFER_TIMEZONE", "UTC")])
    }

    #[test]
    fn tools_have_the_spec_names_and_hints() {
        let tools = list(LATEST);
        let find = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap().clone();
        let hints = |name: &str| {
            let a = &find(name)["annotations"];
            (a["readOnlyHint"].clone(), a["destructiveHint"].clone())
        };
        assert_eq!(hints("schedule"), (json!(false), json!(false)));
        assert_eq!(hints("cancel"), (json!(false), json!(true)));
        for name in ["list", "show", "when", "history", "doctor"] {
            assert_eq!(hints(name).0, json!(true), "{name}");
        }
        let show = find("show")["inputSchema"]["properties"].clone();
        assert!(show.get("include_prompt").is_some() && show.get("include_output").is_some());
        assert!(show.get("id").is_some() && show.get("key").is_some());
        let cancel = find("cancel")["inputSchema"]["properties"].clone();
        assert!(cancel.get("id").is_some() && cancel.get("key").is_some());
        let when = find("when")["inputSchema"]["properties"].clone();
        for name in ["expression", "every", "cron", "next"] {
            assert!(when.get(name).is_some(), "when: {name} missing");
        }
        let list = find("list")["inputSchema"]["properties"].clone();
        assert!(list.get("format").is_none() && list.get("compact").is_none());
        assert_eq!(list["statuses"]["items"]["enum"], names::<Status>());
    }

    #[test]
    fn older_versions_get_fewer_fields() {
        let old = list(Version {
            name: "2024-11-05",
            stateless: false,
        });
        assert!(old[0].get("annotations").is_none() && old[0].get("outputSchema").is_none());
        assert!(list(LATEST)[0].get("outputSchema").is_some());
    }

    #[test]
    fn a_bad_value_is_the_cli_message_and_a_bad_type_a_protocol_error() {
        let call = |args: Value| call("when", args.as_object().unwrap().clone(), &env(), LATEST);
        let bad = call(json!({"expression": "yesterday-ish"})).unwrap();
        assert_eq!(bad["isError"], true);
        let text = bad["content"][0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("defer: invalid --when 'yesterday-ish'"),
            "{text}"
        );
        let good = call(json!({"expression": "2030-01-01T00:00:00Z"})).unwrap();
        assert_eq!(good["isError"], false);
        assert_eq!(good["structuredContent"]["utc"], "2030-01-01T00:00:00Z");
        let wrong = call(json!({"expression": ["2h"]})).unwrap_err();
        assert_eq!(wrong.code, code::INVALID_PARAMS);
        let err = super::call("nope", Map::new(), &env(), LATEST).unwrap_err();
        assert_eq!(err.code, code::INVALID_PARAMS);
    }
}
