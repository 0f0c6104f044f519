//! The prompt artifact `logs/<id>.prompt.txt`: the exact text a future run starts from.

use std::fmt::Write;

use crate::task::Task;

/// Renders the prompt in the contract's exact layout (SPEC §6).
pub fn render(task: &Task) -> String {
    let mut text = String::with_capacity(512);
    let _ = write!(
        text,
        "You are resuming a deferred task.\n\nTask ID: {}\nIntent: {}\nMode: {}\n\nSummary:\n{}\n",
        task.id, task.intent, task.execution.mode, task.context.summary
    );
    section(&mut text, "Key Points", &task.context.key_points);
    section(&mut text, "Artifacts", &task.context.artifacts);
    section(&mut text, "Constraints", &task.context.constraints);
    let _ = writeln!(text, "\nTask:\n{}", task.execution.prompt_template);
    text
}

fn section(text: &mut String, title: &str, items: &[String]) {
    let _ = write!(text, "\n{title}:\n");
    if items.is_empty() {
        text.push_str("- (none)\n");
    }
    for item in items {
        let _ = writeln!(text, "- {item}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_text() {
        let mut task = Task::blank();
        task.id = "t1".into();
        task.context.summary = "Check the build".into();
        task.context.key_points = vec!["CI was red".into(), "flaky test".into()];
        task.context.constraints = vec!["no force push".into()];
        task.execution.prompt_template = "Look at CI again.".into();
        let expected = "You are resuming a deferred task.

Task ID: t1
Intent: resume_task
Mode: fresh

Summary:
Check the build

Key Points:
- CI was red
- flaky test

Artifacts:
- (none)

Constraints:
- no force push

Task:
Look at CI again.
";
        assert_eq!(render(&task), expected);
    }
}
