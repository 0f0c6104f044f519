//! Which program executes a task: its own `execution.command` (`defer schedule ... --
//! CMD [ARG...]`) when it has one, else `DEFER_EXECUTOR`. Both run under the same
//! contract (`executor.rs`); only the program, its arguments and the not-executable
//! error differ.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::executor;
use crate::task::Task;

/// Checks a command given after `--` at schedule time: a non-empty program name.
/// Whether it exists is decided at run time, on the runner's `PATH`.
pub fn check(command: &[String]) -> Result<()> {
    match command.first() {
        None => bail!(
            "invalid command after '--': nothing follows it (accepted: -- PROGRAM [ARG...])"
        ),
        Some(program) if program.trim().is_empty() => bail!(
            "invalid command '{program}' after '--' (accepted: a program name or path, then its arguments)"
        ),
        Some(_) => Ok(()),
    }
}

/// The warning for a task whose own command cannot run here now (`PATH` as this
/// process has it): it is still stored, since it may be installed before it is due.
pub fn not_found_now(task: &Task, search_path: Option<&str>) -> Option<String> {
    let program = match Program::choose(task, None)? {
        Program::Task(program, _) => program,
        Program::Configured(_) => return None,
    };
    match Program::Task(program, &[]).resolve(search_path) {
        Some(_) => None,
        None => Some(format!(
            "command '{}' is not an executable file here now (a bare name is looked up on \
             PATH); task {} is stored anyway and runs it if it is installed by then, else it \
             fails",
            printable(program),
            task.id
        )),
    }
}

/// The program chosen for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program<'a> {
    /// The task's own command: program, then arguments.
    Task(&'a str, &'a [String]),
    /// `DEFER_EXECUTOR`.
    Configured(&'a Path),
}

impl<'a> Program<'a> {
    /// The task's command if it has a non-empty one, else `configured`; `None` when
    /// neither exists (the prompt is prepared and the task completes).
    pub fn choose(task: &'a Task, configured: Option<&'a Path>) -> Option<Program<'a>> {
        match task.execution.command.as_deref() {
            Some([program, args @ ..]) => Some(Program::Task(program, args)),
            _ => configured.map(Program::Configured),
        }
    }

    /// The program as written (a path, or a bare name for `PATH`).
    pub fn written(self) -> &'a Path {
        match self {
            Program::Task(program, _) => Path::new(program),
            Program::Configured(path) => path,
        }
    }

    pub fn args(self) -> &'a [String] {
        match self {
            Program::Task(_, args) => args,
            Program::Configured(_) => &[],
        }
    }

    /// The executable file to run, if there is one (see `executor::resolve`).
    pub fn resolve(self, search_path: Option<&str>) -> Option<PathBuf> {
        executor::resolve(self.written(), search_path)
    }

    /// The error of a task whose program is missing or not executable (no retry).
    pub fn not_executable(self) -> String {
        match self {
            Program::Task(program, _) => {
                format!("Task command is not executable: {}", printable(program))
            }
            Program::Configured(path) => format!(
                "Configured DEFER_EXECUTOR is not executable: {}",
                path.display()
            ),
        }
    }
}

/// `text` with unsafe characters escaped (`\n`, `\u{1b}`, `\u{202e}`), since the error reaches
/// terminals (`defer execute`, `defer run` reports) and the name comes from a record.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match crate::text::is_unsafe(c) {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_command(command: Option<Vec<&str>>) -> Task {
        let mut task = Task::blank();
        task.execution.command = command.map(|c| c.into_iter().map(String::from).collect());
        task
    }

    #[test]
    fn the_task_command_wins_over_the_executor() {
        let configured = Path::new("/usr/bin/executor");
        let task = with_command(Some(vec!["notify-send", "-u", "low"]));
        let program = Program::choose(&task, Some(configured)).unwrap();
        assert_eq!(program.written(), Path::new("notify-send"));
        assert_eq!(program.args(), ["-u", "low"]);
        assert_eq!(
            program.not_executable(),
            "Task command is not executable: notify-send"
        );

        let plain = with_command(None);
        let program = Program::choose(&plain, Some(configured)).unwrap();
        assert_eq!(program, Program::Configured(configured));
        assert!(program.args().is_empty());
        assert_eq!(Program::choose(&plain, None), None);
        // A hand-edited empty command falls back to the executor.
        assert_eq!(Program::choose(&with_command(Some(vec![])), None), None);
    }

    #[test]
    fn the_error_escapes_control_characters() {
        let task = with_command(Some(vec!["evil\u{1b}[2J\nname"]));
        let program = Program::choose(&task, None).unwrap();
        assert_eq!(
            program.not_executable(),
            "Task command is not executable: evil\\u{1b}[2J\\nname"
        );
    }

    #[test]
    fn check_rejects_an_empty_command() {
        assert!(check(&[])
            .unwrap_err()
            .to_string()
            .contains("nothing follows"));
        assert!(check(&[" ".into()]).is_err());
        assert!(check(&["true".into()]).is_ok());
    }

    #[test]
    fn bare_names_resolve_on_the_search_path() {
        let task = with_command(Some(vec!["sh", "-c", "true"]));
        let program = Program::choose(&task, None).unwrap();
        let found = program.resolve(Some("/nonexistent:/bin:/usr/bin")).unwrap();
        assert!(found.ends_with("sh"), "{found:?}");
        assert_eq!(program.resolve(Some("/nonexistent")), None);
        assert_eq!(program.resolve(None), None);
    }
}
