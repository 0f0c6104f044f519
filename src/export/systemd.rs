//! The systemd form of an export: a oneshot `.service` that runs `defer execute` with
//! the task's JSON on stdin (`StandardInputData=`, base64, so no byte of the task can
//! reach the unit's syntax) and a `.timer` with the schedule's `OnCalendar=` lines.

use super::calendar;
use super::{cancel_comment, stamp, Missed, Plan, Target, When};
use crate::task::Overlap;

/// Marks where each file starts in the output: `# ---- file: NAME ----`.
pub const FILE_MARK: &str = "# ---- file: ";

pub(crate) fn render(plan: &Plan, target: &Target) -> Result<String, String> {
    let calendars = match &plan.when {
        When::Cron { expr, zone } => calendar::cron_on_calendar(expr, *zone, target.now)?,
        When::Every {
            text,
            seconds,
            anchor,
        } => calendar::every_on_calendar(text, *seconds, *anchor)?,
        When::Once(at) => vec![at.format("%Y-%m-%d %H:%M:%S UTC").to_string()],
    };
    // A timer never starts a service that is still active: a fire during a run is
    // skipped, or (Persistent) caught up after it; it cannot stop or double a run.
    if let Some(overlap) = plan
        .overlap
        .filter(|o| matches!(o, Overlap::Replace | Overlap::Allow))
    {
        return Err(format!(
            "task {} has --overlap {overlap}, and a systemd timer never starts its service while the previous run is active (accepted: skip or queue)",
            plan.id
        ));
    }
    let binary = target.binary.display().to_string();
    if binary.chars().any(crate::text::is_unsafe) {
        return Err(format!(
            "the path of this program holds a control character ('{}'), which cannot go into a unit file",
            crate::text::escape_control(&binary)
        ));
    }
    let name = &plan.name;
    let mut out = String::new();
    out.push_str(&format!(
        "# defer export: task {} ({}) as a systemd service and timer.\n",
        plan.id,
        describe(&plan.when)
    ));
    out.push_str(&format!(
        "# Save the two files below as ~/.config/systemd/user/{name}.service and {name}.timer, then:\n#   systemctl --user daemon-reload && systemctl --user enable --now {name}.timer\n"
    ));
    if let Some(grace) = plan.grace_seconds {
        out.push_str(&format!(
            "# The grace of {grace}s has no timer equivalent: a late start is not measured.\n"
        ));
    }
    out.push_str(&format!("{FILE_MARK}{name}.service ----\n"));
    out.push_str("[Unit]\n");
    out.push_str(&format!("Description=defer task {}\n\n", plan.id));
    out.push_str("[Service]\nType=oneshot\n");
    for (key, value) in &target.settings {
        out.push_str(&format!(
            "Environment={}\n",
            quote(&format!("{key}={value}"), false)
        ));
    }
    out.push_str("StandardInput=data\n");
    for chunk in base64(plan.json.as_bytes()).as_bytes().chunks(76) {
        out.push_str("StandardInputData=");
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!(
        "ExecStart={} execute --compact\n",
        quote(&binary, true)
    ));
    out.push_str(&format!("\n{FILE_MARK}{name}.timer ----\n"));
    out.push_str("[Unit]\n");
    out.push_str(&format!(
        "Description=Run defer task {} on schedule\n\n",
        plan.id
    ));
    out.push_str("[Timer]\n");
    for line in &calendars {
        out.push_str(&format!("OnCalendar={line}\n"));
    }
    out.push_str("AccuracySec=1s\n");
    let persistent = plan.missed == Missed::Once;
    out.push_str(&format!("Persistent={persistent}\n"));
    out.push_str(&format!("Unit={name}.service\n\n"));
    out.push_str("[Install]\nWantedBy=timers.target\n\n");
    out.push_str(&cancel_comment(plan));
    Ok(out)
}

fn describe(when: &When) -> String {
    match when {
        When::Cron { expr, zone } => format!("cron '{}' in {}", expr.trim(), zone.name()),
        When::Every { text, anchor, .. } => format!("every {text} from {}", stamp(*anchor)),
        When::Once(at) => format!("once, at {}", stamp(*at)),
    }
}

/// A double-quoted unit-file word: `\` and `"` escaped, `%` doubled (specifiers) and, in
/// a command line, `$` doubled (variable expansion).
fn quote(text: &str, command: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if command => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn quoting_keeps_specifiers_and_variables_literal() {
        assert_eq!(quote(r#"/a b/%h/"x"\$y"#, true), r#""/a b/%%h/\"x\"\\$$y""#);
        assert_eq!(quote("K=$v%", false), r#""K=$v%%""#);
    }
}
