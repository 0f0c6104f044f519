//! The last non-empty line of an executor's output, for the error of a failed attempt
//! (SPEC §6): kept from a small tail of the stream, at most 200 characters, control
//! characters escaped so the error stays one line wherever it is shown.

/// How much of the end of the output is kept to find the last line.
const TAIL: usize = 4096;

/// The longest line quoted, in characters (escapes and `…` included).
pub const MAX_CHARS: usize = 200;

/// The end of an output stream.
#[derive(Debug, Default, Clone)]
pub struct Tail {
    bytes: Vec<u8>,
    /// Earlier output was dropped: the first kept line may be the end of a longer one.
    cut: bool,
}

impl Tail {
    pub fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > 2 * TAIL {
            let drop = self.bytes.len() - TAIL;
            self.bytes.drain(..drop);
            self.cut = true;
        }
    }

    /// The last line that is not blank, trimmed, escaped and capped.
    pub fn last_line(&self) -> Option<String> {
        let line = self
            .bytes
            .rsplit(|&b| b == b'\n')
            .find(|line| !String::from_utf8_lossy(line).trim().is_empty())?;
        // The first kept line is the only one that can have lost its start.
        let first = self.bytes.split(|&b| b == b'\n').next();
        let partial = self.cut && first.is_some_and(|f| std::ptr::eq(f, line));
        let text = String::from_utf8_lossy(line);
        Some(quote(text.trim(), partial))
    }
}

/// `text` with control characters escaped (`\t`, `\u{1b}`), cut to `MAX_CHARS` with a
/// trailing `…`; a leading `…` when `partial` (the start of the line was not kept).
pub fn quote(text: &str, partial: bool) -> String {
    let mut out = String::new();
    let mut count = 0;
    if partial {
        out.push('…');
        count += 1;
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let piece: String = if crate::text::is_unsafe(c) {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        let len = piece.chars().count();
        let room = if chars.peek().is_some() {
            MAX_CHARS - 1
        } else {
            MAX_CHARS
        };
        if count + len > room {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        count += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(bytes: &[u8]) -> Tail {
        let mut tail = Tail::default();
        tail.push(bytes);
        tail
    }

    #[test]
    fn the_last_non_empty_line_trimmed() {
        assert_eq!(
            tail(b"one\nboom on stderr\n\n  \n").last_line().as_deref(),
            Some("boom on stderr")
        );
        assert_eq!(
            tail(b"no newline").last_line().as_deref(),
            Some("no newline")
        );
        assert_eq!(tail(b"crlf\r\n").last_line().as_deref(), Some("crlf"));
        assert_eq!(tail(b"\n \n\t\n").last_line(), None);
        assert_eq!(tail(b"").last_line(), None);
    }

    #[test]
    fn control_characters_are_escaped() {
        let line = tail(b"a\x1b[31mred\tb\rc\n").last_line().unwrap();
        assert_eq!(line, "a\\u{1b}[31mred\\tb\\rc");
        assert_eq!(
            tail("é \u{7f}\n".as_bytes()).last_line().unwrap(),
            "é \\u{7f}"
        );
        assert_eq!(
            tail(b"bad \xff utf8").last_line().unwrap(),
            "bad \u{fffd} utf8"
        );
    }

    #[test]
    fn long_lines_are_capped_at_200_characters() {
        let exact = "x".repeat(200);
        assert_eq!(quote(&exact, false), exact);
        let long = quote(&"y".repeat(201), false);
        assert_eq!(long.chars().count(), 200);
        assert!(long.ends_with("y…"));
        // An escape is never cut in half.
        let escapes = quote(&format!("{}\x1b\x1b", "z".repeat(195)), false);
        assert!(escapes.chars().count() <= 200, "{escapes}");
        assert!(escapes.ends_with("z…"), "{escapes}");
    }

    #[test]
    fn only_the_tail_is_kept() {
        let mut tail = Tail::default();
        for _ in 0..10_000 {
            tail.push(b"noise line\n");
        }
        tail.push(b"the end\n");
        assert!(tail.bytes.len() <= 2 * TAIL);
        assert_eq!(tail.last_line().as_deref(), Some("the end"));
        let mut huge = Tail::default();
        huge.push(&[b'q'; 3 * TAIL]);
        let line = huge.last_line().unwrap();
        assert!(line.starts_with("…q") && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), 200);
    }
}
