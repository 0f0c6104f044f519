//! The MCP tools' input properties read off the CLI's clap definitions: one source of
//! names, help, defaults, closed sets and bounds for both front ends. The CLI hands the
//! result to the server (`mcp::Catalog`); MCP itself never sees clap.

use std::any::TypeId;

use clap::{Arg, ArgAction, CommandFactory};
use serde_json::{json, Map, Value};

use super::Cli;
use crate::mcp::{Catalog, Kind, Property, Shape, TOOLS};

/// Clap arguments no tool offers: MCP results are always JSON objects.
const NEVER_OFFERED: &[&str] = &["help", "version", "compact", "format"];

/// Every tool's properties, for the server.
pub fn catalog() -> Catalog {
    Catalog::new(
        TOOLS
            .iter()
            .map(|tool| (tool.name, properties(&tool.shape)))
            .collect(),
    )
}

/// The clap command for a subcommand name.
fn command(name: &str) -> clap::Command {
    let mut cli = Cli::command();
    cli.build();
    cli.find_subcommand(name)
        .unwrap_or_else(|| panic!("the CLI has no `{name}` subcommand"))
        .clone()
}

/// The properties a tool offers, in the CLI's order (options before positionals; a
/// positional named like an option is left out, the option takes its place).
pub fn properties(shape: &Shape) -> Vec<Property> {
    let command = command(shape.command);
    let (options, positionals): (Vec<&Arg>, Vec<&Arg>) = command
        .get_arguments()
        .filter(|arg| {
            let id = arg.get_id().as_str();
            !NEVER_OFFERED.contains(&id) && !shape.hidden.contains(&id) && !arg.is_hide_set()
        })
        .partition(|arg| arg.get_long().is_some());
    let mut properties: Vec<Property> = Vec::new();
    for arg in options.into_iter().chain(positionals) {
        let property = property(shape, &command, arg);
        match properties.iter_mut().find(|p| p.name == property.name) {
            // `cancel <ID>` and `cancel --id`: one property, described by the
            // positional's help (the option's refers to the positional).
            Some(option) => {
                if let Some(help) = property.schema.get("description") {
                    option.schema["description"] = help.clone();
                }
            }
            None => properties.push(property),
        }
    }
    properties
}

/// Defaults clap does not hold (the option is absent unless given) but the command
/// applies: (clap argument id, default).
fn implied_default(id: &str) -> Option<Value> {
    match id {
        "backoff" => Some(json!(crate::task::ClosedSet::name(
            crate::task::Backoff::default()
        ))),
        "pause_after" => Some(json!(crate::series::DEFAULT_PAUSE_AFTER)),
        _ => None,
    }
}

fn property(shape: &Shape, command: &clap::Command, arg: &Arg) -> Property {
    let id = arg.get_id().as_str();
    let kind = kind(command, arg);
    let long = arg.get_long().map(|long| format!("--{long}"));
    let default_name = match (arg.get_long(), kind) {
        // Repeatable options and a trailing `-- CMD ARG...` are named as the record's
        // fields: key_points, artifacts, command.
        (_, Kind::List) => id.to_string(),
        (Some(long), _) => long.replace('-', "_"),
        (None, _) => arg
            .get_value_names()
            .and_then(|names| names.first())
            .map_or(id.to_string(), |name| name.to_lowercase()),
    };
    let name = shape
        .renames
        .iter()
        .find(|(from, _)| *from == id)
        .map_or(default_name, |(_, to)| to.to_string());
    let mut schema = property_schema(arg, kind);
    if kind == Kind::Integer && refuses_zero(command, arg) {
        schema["minimum"] = json!(1);
    }
    if let Some(default) = implied_default(id) {
        schema["default"] = default;
    }
    if let Some(max) = (kind == Kind::Integer)
        .then(|| maximum(command, arg))
        .flatten()
    {
        schema["maximum"] = json!(max);
    }
    Property {
        schema,
        required: arg.is_required_set(),
        default: arg
            .get_default_values()
            .first()
            .and_then(|value| value.to_str())
            .map(str::to_string),
        name,
        kind,
        long,
    }
}

