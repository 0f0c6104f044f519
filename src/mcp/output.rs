//! What a tool call returns: the result object (the operation's value, task objects
//! with their local time, `stored`, a file, the warnings as text blocks), an error
//! result, and each tool's output schema.

use serde_json::{json, Map, Value};

use super::calls::Done;
use super::protocol::Version;
use crate::ops::Ctx;
use crate::task::{
    AuraLevel, Backoff, ClosedSet, Intent, MissedPolicy, Mode, Overlap, ResultType, Status,
};

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

pub fn success(
    output: Output,
    done: Done,
    said: Vec<String>,
    version: Version,
    ctx: &Ctx,
) -> Value {
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
pub fn failure(message: &str) -> Value {
    let line = format!("defer: {}", crate::text::escape_control(message));
    json!({"content": [{"type": "text", "text": line}], "isError": true})
}

pub fn names<T: ClosedSet>() -> Value {
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
            "lane": text("the lane whose slots it runs in (DEFER_LANES); none: any free slot"),
            "overlap": {"type": "string", "enum": names::<Overlap>(), "description": "a series occurrence due while the previous one still runs"},
            "found_due_at": utc("when a run first found it due but had no free slot (its lateness is judged from there)"),
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

pub fn output_schema(output: Output, says_stored: bool) -> Value {
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

    /// The task object's schema names every field of the record (`task::fields`), so a
    /// new field cannot reach the model undescribed.
    #[test]
    fn the_task_schema_knows_every_record_field() {
        let schema = task_schema();
        let properties = schema["properties"].as_object().unwrap();
        for field in crate::task::fields::FIELDS {
            assert!(
                properties.contains_key(field.name),
                "{} missing",
                field.name
            );
        }
    }
}
