//! The tools: what a model reads about each, their annotations and output shapes; a
//! call's arguments are checked against the catalog and run by the tool's code in
//! `calls` (one `ops` operation each).

use std::cell::RefCell;
use std::rc::Rc;

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::arguments::{Arguments, BadArguments};
use super::calls::{self, Call};
use super::output::{failure, output_schema, success, Output};
use super::policy::Policy;
use super::protocol::{code, RpcError, Version};
use super::schema::{self, Catalog, Property, Shape};
use crate::config::Env;
use crate::ops::{Ctx, Front, Warning};

/// One tool.
pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub shape: Shape,
    /// readOnlyHint, destructiveHint, idempotentHint.
    pub hints: (bool, bool, bool),
    pub output: Output,
    /// The tool's code: its arguments → an operation → the value returned.
    pub call: Call,
    /// Whether the call checks every setting first (`when` checks only the zone it
    /// uses; `doctor` reports bad settings instead of refusing).
    pub settings: bool,
}

const SCHEDULE: &str = "Store a task to run later; cron hands due tasks to a fresh run. \
Use it when the user asks to be reminded or to continue later (\"::defer 2h ...\", \
\"remind me tomorrow\"), or when the next step must wait for something slow (a build, a \
review, a cooldown). Do not defer what you can finish now, and never store secrets (the \
store is a plain file). The future run sees only this snapshot, not this conversation: \
summary = one line naming the next concrete step; key_points = 3-7 facts it needs; \
artifacts = absolute paths, URLs, ids it will open; constraints = rules it must follow; \
prompt_template = the instruction for the run (default: the summary). Pass a key when you \
might retry: if a live task has it, that task is returned with stored: false and nothing \
is stored (replace: true swaps it for this one). `when` takes 10m, 2h, in 2 hours, \
tomorrow 9am, next friday 14:00, 2026-12-01 09:00 or an ISO instant (no zone suffixes); \
check one with the `when` tool. For recurring work give every (15m, 1d) or cron \
('0 9 * * 1-5') instead of, or with, when (the first occurrence). The result is the \
stored record (UTC) plus run_at_local (the run time in the task's zone, with its offset), \
due_in and stored. Tell the user the id and run_at_local.";

const LIST: &str = "List pending tasks as {\"tasks\": [...]}, ordered by run_at then id: \
scheduled, executing, paused and waiting (for an answer) by default. Narrow with statuses, intents, key, due \
(waiting to run now), before/after (time expressions). Each task carries run_at_local \
and due_in beside run_at (UTC). Finished tasks leave this list: see `history`, or look \
one up with `show`.";

const SHOW: &str = "One task's latest record by id, from the active store or an archive, \
with run_at_local and due_in. include_prompt adds the prompt file written when it ran; \
include_output adds the executor's full output (each as a second text block).";

const CANCEL: &str = "Cancel a scheduled, paused or waiting task, by id or by the key it was \
scheduled with. A task in any other status cannot be cancelled; the error names its \
status. reason is kept in the record (cancel_reason). On an occurrence of a recurring \
series this ends the series; occurrence: true skips only that occurrence.";

const PAUSE: &str = "Pause a scheduled task, by id or by its key: the runner skips it \
until `resume`. Only a scheduled task can be paused; the error names any other status.";

const RESUME: &str = "Resume a paused task, by id or by its key. It runs at its run_at, \
at once if that has passed.";

const RESCHEDULE: &str = "Give a scheduled or paused task a new run time, by id or by its \
key. when takes a time expression, as for `schedule`. The record keeps the old time as \
rescheduled_from; a paused task stays paused.";

const WHEN: &str = "Preview what a time expression means, storing nothing: the instant in \
UTC, local time, the zone, how far away it is, and whether it is in the past. Use it to \
confirm a time before `schedule` and to tell the user a task's run_at in their local time. \
With every (a fixed interval) or cron (a cron expression) instead of expression, the next \
`next` fires of that recurrence, as {\"fires\": [...]}.";

