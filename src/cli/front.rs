//! Which front end a command answers: the CLI (a person or script typing flags) or the
//! MCP server (a model passing arguments). Messages name an option the way it is given.

/// The front end a command runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Cli,
    Mcp,
}

impl Front {
    /// An option as this front end spells it: `--retry-delay` or `retry_delay`.
    pub fn option(self, long: &str) -> String {
        match self {
            Front::Cli => format!("--{long}"),
            Front::Mcp => long.replace('-', "_"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_flags_on_the_cli_and_argument_names_over_mcp() {
        assert_eq!(Front::Cli.option("retry-delay"), "--retry-delay");
        assert_eq!(Front::Mcp.option("retry-delay"), "retry_delay");
    }
}
