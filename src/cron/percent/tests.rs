use super::*;

/// Command fields run by Debian's cron daemon (3.0pl1-162, `cron -f`, a file in
/// `/etc/cron.d`, 2026-12-06) with `sh`, recording the arguments and stdin the command
/// got; cronie's `do_command.c` gives the same for each. (field, command, stdin)
const MEASURED: &[(&str, &str, Option<&str>)] = &[
    (r"rec a\%b", "rec a%b", None),
    ("rec a%b", "rec a", Some("b\n")),
    (r"rec a\\%b", r"rec a\\", Some("b\n")),
    (r"rec 'a\xb'", r"rec 'a\xb'", None),
    (r"rec 'a\%b'", "rec 'a%b'", None),
    (
        r"rec x%line1%line2\%still",
        "rec x",
        Some("line1\nline2%still\n"),
    ),
    (r"rec 'a\''\%b'", r"rec 'a\''%b'", None),
    (r"rec x%in\\%two\x", "rec x", Some("in\\%two\\x\n")),
    (r"rec '50\%'\%'!'", "rec '50%'%'!'", None),
    (r"rec x%trail\", "rec x", Some("trail\\\n")),
    ("rec x%abc%", "rec x", Some("abc\n")),
    ("rec x%", "rec x", Some("")),
    ("rec x%%", "rec x", Some("\n")),
    (r"rec x%a\\", "rec x", Some("a\\\\\n")),
    (r"rec x%\%", "rec x", Some("%\n")),
];

#[test]
fn reads_a_command_field_as_cron_does() {
    for (field, command, stdin) in MEASURED {
        let read = read(field);
        assert_eq!(read.command, *command, "{field}");
        assert_eq!(read.stdin.as_deref(), *stdin, "{field}");
    }
    // Where the two daemons differ: cronie keeps `\\` in the command, Debian's cron
    // made `'a\\\%b'` into `'a\%b'`. defer reads cronie's way and never writes `\\`.
    assert_eq!(read(r"rec 'a\\\%b'").command, r"rec 'a\\%b'");
}

/// The one word `sh` reads from `text` (single quotes and backslashes only).
fn sh_word(text: &str) -> String {
    let (mut out, mut quoted, mut chars) = (String::new(), false, text.chars());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (_, '\'') => quoted = !quoted,
            (false, '\\') => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn an_escaped_word_reaches_the_shell_unchanged_and_holds_no_double_backslash() {
    for word in [
        "50%", r"a\%b", r"\%%\\%", "it's 5%", r"a\", "%", r"a\\b", r"\\\\", r"x\'%", "%%%",
    ] {
        let quoted = format!("'{}'", word.replace('\'', r"'\''"));
        let written = escape(&quoted);
        assert!(!written.contains(r"\\"), "{word}: {written}");
        let read = read(&written);
        assert_eq!(read.stdin, None, "{word}: {written}");
        assert_eq!(sh_word(&read.command), word, "{word}: {written}");
    }
    assert_eq!(escape("'100%%'"), r"'100\%\%'");
    assert_eq!(escape(r"'a\%b'"), r"'a\''\%b'");
    assert_eq!(escape(r"'a\\b'"), r"'a\''\b'");
}
