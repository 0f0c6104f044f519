//! The Kubernetes form of an export: a ConfigMap holding the task's JSON and a
//! `batch/v1` CronJob (`concurrencyPolicy` from `--overlap`, Forbid by default) whose container runs
//! `defer execute` on it. Written by hand; every scalar is a double-quoted YAML string
//! (or a plain number), so nothing from the record can change the document's structure.

use super::calendar;
use super::{cancel_comment, Missed, Plan, Target, When};
use crate::task::Overlap;

/// The image placeholder the user must replace: an image with `defer` (and the
/// executor, if any) on `PATH`, and `sh`.
pub const IMAGE_PLACEHOLDER: &str = "REPLACE-ME.example/defer:latest";

/// The smallest `startingDeadlineSeconds` written: Kubernetes warns that a deadline
/// under 10 s may never schedule a Job (its CronJob controller checks every 10 s).
pub const MIN_STARTING_DEADLINE: u64 = 10;

/// The most a ConfigMap holds (the API server refuses more).
pub const CONFIG_MAP_MAX: usize = 1024 * 1024;

pub(crate) fn render(plan: &Plan, target: &Target) -> Result<String, String> {
    let (schedule, zone) = match &plan.when {
        When::Cron { expr, zone } => calendar::cron_schedule(expr, *zone, target.now)?,
        When::Every {
            text,
            seconds,
            anchor,
        } => (
            calendar::every_schedule(text, *seconds, *anchor)?,
            "Etc/UTC".to_string(),
        ),
        When::Once(at) => {
            return Err(format!(
                "task {} runs once (at {}), and a Kubernetes CronJob only repeats; export it with --format systemd, or submit it as a Job (examples/executors/kubernetes-job.sh)",
                plan.id,
                super::stamp(*at)
            ))
        }
    };
    if plan.json.len() > CONFIG_MAP_MAX - 1024 {
        return Err(format!(
            "task {} is {} bytes of JSON, and a ConfigMap holds at most 1 MiB; shorten its context to export it",
            plan.id,
            plan.json.len()
        ));
    }
    // No `--overlap`: Forbid, as before overlap existed (docs/decisions.md).
    let policy = match plan.overlap {
        None | Some(Overlap::Skip) => "Forbid",
        Some(Overlap::Replace) => "Replace",
        Some(Overlap::Allow) => "Allow",
        Some(Overlap::Queue) => {
            return Err(format!(
                "task {} has --overlap queue (wait for the running occurrence), and a CronJob cannot queue a run: its concurrencyPolicy only forbids, replaces or allows (accepted for Kubernetes: skip, replace or allow)",
                plan.id
            ))
        }
    };
    let name = &plan.name;
    let config_map = format!("{name}-task");
    let mut out = String::new();
    out.push_str(&format!(
        "# defer export: task {} as a Kubernetes CronJob (schedule {schedule}, zone {zone}).\n",
        plan.id
    ));
    out.push_str(&format!(
        "# Set the image ({IMAGE_PLACEHOLDER}) to one with sh and defer on PATH (and your executor), then:\n#   kubectl apply -f THIS-FILE\n"
    ));
    match plan.missed {
        Missed::Skip => out.push_str(
            "# Missed runs are skipped: a Job not started within the grace is not started.\n",
        ),
        Missed::Once => out.push_str(
            "# Missed runs: the controller starts one Job for the fires it missed (none after more than 100).\n",
        ),
    }
    out.push_str("apiVersion: \"v1\"\nkind: \"ConfigMap\"\nmetadata:\n");
    out.push_str(&format!("  name: {}\n", quote(&config_map)));
    out.push_str("  labels:\n    app.kubernetes.io/managed-by: \"defer-export\"\n");
    out.push_str(&format!("data:\n  task.json: {}\n", quote(&plan.json)));
    out.push_str("---\napiVersion: \"batch/v1\"\nkind: \"CronJob\"\nmetadata:\n");
    out.push_str(&format!("  name: {}\n", quote(name)));
    out.push_str("  labels:\n    app.kubernetes.io/managed-by: \"defer-export\"\n");
    out.push_str("spec:\n");
    out.push_str(&format!("  schedule: {}\n", quote(&schedule)));
    out.push_str(&format!("  timeZone: {}\n", quote(&zone)));
    out.push_str(&format!("  concurrencyPolicy: \"{policy}\"\n"));
    if plan.missed == Missed::Skip {
        let grace = plan
            .grace_seconds
            .unwrap_or(crate::export::DEFAULT_GRACE_SECONDS);
        if grace < MIN_STARTING_DEADLINE {
            out.push_str(&format!(
                "  # The grace is {grace}s; Kubernetes may never start a Job whose deadline is under {MIN_STARTING_DEADLINE}s (its controller looks every 10s), so it is raised to {MIN_STARTING_DEADLINE}s.\n"
            ));
        }
        let deadline = grace.max(MIN_STARTING_DEADLINE);
        out.push_str(&format!("  startingDeadlineSeconds: {deadline}\n"));
    }
    // `defer execute` makes one attempt; the Job retries the pod for --max-retries.
    out.push_str(&format!(
        "  jobTemplate:\n    spec:\n      backoffLimit: {}\n      template:\n        spec:\n",
        plan.max_retries
    ));
    out.push_str("          restartPolicy: \"Never\"\n          containers:\n");
    out.push_str("            - name: \"defer\"\n");
    out.push_str(&format!(
        "              image: {}\n",
        quote(IMAGE_PLACEHOLDER)
    ));
    out.push_str("              command: [\"sh\", \"-c\", \"exec defer execute --compact < /etc/defer/task.json\"]\n");
    out.push_str("              env:\n");
    out.push_str("                - name: \"DEFER_RUNTIME_DIR\"\n                  value: \"/var/lib/defer\"\n");
    out.push_str("              volumeMounts:\n");
    out.push_str("                - name: \"task\"\n                  mountPath: \"/etc/defer\"\n                  readOnly: true\n");
    out.push_str(
        "                - name: \"runtime\"\n                  mountPath: \"/var/lib/defer\"\n",
    );
    out.push_str("          volumes:\n");
    out.push_str(&format!(
        "            - name: \"task\"\n              configMap:\n                name: {}\n",
        quote(&config_map)
    ));
    out.push_str("            - name: \"runtime\"\n              emptyDir: {}\n");
    out.push_str(&cancel_comment(plan));
    Ok(out)
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character YAML does not
/// print as itself (C0 and C1 controls, DEL, line and paragraph separators, BOM,
/// surrogates' neighbours U+FFFE/U+FFFF) written as `\uXXXX`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_escape(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x1F | 0x7F..=0x9F | 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_yaml_would_read_differently() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            quote("x\ny\u{85}\u{2028}\u{7f}"),
            r#""x\u000Ay\u0085\u2028\u007F""#
        );
        assert_eq!(quote("héllo: {a}"), "\"héllo: {a}\"");
    }
}