const HISTORY: &str = "Finished tasks (completed, failed, missed, cancelled) from the \
store and the archives, newest first, as {\"tasks\": [...]}: what `list` no longer shows. \
Failures are of two kinds: failed (the run failed) and missed (it never ran: too late \
under its missed policy); to find them pass statuses: [\"failed\", \"missed\"]. Narrow \
with since (a duration ago such as 2h, or a past time such as yesterday), statuses, \
intents, key, series and limit. Report a failure to the user with the task id and its \
error text.";

const ANSWER: &str = "Answer a task that waits for input (status waiting: its executor \
asked a question, in the task's question field), by id (the task's, or its series' id) or \
by key, with text. The task runs again at once (at the runner's next minute) with the \
text in its prompt's Answer: section and in context.answers. Only a waiting task can be \
answered; list with statuses: [\"waiting\"] shows them.";

const STATS: &str = "Expected fires against actual runs, one row per series (and one for \
the one-shot tasks), as {\"rows\": [...]}: fires expected in the window, ran on time, \
late, missed by reason (late, overlap, budget, waiting), failed, duplicates (must be 0), \
the cost executors reported and the median duration. since takes a duration ago (7d, \
default) or a past time; narrow with series or key. Changes nothing.";

const DOCTOR: &str = "Check that deferred tasks will actually run, as {\"checks\": [...]}: \
settings, file permissions, the store's invalid lines, orphaned and overdue tasks, whether \
cron runs `defer run` (the heartbeat), the executor. Each check has a status (ok, warn, \
fail), a detail and, when something is wrong, a fix to tell the user. The checks read this \
server's own environment (what the host started it with), which may not be cron's: the \
first check, mcp_server, says so and warns when the crontab line's runtime dir or \
executor differs. Use it when tasks do not run, or once after setting defer up.";

/// Every tool. An operation becomes a tool with one entry here (its CLI command's
/// arguments are its properties) and one function in `calls`.
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
        call: calls::schedule,
        settings: true,
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
        call: calls::list,
        settings: true,
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
        call: calls::show,
        settings: true,
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
        call: calls::cancel,
        settings: true,
    },
    Tool {
        name: "pause",
        title: "Pause a task",
        description: PAUSE,
        shape: Shape {
            command: "pause",
            renames: &[],
            hidden: &[],
        },
        hints: (false, false, true),
        output: Output::Task,
        call: calls::pause,
        settings: true,
    },
    Tool {
        name: "resume",
        title: "Resume a paused task",
        description: RESUME,
        shape: Shape {
            command: "resume",
            renames: &[],
            hidden: &[],
        },
        hints: (false, false, true),
        output: Output::Task,
        call: calls::resume,
        settings: true,
    },
    Tool {
        name: "reschedule",
        title: "Reschedule a task",
        description: RESCHEDULE,
        shape: Shape {
            command: "reschedule",
            renames: &[],
            hidden: &[],
        },
        // A relative time (2h) moves the task again on every call.
        hints: (false, false, false),
        output: Output::Task,
        call: calls::reschedule,
        settings: true,
    },
    Tool {
        name: "answer",
        title: "Answer a waiting task",
        description: ANSWER,
        shape: Shape {
            command: "answer",
            renames: &[],
            hidden: &[],
        },
        hints: (false, false, false),
        output: Output::Task,
        call: calls::answer,
        settings: true,
    },
    Tool {
        name: "stats",
        title: "Fires against runs",
        description: STATS,
        shape: Shape {
            command: "stats",
            renames: &[],
            // A table is for people; the tool returns rows.
            hidden: &["format"],
        },
        hints: (true, false, true),
        output: Output::Wrapped("rows"),
        call: calls::stats,
        settings: true,
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
        call: calls::when,
        settings: false,
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
        call: calls::history,
        settings: true,
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
        call: calls::doctor,
        settings: false,
    },
];

