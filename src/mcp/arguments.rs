//! A tool call's arguments, checked against the tool's properties (unknown names,
//! missing required ones and wrong JSON types are protocol errors), then read as typed
//! values through the same rules the CLI's parser applies (`ops::values`).

use anyhow::{bail, Result};
use serde_json::{Map, Value};

use super::schema::{Kind, Property};
use crate::ops::values;
use crate::task::ClosedSet;

/// A tool argument of the wrong JSON type, an unknown name, or a missing required one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadArguments(pub String);

/// The checked arguments of one call.
pub struct Arguments<'a> {
    properties: &'a [Property],
    values: Map<String, Value>,
}

impl<'a> Arguments<'a> {
    /// Checks every argument's name and JSON type, and that the required ones are given.
    pub fn check(
        properties: &'a [Property],
        values: Map<String, Value>,
    ) -> Result<Self, BadArguments> {
        if let Some(unknown) = values
            .keys()
            .find(|name| properties.iter().all(|p| &p.name != *name))
        {
            let accepted: Vec<&str> = properties.iter().map(|p| p.name.as_str()).collect();
            return Err(BadArguments(format!(
                "unknown argument '{unknown}' (accepted: {})",
                accepted.join(", ")
            )));
        }
        for property in properties {
            match values.get(&property.name).filter(|v| !v.is_null()) {
                Some(value) => type_check(property, value)?,
                None if property.required => {
                    return Err(BadArguments(format!(
                        "missing required argument '{}'",
                        property.name
                    )))
                }
                None => {}
            }
        }
        Ok(Arguments { properties, values })
    }

    fn property(&self, name: &str) -> &Property {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("the tool has no argument '{name}'"))
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.property(name); // a name the tool does not offer is a bug, caught by tests
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// True when the argument is given (not absent, not null; `false` counts).
    pub fn given(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// A text argument (a number given for it is its decimal text).
    pub fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }

    /// A text argument, else the parser's default.
    pub fn text_or_default(&self, name: &str) -> Option<String> {
        self.text(name)
            .or_else(|| self.property(name).default.clone())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.value(name) == Some(&Value::Bool(true))
    }

