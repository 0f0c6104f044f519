//! Untrusted text on its way to a terminal or a one-line message: control characters
//! shown escaped (`\n`, `\u{1b}`), invalid UTF-8 shown as `\xFF`, so no value can add a
//! line, move the cursor, retitle the window or reorder what is shown.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character that must not reach a terminal as is: every control character
/// (C0, DEL, C1 — which includes NEL), the Unicode line and paragraph separators, and the
/// bidirectional controls that reorder what a terminal shows (Trojan Source).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character (see [`is_unsafe`]) escaped: `\n`, `\r`, `\t`, else
/// `\u{1b}` (Rust's notation, lower-case hex). Backslashes are left alone, so paths and
/// regexes stay readable; the result is always one line. Borrows when nothing changes.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `text` as a JSON string literal in which every unsafe character (see [`is_unsafe`])
/// is a `\uXXXX` escape (`\n`, `\r`, `\t` as such), so the literal is one line with
/// no C1, line-separator or bidi control in it: what a log line quotes. JSON readers
/// get `text` back unchanged.
pub fn json_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Every unsafe character is in the Basic Multilingual Plane: one escape.
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Bytes that should have been UTF-8 (an argument, an environment value) as one safe
/// line: valid text escaped as [`escape_control`] does, each invalid byte as `\xFF`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// An OS string (argument, environment value) as [`escape_bytes`] shows it.
pub fn escape_os(text: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    escape_bytes(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "Check the build: 50% of C:\\tmp — ünïcode ✓";
        assert!(matches!(escape_control(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_control("a\nb"), "a\\nb");
        assert_eq!(escape_control("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(
            escape_control("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(
            escape_control("x\u{7f}\u{85}\u{9b}"),
            "x\\u{7f}\\u{85}\\u{9b}"
        );
        assert_eq!(escape_control("\0"), "\\u{0}");
    }

    #[test]
    fn separators_and_bidi_controls_are_escaped() {
        assert_eq!(escape_control("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(escape_control("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(escape_control("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn escaped_text_is_one_line_without_controls() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let escaped = escape_control(&all);
        assert!(!escaped.chars().any(is_unsafe));
        assert_eq!(escaped.lines().count(), 1);
    }

    #[test]
    fn json_quote_is_json_on_one_line_without_unsafe_characters() {
        assert_eq!(json_quote("plain"), "\"plain\"");
        assert_eq!(json_quote("a \"q\" \\ b"), r#""a \"q\" \\ b""#);
        assert_eq!(
            json_quote("r\u{202e}x\u{85}\u{2028}\n\u{1b}"),
            r#""r\u202ex\u0085\u2028\n\u001b""#
        );
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let quoted = json_quote(&all);
        assert!(!quoted.chars().any(is_unsafe));
        let back: String = serde_json::from_str(&quoted).unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn invalid_utf8_bytes_are_shown_as_hex() {
        assert_eq!(escape_bytes(b"ok"), "ok");
        assert_eq!(escape_bytes(b"a\xffb\xc3"), "a\\xFFb\\xC3");
        assert_eq!(escape_bytes(b"\xff\n\xc3\xa9"), "\\xFF\\né");
    }
}
