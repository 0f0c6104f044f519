//! The prompt artifact `logs/<id>.prompt.txt`: the exact text a future run starts from.

use std::fmt::Write;

use crate::task::Task;

/// Renders the prompt in the contract's exact layout (SPEC §6).
pub fn render(task: &Task) -> String {
    let mut text = String::with_capacity(512);
    let _ = write!(
        text,
        "You are resuming a deferred task.\n\nTask ID: {}\nIntent: {}\nMode: {}\n{}\nSummary:\n{}\n",
        task.id, task.intent, task.execution.mode, late_line(task), task.context.summary
    );
    section(&mut text, "Key Points", &task.context.key_points);
    section(&mut text, "Artifacts", &task.context.artifacts);
    section(&mut text, "Constraints", &task.context.constraints);
    let _ = writeln!(text, "\nTask:\n{}", task.execution.prompt_template);
    text
}

/// `Late: due <run_at>, running at <run_at + late>, (late by 3h 12m)` plus a newline
/// for a late run (§12), else nothing.
fn late_line(task: &Task) -> String {
    let Some(late) = task.late_by_seconds else {
        return String::new();
    };
    let due = task.run_at;
    let running = i64::try_from(late)
        .ok()
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|d| due.at().checked_add_signed(d))
        .map(crate::timestamp::Timestamp::new)
        .unwrap_or(due);
    format!(
        "Late: due {due}, running at {running} (late by {})\n",
        crate::series::missed::human(late)
    )
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

    #[test]
    fn late_line_follows_mode() {
        let mut task = Task::blank();
        task.run_at = crate::timestamp::Timestamp::parse("2026-12-01T07:00:00Z").unwrap();
        task.late_by_seconds = Some(3 * 3600 + 12 * 60);
        let text = render(&task);
        assert!(text.contains("Mode: fresh\nLate: due 2026-12-01T07:00:00Z, running at 2026-12-01T10:12:00Z (late by 3h 12m)\n\nSummary:"), "{text}");
    }
}
