//! Warnings as data: what an operation has to say beside its result (a held key, a
//! time in the past, invalid store lines, no runner), handed to the front end's channel.

use std::fmt;

/// How a front end presents a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something may be wrong: `warning: ...`.
    Warning,
    /// Information that is not a problem: `note: ...`.
    Note,
    /// A plain report (`task t1 (key 'k') cancelled: replaced by t2`).
    Info,
}

/// One thing an operation says beside its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub level: Level,
    pub text: String,
}

impl Warning {
    pub fn warn(text: impl Into<String>) -> Self {
        Warning {
            level: Level::Warning,
            text: text.into(),
        }
    }

    pub fn note(text: impl Into<String>) -> Self {
        Warning {
            level: Level::Note,
            text: text.into(),
        }
    }

    pub fn info(text: impl Into<String>) -> Self {
        Warning {
            level: Level::Info,
            text: text.into(),
        }
    }

    /// The one line both front ends show: `defer: warning: ...`, control characters
    /// escaped (the text may quote a record or an argument).
    pub fn line(&self) -> String {
        format!("defer: {}", crate::text::escape_control(&self.to_string()))
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Warning => write!(f, "warning: {}", self.text),
            Level::Note => write!(f, "note: {}", self.text),
            Level::Info => f.write_str(&self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_one_escaped_line_naming_its_level() {
        assert_eq!(Warning::warn("a\nb").line(), "defer: warning: a\\nb");
        assert_eq!(Warning::note("n").line(), "defer: note: n");
        assert_eq!(Warning::info("i").line(), "defer: i");
    }
}
