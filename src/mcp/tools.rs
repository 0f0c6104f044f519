//! The tools: what a model reads about each, their annotations and output shapes; a
//! call's arguments are checked against the catalog and run by the tool's code in
//! `calls` (one `ops` operation each).

use std::cell::RefCell;
use std::rc::Rc;

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::arguments::{Arguments, BadArguments};
use super::calls::{self, Call, Done};
use super::policy::Policy;
use super::protocol::{code, RpcError, Version};
use super::schema::{self, Catalog, Property, Shape};
use crate::config::Env;
use crate::ops::{Ctx, Front, Warning};
use crate::task::{AuraLevel, Backoff, ClosedSet, Intent, MissedPolicy, Mode, ResultType, Status};

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

fn success(output: Output, done: Done, said: Vec<String>, version: Version, ctx: &Ctx) -> Value {
    let Done {
        mut text,
        mut value,
        file,
        stored,
    } = done;
    // Task objects get their local time for people and models; `schedule` says whether
    // it stored anything. The text is the same JSON.
    let tz = ctx.env.timezone().unwrap_or(chrono_tz::Tz::UTC);
    let add_local = |task: &mut Value| {
        if let Ok(parsed) = serde_json::from_value::<crate::task::Task>(task.clone()) {
            let (run_at_local, due_in) = crate::local::fields(&parsed, ctx.now, tz);
            *task = after_run_at(task, run_at_local, due_in);
        }
    };
    let changed = match (output, &mut value) {
        (Output::Task, task @ Value::Object(_)) => {
            add_local(task);
            true
        }
        (Output::Wrapped("tasks"), Value::Array(tasks)) => {
            tasks.iter_mut().for_each(add_local);
            true
        }
        _ => false,
    };
    if let (Some(stored), Value::Object(object)) = (stored, &mut value) {
        object.insert("stored".into(), json!(stored));
    }
    if changed {
        text = value.to_string();
    }
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

/// `task` with `run_at_local` and `due_in` right after `run_at`.
fn after_run_at(task: &Value, run_at_local: String, due_in: String) -> Value {
    let Value::Object(fields) = task else {
        return task.clone();
    };
    let mut out = Map::new();
    for (name, value) in fields {
        out.insert(name.clone(), value.clone());
        if name == "run_at" {
            out.insert("run_at_local".into(), json!(run_at_local));
            out.insert("due_in".into(), json!(due_in));
        }
    }
    Value::Object(out)
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
    let utc = |what: &str| json!({"type": "string", "description": format!("{what}, UTC (YYYY-MM-DDTHH:MM:SSZ)")});
    let text = |what: &str| json!({"type": "string", "description": what});
    let count = |what: &str| json!({"type": "integer", "minimum": 0, "description": what});
    let mut properties = json!({
            "id": {"type": "string"},
            "created_at": utc("when it was scheduled"),
            "run_at": utc("when it is due"),
            "run_at_local": text("run_at in the task's zone (its series' zone, else the server's DEFER_TIMEZONE), RFC 3339 with the offset; not stored"),
            "due_in": text("run_at relative to now: 'in 1d 8h', '3m ago', 'now'; not stored"),
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
                    "command": {"type": "array", "items": {"type": "string"},
                        "description": "the program run instead of DEFER_EXECUTOR, and its arguments"},
                },
            },
            "status": {"type": "string", "enum": names::<Status>()},
            "attempts": count("finished attempts"),
            "max_retries": count("retries allowed after a failed attempt"),
            "reorient_requested": {"type": "boolean"},
            "reorient": {"type": "object", "description": "project and context_file asked for, and what CONTEXT.md gave"},
            "key": text("the idempotency key it was scheduled with"),
    });
    let more = json!({
            "retry": {
                "type": "object",
                "properties": {
                    "delay_seconds": {"type": ["integer", "null"], "minimum": 0},
                    "backoff": {"type": "string", "enum": names::<Backoff>()},
                },
            },
            "started_at": utc("when the latest attempt started"),
            "completed_at": utc("when it completed"),
            "failed_at": utc("when it failed for good"),
            "cancelled_at": utc("when it was cancelled"),
            "cancel_reason": {"type": ["string", "null"], "description": "why it was cancelled, as given"},
            "last_attempt_at": utc("when the latest failed attempt ended"),
            "last_error": text("the latest failed attempt's error (a retry follows)"),
            "error": text("why it failed for good"),
            "result": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": names::<ResultType>()},
                    "output": {"type": "string"},
                    "output_truncated": {"type": "boolean"},
                    "prompt_path": {"type": "string"},
                    "next_run_at": {"type": "string"},
                },
                "description": "what the latest attempt produced",
            },
            "rescheduled_from": utc("the run_at the latest reschedule replaced"),
            "executor": {
                "type": "object",
                "properties": {"pid": {"type": "integer"}, "started": {"type": "integer"}},
                "description": "the running executor's process (while executing)",
            },
            "missed": {"type": "string", "enum": names::<MissedPolicy>(), "description": "a one-shot task's missed-run policy"},
            "grace_seconds": count("a one-shot task's lateness allowed before missed applies"),
    });
    let last = json!({
            "series": {
                "type": "object",
                "properties": {
                    "id": text("the series id: its first occurrence's id"),
                    "every": {"type": ["string", "null"]},
                    "cron": {"type": ["string", "null"]},
                    "timezone": text("the IANA zone its schedule steps in"),
                    "until": {"type": ["string", "null"]},
                    "count": {"type": ["integer", "null"], "minimum": 1},
                    "occurrence": {"type": "integer", "minimum": 1},
                    "missed": {"type": "string", "enum": names::<MissedPolicy>()},
                    "grace_seconds": {"type": "integer", "minimum": 0},
                    "pause_after": {"type": "integer", "minimum": 0},
                    "consecutive_failures": {"type": "integer", "minimum": 0},
                },
                "description": "present on an occurrence of a recurring series",
            },
            "late_by_seconds": count("how late the run started after the fire it stands for"),
            "missed_fires": count("earlier fires that did not run"),
            "missed_at": utc("when it was recorded missed"),
            "parent_id": text("the task whose run scheduled this one"),
            "history": {
                "type": "array",
                "items": {"type": "object"},
                "description": "one entry per finished attempt, oldest first (with the executor's summary and cost when it reported them)",
            },
            "deferrals": count("deferrals by the executor in a row (retry reports, exit 75); not attempts"),
            "question": text("what a waiting task's executor asked; answer it with the answer tool"),
            "waiting_since": utc("when it began waiting for an answer"),
            "answer_timeout_seconds": count("a waiting task fails this long after it began waiting"),
            "budget_usd": {"type": "number", "description": "a series' budget: a fire is missed (reason budget) while the series' reported cost over 24 hours has reached it"},
            "snapshot": {"type": "object", "description": "the git work tree and artifacts as they were when it was scheduled"},
    });
    for group in [more, last] {
        if let (Value::Object(all), Value::Object(group)) = (&mut properties, group) {
            all.extend(group);
        }
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": ["id", "run_at", "intent", "context", "execution", "status"],
    })
}

fn output_schema(output: Output, says_stored: bool) -> Value {
    match output {
        Output::Task if says_stored => {
            let mut schema = task_schema();
            schema["properties"]["stored"] = json!({"type": "boolean", "description":
                "true when this call stored the task; false when a live task already held the key (that task is returned) or on a dry run"});
            schema
        }
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