    /// An array of strings (empty when absent).
    pub fn texts(&self, name: &str) -> Vec<String> {
        match self.value(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The argument's text (else its default) through `rule`; a refusal is the CLI's
    /// line, `invalid --flag 'value' (accepted: ...)`.
    pub fn parsed<T>(&self, name: &str, rule: fn(&str) -> Result<T, String>) -> Result<Option<T>> {
        let Some(text) = self.text_or_default(name) else {
            return Ok(None);
        };
        match rule(&text) {
            Ok(value) => Ok(Some(value)),
            Err(accepted) => bail!(values::refused(
                &self.property(name).flag(),
                &text,
                &accepted
            )),
        }
    }

    /// A name of a closed set (else the default).
    pub fn closed<T: ClosedSet>(&self, name: &str) -> Result<Option<T>> {
        self.parsed(name, values::closed::<T>)
    }

    /// A value every call has: the argument, else the parser's default.
    pub fn required<T>(&self, name: &str, rule: fn(&str) -> Result<T, String>) -> Result<T> {
        self.parsed(name, rule)?.ok_or_else(|| {
            anyhow::anyhow!("the following required arguments were not provided: {name}")
        })
    }

    /// Each item of an array argument through `rule`.
    pub fn each<T>(&self, name: &str, rule: fn(&str) -> Result<T, String>) -> Result<Vec<T>> {
        let flag = self.property(name).flag();
        self.texts(name)
            .iter()
            .map(|text| {
                rule(text)
                    .map_err(|accepted| anyhow::anyhow!(values::refused(&flag, text, &accepted)))
            })
            .collect()
    }

    /// Refuses two arguments given together, as the CLI's parser does.
    pub fn exclusive(&self, one: &str, other: &str) -> Result<()> {
        if self.given(one)
            && self.given(other)
            && self.flag_or_value(one)
            && self.flag_or_value(other)
        {
            bail!("the argument '{one}' cannot be used with '{other}'");
        }
        Ok(())
    }

    /// A flag counts only when true; any other argument when given.
    fn flag_or_value(&self, name: &str) -> bool {
        match self.property(name).kind {
            Kind::Flag => self.flag(name),
            Kind::List => !self.texts(name).is_empty(),
            _ => true,
        }
    }

    /// Refuses a call without any of `names` (one of them is required).
    pub fn one_of(&self, names: &[&str]) -> Result<()> {
        if !names.iter().any(|name| self.given(name)) {
            let (first, rest) = names.split_first().expect("one name at least");
            bail!(
                "the following required arguments were not provided: {first} (or {})",
                rest.join(", or ")
            );
        }
        Ok(())
    }
}

fn type_check(property: &Property, value: &Value) -> Result<(), BadArguments> {
    let wrong = |what: &str| {
        BadArguments(format!(
            "argument '{}' must be {what}, not {value}",
            property.name
        ))
    };
    let fits = match property.kind {
        Kind::Flag => value.is_boolean(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Text => value.is_string() || value.is_number(),
        Kind::List => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
    };
    match (fits, property.kind) {
        (true, _) => Ok(()),
        (false, Kind::Flag) => Err(wrong("true or false")),
        (false, Kind::Integer) => Err(wrong("a whole number")),
        (false, Kind::Text) => Err(wrong("a string")),
        (false, Kind::List) => Err(wrong("an array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties() -> Vec<Property> {
        let property = |name: &str, kind, long: Option<&str>, schema: Value| Property {
            name: name.into(),
            kind,
            long: long.map(Into::into),
            required: false,
            default: None,
            schema,
        };
        let mut properties = vec![
            property(
                "when",
                Kind::Text,
                Some("--when"),
                json!({"type": "string"}),
            ),
            property(
                "max_retries",
                Kind::Integer,
                Some("--max-retries"),
                json!({"type": "integer", "default": 0}),
            ),
            property(
                "dry_run",
                Kind::Flag,
                Some("--dry-run"),
                json!({"type": "boolean"}),
            ),
            property(
                "key_points",
                Kind::List,
                Some("--key-point"),
                json!({"type": "array"}),
            ),
            Property {
                required: true,
                ..property("id", Kind::Text, None, json!({"type": "string"}))
            },
        ];
        properties[1].default = Some("0".into());
        properties
    }

    #[test]
    fn wrong_types_unknown_and_missing_arguments_are_refused() {
        let props = properties();
        let check =
            |args: Value| Arguments::check(&props, args.as_object().unwrap().clone()).map(drop);
        for (args, needle) in [
            (json!({"id": "t", "max_retries": "3"}), "whole number"),
            (json!({"id": "t", "max_retries": 1.5}), "whole number"),
            (json!({"id": true}), "a string"),
            (json!({"id": "t", "key_points": "x"}), "array of strings"),
            (json!({"id": "t", "key_points": [1]}), "array of strings"),
            (json!({"id": "t", "dry_run": "yes"}), "true or false"),
            (json!({"id": "t", "bogus": 1}), "unknown argument 'bogus'"),
            (json!({"when": "1h"}), "missing required argument 'id'"),
        ] {
            let err = check(args.clone()).unwrap_err();
            assert!(err.0.contains(needle), "{args}: {}", err.0);
        }
    }

    #[test]
    fn values_go_through_the_clis_rules_and_messages() {
        let props = properties();
        let args =
            json!({"id": "t", "max_retries": -1, "key_points": ["a", "b"], "dry_run": false});
        let args = Arguments::check(&props, args.as_object().unwrap().clone()).unwrap();
        let err = args
            .parsed("max_retries", values::non_negative)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --max-retries '-1' (accepted: a whole number, 0 or more)"
        );
        assert_eq!(args.texts("key_points"), ["a", "b"]);
        assert!(!args.flag("dry_run") && args.given("dry_run"));
        args.exclusive("dry_run", "key_points").unwrap();
        let none =
            Arguments::check(&props, json!({"id": "t"}).as_object().unwrap().clone()).unwrap();
        assert_eq!(
            none.parsed("max_retries", values::non_negative).unwrap(),
            Some(0)
        );
        assert!(none.one_of(&["when", "dry_run"]).is_err());
    }
}