/// The `tools/list` entries, with what `version` knows: annotations since 2025-03-26,
/// titles and output schemas since 2025-06-18; `policy` decides what `schedule` says.
pub fn list(version: Version, policy: Policy, catalog: &Catalog) -> Vec<Value> {
    TOOLS
        .iter()
        .map(|tool| {
            let mut input = schema::input_schema(&properties(tool, catalog), &[]);
            if tool.name == "answer" {
                input["description"] = json!("Give id or key, and text.");
            }
            if by_id_or_key(tool) {
                input["description"] = json!("Give id or key.");
            }
            policy.describe(tool.name, &mut input);
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
                    "openWorldHint": policy.open_world(tool.name),
                });
            }
            if version.at_least("2025-06-18") {
                entry["title"] = json!(tool.title);
                entry["outputSchema"] = output_schema(tool.output, tool.name == "schedule");
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
    policy: Policy,
    catalog: &Catalog,
) -> Result<Value, RpcError> {
    let Some(tool) = TOOLS.iter().find(|tool| tool.name == name) else {
        let names: Vec<&str> = TOOLS.iter().map(|tool| tool.name).collect();
        return Err(RpcError::new(
            code::INVALID_PARAMS,
            format!("unknown tool '{name}' (tools: {})", names.join(", ")),
        ));
    };
    let given = |name: &str| arguments.get(name).is_some_and(|v| !v.is_null());
    if by_id_or_key(tool) {
        match (given("id"), given("key")) {
            (false, false) => {
                return Ok(failure("give id or key: which task? (see the list tool)"))
            }
            (true, true) => return Ok(failure("give id or key, not both")),
            _ => {}
        }
    }
    let properties = properties(tool, catalog);
    let arguments = Arguments::check(&properties, arguments)
        .map_err(|BadArguments(e)| RpcError::new(code::INVALID_PARAMS, format!("{name}: {e}")))?;
    if let Some(refused) = policy.refusal(tool.name, &arguments) {
        return Ok(failure(refused));
    }
    // The warning channel: each warning goes to the server's stderr (the host's log)
    // as the CLI would print it, and to the model as a text block after the result.
    let said: Rc<RefCell<Vec<Warning>>> = Rc::default();
    let channel = {
        let said = Rc::clone(&said);
        Box::new(move |warning: &Warning| {
            eprintln!("{}", warning.line());
            said.borrow_mut().push(warning.clone());
        })
    };
    let now = crate::timestamp::Timestamp::new(Utc::now()).at();
    let ctx = Ctx::new(env.clone(), now, Front::Mcp, channel);
    // A bug in one tool must not take the server (and the host's session) down.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if tool.settings {
            ctx.env.validate()?;
        }
        (tool.call)(&ctx, &arguments)
    }));
    let said: Vec<String> = said.borrow().iter().map(Warning::line).collect();
    match ran {
        Ok(Ok(done)) => Ok(success(tool.output, done, said, version, &ctx)),
        Ok(Err(err)) => Ok(failure(&format!("{err:#}"))),
        Err(_) => Ok(failure(&format!("internal error in {name} (see stderr)"))),
    }
}

/// A tool's arguments: its command's, except that a task is named by `id` or by `key`
/// (neither is required alone) and `answer`'s text is required (on the command line
/// it may take the id's place).
fn properties(tool: &Tool, catalog: &Catalog) -> Vec<Property> {
    let mut properties = catalog.properties(tool.name).to_vec();
    for property in &mut properties {
        match property.name.as_str() {
            "id" if by_id_or_key(tool) || tool.name == "answer" => property.required = false,
            "text" if tool.name == "answer" => property.required = true,
            _ => {}
        }
    }
    properties
}

