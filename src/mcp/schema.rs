//! What a tool's arguments are: each property's name, JSON kind, the CLI option it
//! stands for and its schema (read off the CLI's definitions by the CLI front end and
//! handed to the server as a `Catalog`), and the input schema built from them.

use serde_json::{json, Map, Value};

/// How a tool's properties are named and which CLI arguments it leaves out.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The CLI subcommand whose arguments the tool offers.
    pub command: &'static str,
    /// (clap argument id, property name) where the default name does not fit.
    pub renames: &'static [(&'static str, &'static str)],
    /// Clap argument ids left out (beyond those no tool offers: help, format, compact).
    pub hidden: &'static [&'static str],
}

/// The JSON type a property takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flag,
    Integer,
    Text,
    List,
}

/// One tool property and the CLI option it stands for.
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub kind: Kind,
    /// `--long` for options, `None` for a positional argument.
    pub long: Option<String>,
    pub required: bool,
    /// The value the CLI's parser uses when the option is absent (the schema may
    /// show a default the command applies later, which this is not).
    pub default: Option<String>,
    pub schema: Value,
}

impl Property {
    /// How an error names it: the CLI's option (`--max-retries`), as the CLI's own
    /// message would (SPEC §16), or the property's name for a positional.
    pub fn flag(&self) -> String {
        self.long.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// Every tool's properties, by tool name; descriptions speak in argument names.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tools: Vec<(&'static str, Vec<Property>)>,
}

impl Catalog {
    /// The catalog, with each description rewritten for a model: `--max-retries`
    /// becomes `max_retries` (`words`).
    pub fn new(tools: Vec<(&'static str, Vec<Property>)>) -> Self {
        let tools = tools
            .into_iter()
            .map(|(name, mut properties)| {
                let names: Vec<(String, String)> = properties
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.long.as_deref()?.trim_start_matches('-').to_string(),
                            p.name.clone(),
                        ))
                    })
                    .collect();
                for property in &mut properties {
                    if let Some(Value::String(help)) = property.schema.get("description") {
                        let words = super::words::mcp_words(help, &names);
                        property.schema["description"] = json!(words);
                    }
                }
                (name, properties)
            })
            .collect();
        Catalog { tools }
    }

    /// A tool's properties (none for a tool the catalog lacks).
    pub fn properties(&self, tool: &str) -> &[Property] {
        self.tools
            .iter()
            .find(|(name, _)| *name == tool)
            .map_or(&[], |(_, properties)| properties.as_slice())
    }
}

/// The input schema object for a tool, with `extra` properties (tool-only arguments).
pub fn input_schema(properties: &[Property], extra: &[(&str, Value)]) -> Value {
    let mut props = Map::new();
    for property in properties {
        props.insert(property.name.clone(), property.schema.clone());
    }
    for (name, schema) in extra {
        props.insert(name.to_string(), schema.clone());
    }
    let required: Vec<&str> = properties
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.as_str())
        .collect();
    let mut schema = json!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}
