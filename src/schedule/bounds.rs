//! What `schedule` acknowledges must read back: the bounds on `--context-json` nesting
//! and on the size of a new task's record (SPEC §19).

use anyhow::{bail, Result};

use crate::store::MAX_LINE_BYTES;
use crate::task::Task;

/// The deepest `--context-json` accepted, the object itself being level 1. The record
/// nests it one level further; serde_json reads at most 128.
pub const MAX_CONTEXT_DEPTH: usize = 64;

/// The largest record `schedule` stores: half the store's line limit, the other half
/// being room for what the task's runs add to later snapshots (output, errors).
pub const MAX_TASK_BYTES: usize = (MAX_LINE_BYTES / 2) as usize;

/// How deeply the objects and arrays of a JSON text nest (0 for a scalar). Counts the
/// brackets outside strings, without recursion, so any text is measured; for text that
/// is not JSON the number means nothing, and the parse that follows refuses it.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Refuses a task whose record would be longer than [`MAX_TASK_BYTES`].
pub fn check_size(task: &Task) -> Result<()> {
    let len = serde_json::to_vec(task)?.len();
    if len > MAX_TASK_BYTES {
        bail!(
            "task {} would be {len} bytes of JSON (accepted: at most {MAX_TASK_BYTES} bytes, {} MiB); shorten its summary, prompt, key points, artifacts, constraints or --context-json",
            task.id,
            MAX_TASK_BYTES >> 20
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth("5"), 0);
        assert_eq!(json_depth("{}"), 1);
        assert_eq!(json_depth(r#"{"a":[{"b":[]}],"c":{}}"#), 4);
        assert_eq!(json_depth(r#"{"a":"[[[{{{"}"#), 1);
        assert_eq!(json_depth(r#"{"a":"\"[[[","b":[1]}"#), 2);
        assert_eq!(json_depth(r#"{"a\\":[[1]]}"#), 3);
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(json_depth(&deep), 500);
    }

    #[test]
    fn size_is_the_record_line() {
        let mut task = Task::blank();
        task.id = "t".into();
        assert!(check_size(&task).is_ok());
        let line = task.to_line().len();
        task.context.summary = "x".repeat(MAX_TASK_BYTES - line);
        assert_eq!(task.to_line().len(), MAX_TASK_BYTES);
        assert!(check_size(&task).is_ok());
        task.context.summary.push('x');
        let err = check_size(&task).unwrap_err().to_string();
        assert!(err.contains(&format!("at most {MAX_TASK_BYTES}")), "{err}");
    }
}