/// True for the tools that take a task by `id` or by `key` (a task id, a series id or
/// a key: the CLI's handle, resolved by `selector`).
fn by_id_or_key(tool: &Tool) -> bool {
    matches!(
        tool.name,
        "show" | "cancel" | "pause" | "resume" | "reschedule"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::output::names;
    use crate::task::Status;

    const LATEST: Version = Version {
        name: "2025-11-25",
        stateless: false,
    };

    fn env() -> Env {
        Env::from_pairs([("DEFER_TIMEZONE", "UTC")])
    }

    #[test]
    fn tools_have_the_spec_names_and_hints() {
        let tools = list(LATEST, Policy::default(), &crate::cli::catalog());
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
        assert_eq!(when["next"]["maximum"], json!(1000));
        assert_eq!(when["next"]["minimum"], json!(1), "--next 0 is refused");
        let list = find("list")["inputSchema"]["properties"].clone();
        assert!(list.get("format").is_none() && list.get("compact").is_none());
        assert_eq!(list["statuses"]["items"]["enum"], names::<Status>());
    }

    #[test]
    fn older_versions_get_fewer_fields() {
        let old = list(
            Version {
                name: "2024-11-05",
                stateless: false,
            },
            Policy::default(),
            &crate::cli::catalog(),
        );
        assert!(old[0].get("annotations").is_none() && old[0].get("outputSchema").is_none());
        assert!(list(LATEST, Policy::default(), &crate::cli::catalog())[0]
            .get("outputSchema")
            .is_some());
    }

    #[test]
    fn a_bad_value_is_the_cli_message_and_a_bad_type_a_protocol_error() {
        let call = |args: Value| {
            let args = args.as_object().unwrap().clone();
            call(
                "when",
                args,
                &env(),
                LATEST,
                Policy::default(),
                &crate::cli::catalog(),
            )
        };
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
        let err = super::call(
            "nope",
            Map::new(),
            &env(),
            LATEST,
            Policy::default(),
            &crate::cli::catalog(),
        )
        .unwrap_err();
        assert_eq!(err.code, code::INVALID_PARAMS);
    }
}

#[cfg(test)]
mod every_tool {
    use super::*;

    /// Every tool runs its code with its arguments given (no argument it reads is
    /// missing from its catalog, which would be an internal error), against a store.
    #[test]
    fn each_tool_reads_only_arguments_it_offers() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([
            ("DEFER_TIMEZONE", "UTC"),
            ("DEFER_RUNTIME_DIR", dir.path().to_str().unwrap()),
            ("HOME", dir.path().to_str().unwrap()),
            ("DEFER_RUNNER_CHECK", "0"),
        ]);
        let catalog = crate::cli::catalog();
        let version = Version {
            name: "2025-11-25",
            stateless: false,
        };
        let calls = [
            (
                "schedule",
                json!({"when": "1h", "summary": "s", "key": "k", "every": "1d",
                "max_retries": 1, "retry_delay": "1m", "backoff": "exponential", "count": 2,
                "missed": "skip", "overlap": "skip", "pause_after": 3, "budget": "5",
                "answer_timeout": "1h", "lane": "repo", "key_points": ["a"], "no_parent": true}),
            ),
            (
                "list",
                json!({"statuses": ["scheduled"], "intents": ["notify"], "due": false,
                "before": "2d", "after": "1m", "key": "k"}),
            ),
            ("show", json!({"key": "k", "include_prompt": true})),
            ("pause", json!({"key": "k"})),
            ("resume", json!({"key": "k"})),
            ("reschedule", json!({"key": "k", "when": "3h"})),
            ("answer", json!({"key": "k", "text": "yes"})),
            ("stats", json!({"since": "1d", "key": "k"})),
            ("when", json!({"cron": "0 9 * * *", "next": 2})),
            (
                "history",
                json!({"since": "1d", "statuses": ["failed"], "limit": 3, "key": "k"}),
            ),
            (
                "cancel",
                json!({"key": "k", "reason": "done", "occurrence": true}),
            ),
            ("doctor", json!({})),
        ];
        assert_eq!(calls.len(), TOOLS.len());
        for (name, arguments) in calls {
            let arguments = arguments.as_object().unwrap().clone();
            let result = call(name, arguments, &env, version, Policy::default(), &catalog)
                .unwrap_or_else(|e| panic!("{name}: {}", e.message));
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(!text.contains("internal error"), "{name}: {text}");
            let expect_error = matches!(name, "answer"); // k is scheduled, not waiting
            assert_eq!(result["isError"], expect_error, "{name}: {result}");
        }
    }
}