fn kind(command: &clap::Command, arg: &Arg) -> Kind {
    let parser = arg.get_value_parser().type_id();
    let integer = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
    ]
    .iter()
    .any(|t| parser == *t);
    match arg.get_action() {
        ArgAction::SetTrue => Kind::Flag,
        ArgAction::Append if arg.get_long().is_some() || arg.is_last_set() => Kind::List,
        _ if integer && !accepts_text(command, arg) => Kind::Integer,
        _ => Kind::Text,
    }
}

/// True when an option parsed into a number also takes text such as `1m` (a duration
/// given as `90s` or whole seconds): it is offered as a string, its parser decides.
fn accepts_text(command: &clap::Command, arg: &Arg) -> bool {
    let Some(long) = arg.get_long() else {
        return false;
    };
    // Values are parsed as they come, before any check that another argument is missing:
    // only an invalid-value error says the parser refused the text.
    let probe = command
        .clone()
        .try_get_matches_from([command.get_name().to_string(), format!("--{long}=1m")]);
    !probe.is_err_and(|err| {
        matches!(
            err.kind(),
            clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
        )
    })
}

/// True when the option's parser refuses 0 (`--count 0`): its minimum is 1.
fn refuses_zero(command: &clap::Command, arg: &Arg) -> bool {
    let Some(long) = arg.get_long() else {
        return false;
    };
    let probe = command
        .clone()
        .try_get_matches_from([command.get_name().to_string(), format!("--{long}=0")]);
    probe.is_err_and(|err| {
        matches!(
            err.kind(),
            clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
        )
    })
}

/// The largest value an integer option's parser accepts, when that is below
/// `u32::MAX` (the widest type's range is no bound worth stating): the CLI's own bound
/// (`--next`: 1000) becomes the schema's `maximum`.
fn maximum(command: &clap::Command, arg: &Arg) -> Option<u64> {
    let long = arg.get_long()?;
    let accepts = |n: u64| {
        let probe = command
            .clone()
            .try_get_matches_from([command.get_name().to_string(), format!("--{long}={n}")]);
        !probe.is_err_and(|err| {
            matches!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
            )
        })
    };
    let top = u64::from(u32::MAX);
    if accepts(top) {
        return None;
    }
    // The accepted values are a range: find its top between an accepted low and `top`.
    let (mut lo, mut hi) = ([0, 1].into_iter().find(|n| accepts(*n))?, top);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match accepts(mid) {
            true => lo = mid,
            false => hi = mid,
        }
    }
    Some(lo)
}

fn is_unsigned(arg: &Arg) -> bool {
    let parser = arg.get_value_parser().type_id();
    [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
    ]
    .iter()
    .any(|t| parser == *t)
}

fn property_schema(arg: &Arg, kind: Kind) -> Value {
    let mut schema = Map::new();
    let names: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| value.get_name().to_string())
        .collect();
    let mut text = json!({"type": "string"});
    if !names.is_empty() {
        text["enum"] = json!(names);
    }
    match kind {
        Kind::Flag => {
            schema.insert("type".into(), json!("boolean"));
        }
        Kind::Integer => {
            schema.insert("type".into(), json!("integer"));
            if is_unsigned(arg) {
                schema.insert("minimum".into(), json!(0));
            }
        }
        Kind::Text => schema = text.as_object().cloned().unwrap_or_default(),
        Kind::List => {
            schema.insert("type".into(), json!("array"));
            schema.insert("items".into(), text);
        }
    }
    if let Some(help) = arg.get_help() {
        schema.insert("description".into(), json!(help.to_string()));
    }
    let default = arg
        .get_default_values()
        .first()
        .and_then(|value| value.to_str());
    match (kind, default) {
        (Kind::Integer, Some(value)) => {
            if let Ok(n) = value.parse::<i64>() {
                schema.insert("default".into(), json!(n));
            }
        }
        (Kind::Text, Some(value)) => {
            schema.insert("default".into(), json!(value));
        }
        _ => {}
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: Shape = Shape {
        command: "schedule",
        renames: &[],
        hidden: &[],
    };

    #[test]
    fn every_schedule_option_is_a_property() {
        let props = properties(&SCHEDULE);
        let names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
        for arg in command("schedule").get_arguments() {
            let id = arg.get_id().as_str();
            if NEVER_OFFERED.contains(&id) {
                continue;
            }
            let expected = match (arg.get_long(), arg.get_action()) {
                (_, ArgAction::Append) => id.to_string(),
                (Some(long), _) => long.replace('-', "_"),
                (None, _) => panic!("a schedule positional that is not `-- CMD...`: {id}"),
            };
            assert!(
                names.contains(&expected.as_str()),
                "{id} missing: {names:?}"
            );
        }
        for name in [
            "when",
            "summary",
            "max_retries",
            "prompt_template",
            "dry_run",
            "key_points",
            "artifacts",
            "constraints",
            "key",
        ] {
            assert!(names.contains(&name), "{name} missing: {names:?}");
        }
        assert!(!names.contains(&"compact"));
    }

    #[test]
    fn types_enums_defaults_and_help_come_from_clap() {
        let schema = crate::mcp::input_schema(&properties(&SCHEDULE), &[]);
        let props = &schema["properties"];
        let required: Vec<String> = command("schedule")
            .get_arguments()
            .filter(|arg| arg.is_required_set())
            .map(|arg| arg.get_id().to_string())
            .collect();
        let listed = schema.get("required").cloned().unwrap_or(json!([]));
        assert_eq!(
            listed,
            json!(required),
            "the schema requires what clap requires"
        );
        assert_eq!(
            props["intent"]["enum"],
            json!(["resume_task", "notify", "execute_action"])
        );
        assert_eq!(props["intent"]["default"], "resume_task");
        assert_eq!(props["max_retries"]["type"], "integer");
        assert_eq!(props["max_retries"]["minimum"], 0);
        assert_eq!(props["max_retries"]["default"], 0);
        assert_eq!(props["dry_run"]["type"], "boolean");
        assert_eq!(props["key_points"]["type"], "array");
        assert_eq!(props["key_points"]["items"]["type"], "string");
        // A number parser that also takes `90s`: a string, its parser decides.
        assert_eq!(props["retry_delay"]["type"], "string");
        // `-- CMD ARG...`: the record's execution.command.
        assert_eq!(props["command"]["type"], "array");
        assert!(props["summary"]["description"]
            .as_str()
            .unwrap()
            .contains("One-line description"));
    }

    #[test]
    fn positionals_take_their_value_name_or_a_rename_and_options_win() {
        let cancel = Shape {
            command: "cancel",
            renames: &[],
            hidden: &[],
        };
        let props = properties(&cancel);
        let ids: Vec<_> = props.iter().filter(|p| p.name == "id").collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].long.as_deref(), Some("--id"));
        assert!(ids[0].schema["description"]
            .as_str()
            .unwrap()
            .starts_with("The task to cancel"));
        let when = Shape {
            command: "when",
            renames: &[("expr", "expression")],
            hidden: &[],
        };
        let props = properties(&when);
        let expression = props.iter().find(|p| p.name == "expression").unwrap();
        assert!(expression.long.is_none() && expression.kind == Kind::Text);
    }

    #[test]
    fn every_tool_offers_its_commands_arguments() {
        let catalog = catalog();
        for tool in TOOLS {
            assert!(
                !catalog.properties(tool.name).is_empty() || tool.name == "doctor",
                "{}",
                tool.name
            );
        }
        let next = catalog
            .properties("when")
            .iter()
            .find(|p| p.name == "next")
            .unwrap();
        assert_eq!(next.schema["maximum"], json!(1000));
        assert_eq!(next.schema["minimum"], json!(1));
    }
}
