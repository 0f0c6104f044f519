//! `CONTEXT.md` → reorient snapshot: lookup order and section parsing.
//!
//! [`locate`] finds the file (explicit inputs first, then implicit places),
//! [`parse`] turns its text into a [`Snapshot`] (pure), [`load`] does both.
//! Rules and the choices made where SPEC §8 is silent are in `docs/reorient.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{anyhow, bail, Context, Result};

/// The file name looked for in every implicit place.
const FILE_NAME: &str = "CONTEXT.md";

/// The snapshot a CONTEXT.md yields. Serialises with fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub summary: String,
    pub key_points: Vec<String>,
    pub artifacts: Vec<String>,
    pub constraints: Vec<String>,
    /// The file's path as found (display form).
    pub reoriented_from: String,
}

/// Where to look, all inputs explicit so tests never touch the real home or cwd.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// `--context-file`
    pub context_file: Option<PathBuf>,
    /// `--project NAME`
    pub project: Option<String>,
    /// `DEFER_CONTEXT_FILE`
    pub env_context_file: Option<PathBuf>,
    /// `$HOME`
    pub home: Option<PathBuf>,
    /// The current directory.
    pub cwd: PathBuf,
}

// ---------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------

/// Finds the CONTEXT.md per the lookup order; error names the path or the lookup that failed.
///
/// Explicit sources (`--context-file`, `--project`, `DEFER_CONTEXT_FILE`) are
/// final: if the named file is missing that is an error, with no fall-through.
/// Implicit sources fall through; if none exists the error lists every place.
pub fn locate(lookup: &Lookup) -> Result<PathBuf> {
    if let Some(path) = &lookup.context_file {
        if path.as_os_str().is_empty() {
            bail!("--context-file is empty; pass a path to a CONTEXT.md file");
        }
        return explicit(resolve(path, lookup), "--context-file");
    }
    if let Some(name) = &lookup.project {
        let path = project_file(lookup.home.as_deref(), name)?;
        return explicit(path, &format!("--project {name}"));
    }
    if let Some(path) = lookup.env_context_file.as_ref() {
        if !path.as_os_str().is_empty() {
            return explicit(resolve(path, lookup), "DEFER_CONTEXT_FILE");
        }
    }
    implicit(lookup)
}

/// locate + read (UTF-8; a non-UTF-8 or unreadable file is an error naming the path) + parse.
pub fn load(lookup: &Lookup) -> Result<Snapshot> {
    let path = locate(lookup)?;
    let text = read_utf8(&path)?;
    Ok(parse(&text, &path))
}

/// [`load`] for a caller that may not name arbitrary files (an MCP tool call, SPEC
/// §21): the file must be named CONTEXT.md and lie under `~/data/research`, checked on
/// the path as written (so a refused path says nothing about what exists there) and
/// again once `..` and symlinks are resolved; it is read through the checked open (a
/// regular file of the user's, never a FIFO), at most [`CONFINED_MAX_BYTES`].
pub fn load_confined(lookup: &Lookup) -> Result<Snapshot> {
    let home = lookup
        .home
        .as_deref()
        .ok_or_else(|| anyhow!("reorient needs a home directory, but HOME is not set"))?;
    let root = research_dir(home);
    let refuse = |path: &Path| {
        anyhow!(
            "context file {} refused: over MCP, reorient reads only a file named {FILE_NAME} \
             under {} (after resolving '..' and symlinks)",
            path.display(),
            root.display()
        )
    };
    if let Some(named) = &lookup.context_file {
        let written = normalise(&resolve(named, lookup));
        if !confined(&written, &normalise(&root)) {
            return Err(refuse(named));
        }
    }
    let path = locate(lookup)?;
    let real = path.canonicalize().map_err(|_| refuse(&path))?;
    match root.canonicalize() {
        Ok(real_root) if confined(&real, &real_root) => {}
        _ => return Err(refuse(&path)),
    }
    let file = crate::safe_fs::open_read(&real)?.ok_or_else(|| refuse(&path))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, CONFINED_MAX_BYTES + 1),
        &mut bytes,
    )
    .with_context(|| format!("cannot read context file {}", real.display()))?;
    if bytes.len() as u64 > CONFINED_MAX_BYTES {
        bail!(
            "context file {} is larger than {CONFINED_MAX_BYTES} bytes",
            real.display()
        );
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow!("context file is not valid UTF-8: {} ({e})", real.display()))?;
    Ok(parse(&text, &real))
}

/// The largest CONTEXT.md [`load_confined`] reads.
pub const CONFINED_MAX_BYTES: u64 = 1 << 20;

/// True when `path` is a file named CONTEXT.md inside `root`.
fn confined(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
        && path != root
        && path.file_name() == Some(std::ffi::OsStr::new(FILE_NAME))
}

/// `path` with `.` dropped and `..` taking away the component before it, without
/// touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn read_utf8(path: &Path) -> Result<String> {
    let bytes =
        fs::read(path).with_context(|| format!("cannot read context file {}", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|e| anyhow!("context file is not valid UTF-8: {} ({e})", path.display()))
}

/// Expands a leading `~` with `home`, then resolves a relative path against `cwd`.
fn resolve(path: &Path, lookup: &Lookup) -> PathBuf {
    let expanded = match (path.strip_prefix("~"), lookup.home.as_deref()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    };
    lookup.cwd.join(expanded)
}

/// An explicitly named file must exist as a file (a directory counts as missing).
fn explicit(path: PathBuf, origin: &str) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path)
    } else {
        bail!("context file not found: {} (from {origin})", path.display())
    }
}

fn research_dir(home: &Path) -> PathBuf {
    home.join("data").join("research")
}

fn projects_dir(home: &Path) -> PathBuf {
    research_dir(home).join("projects")
}

fn project_file(home: Option<&Path>, name: &str) -> Result<PathBuf> {
    validate_project(name)?;
    let home = home.ok_or_else(|| {
        anyhow!("--project {name} needs a home directory, but HOME is not set; pass --context-file")
    })?;
    Ok(projects_dir(home).join(name).join(FILE_NAME))
}

/// A project name is a single directory name: not empty, not `.`/`..`, no separators.
fn validate_project(name: &str) -> Result<()> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    if bad {
        bail!(
            "invalid project name {name:?}: must be a single directory name \
             (not empty, not '.' or '..', no '/' or '\\')"
        );
    }
    Ok(())
}

fn implicit(lookup: &Lookup) -> Result<PathBuf> {
    let mut looked = Vec::new();
    if let Some(home) = lookup.home.as_deref() {
        let projects = projects_dir(home);
        if let Some(path) = newest_project_file(&projects) {
            return Ok(path);
        }
        looked.push(projects.join("*").join(FILE_NAME));
        let research = research_dir(home).join(FILE_NAME);
        if research.is_file() {
            return Ok(research);
        }
        looked.push(research);
    }
    let local = lookup.cwd.join(FILE_NAME);
    if local.is_file() {
        return Ok(local);
    }
    looked.push(local);
    let places: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "no {FILE_NAME} found (looked in: {}); pass --context-file or --project, \
         or set DEFER_CONTEXT_FILE",
        places.join(", ")
    )
}

/// The most recently modified `<projects>/*/CONTEXT.md`; ties go to the
/// lexicographically greatest path. Hidden (`.`-prefixed) directories are
/// skipped, as a shell glob `*` would. An unreadable directory yields `None`.
fn newest_project_file(projects: &Path) -> Option<PathBuf> {
    fs::read_dir(projects)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| modified_file(entry.path().join(FILE_NAME)))
        .max()
        .map(|(_, path)| path)
}

/// `(mtime, path)` when `path` is a file (symlinks followed).
fn modified_file(path: PathBuf) -> Option<(SystemTime, PathBuf)> {
    let meta = fs::metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Some((mtime, path))
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// The closed set of sections a CONTEXT.md heading can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Text before the first heading.
    Preamble,
    Orientation,
    CurrentState,
    Constraints,
    OpenQuestions,
    AntiPatterns,
    Decisions,
    References,
    /// Any other heading: its items are ignored.
    Other,
}

impl Section {
    /// Maps a heading's title (without the `#`s) to its section.
    fn from_title(title: &str) -> Section {
        match normalise_title(title).as_str() {
            "orientation" | "what this is" | "overview" => Section::Orientation,
            "current state" | "state" | "status" => Section::CurrentState,
            "key constraints" | "constraints" | "key context" => Section::Constraints,
            "open questions" | "questions" => Section::OpenQuestions,
            "what we should not do" | "anti patterns" | "anti-patterns" => Section::AntiPatterns,
            "decisions already made" | "decisions" => Section::Decisions,
            "key references" | "references" => Section::References,
            _ => Section::Other,
        }
    }
}

/// Lower-cases, drops trailing `:`s, trims and collapses inner whitespace.
fn normalise_title(title: &str) -> String {
    let title = title.trim().trim_end_matches(':');
    let words: Vec<&str> = title.split_whitespace().collect();
    words.join(" ").to_lowercase()
}

/// Items of each section, in file order (repeated headings accumulate).
#[derive(Debug, Default, PartialEq, Eq)]
struct Sections {
    preamble: Vec<String>,
    orientation: Vec<String>,
    current_state: Vec<String>,
    constraints: Vec<String>,
    open_questions: Vec<String>,
    anti_patterns: Vec<String>,
    decisions: Vec<String>,
    references: Vec<String>,
}

impl Sections {
    fn push(&mut self, section: Section, item: &str) {
        let list = match section {
            Section::Preamble => &mut self.preamble,
            Section::Orientation => &mut self.orientation,
            Section::CurrentState => &mut self.current_state,
            Section::Constraints => &mut self.constraints,
            Section::OpenQuestions => &mut self.open_questions,
            Section::AntiPatterns => &mut self.anti_patterns,
            Section::Decisions => &mut self.decisions,
            Section::References => &mut self.references,
            Section::Other => return,
        };
        list.push(item.to_string());
    }
}

/// Pure: parse CONTEXT.md text into a snapshot; `source` fills reoriented_from (use source.display()).
pub fn parse(text: &str, source: &Path) -> Snapshot {
    snapshot(collect(text), source)
}

/// Walks the lines, tracking the current section and code fences. Lines
/// inside a fence are items verbatim (trimmed); the fence lines themselves are not.
fn collect(text: &str) -> Sections {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Sections::default();
    let mut section = Section::Preamble;
    let mut fence: Option<&str> = None;
    for line in skip_front_matter(text).map(str::trim) {
        if let Some(open) = fence {
            if line.starts_with(open) {
                fence = None;
            } else if !line.is_empty() {
                out.push(section, line);
            }
        } else if let Some(marker) = fence_marker(line) {
            fence = Some(marker);
        } else if line.is_empty() || is_rule(line) {
            continue;
        } else if let Some(title) = heading_title(line) {
            section = Section::from_title(title);
        } else if let Some(item) = item_text(line) {
            out.push(section, item);
        }
    }
    out
}

/// Lines of `text`, without a leading YAML front-matter block (`---` … `---`/`...`).
/// An unterminated block is not front matter.
fn skip_front_matter(text: &str) -> std::str::Lines<'_> {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) == Some("---") {
        let mut rest = lines.clone();
        if rest.any(|l| matches!(l.trim_end(), "---" | "...")) {
            return rest;
        }
    }
    text.lines()
}

/// `` ``` `` or `~~~` when the line opens or closes a code fence.
fn fence_marker(line: &str) -> Option<&'static str> {
    ["```", "~~~"].into_iter().find(|m| line.starts_with(m))
}

/// The title of an ATX heading (`#`..`######` then whitespace or end of line),
/// without an optional closing `#` sequence.
fn heading_title(line: &str) -> Option<&str> {
    let level = line.len() - line.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim();
    let unclosed = title.trim_end_matches('#');
    if unclosed.is_empty() || unclosed.ends_with([' ', '\t']) {
        Some(unclosed.trim_end())
    } else {
        Some(title)
    }
}

/// A thematic break: three or more of the same `-`, `*` or `_`, spaces allowed.
fn is_rule(line: &str) -> bool {
    let marks: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3 && ['-', '*', '_'].iter().any(|m| marks.iter().all(|c| c == m))
}

/// The item a (trimmed, non-empty) line carries, or `None` when it is empty
/// once its bullet/number marker and checkbox are stripped.
fn item_text(line: &str) -> Option<&str> {
    let body = strip_bullet(line)
        .or_else(|| strip_number(line))
        .unwrap_or(line);
    let body = strip_checkbox(body.trim()).trim();
    (!body.is_empty()).then_some(body)
}

/// `-`, `*` or `+` followed by whitespace (or alone).
fn strip_bullet(line: &str) -> Option<&str> {
    after_marker(line.strip_prefix(['-', '*', '+'])?)
}

/// 1–9 digits, then `.` or `)`, followed by whitespace (or alone).
fn strip_number(line: &str) -> Option<&str> {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if !(1..=9).contains(&digits) {
        return None;
    }
    after_marker(line[digits..].strip_prefix(['.', ')'])?)
}

/// What follows a list marker, if the marker really ends there.
fn after_marker(rest: &str) -> Option<&str> {
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// Drops a leading task-list box: `[ ]`, `[x]` or `[X]` followed by whitespace (or alone).
fn strip_checkbox(body: &str) -> &str {
    ["[ ]", "[x]", "[X]"]
        .into_iter()
        .find_map(|b| body.strip_prefix(b).and_then(after_marker))
        .unwrap_or(body)
}

/// Builds the snapshot from collected sections.
fn snapshot(s: Sections, source: &Path) -> Snapshot {
    let file_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_string());
    let summary = s
        .orientation
        .first()
        .or(s.preamble.first())
        .cloned()
        .unwrap_or_else(|| format!("Reoriented from {file_name}"));
    let mut key_points = s.current_state;
    if key_points.is_empty() {
        // The contract's literal text, whatever the file is called.
        key_points.push("Context re-read from CONTEXT.md".to_string());
    }
    key_points.extend(prefixed("Open question", s.open_questions));
    let mut constraints = s.constraints;
    constraints.extend(prefixed("Decision", s.decisions));
    constraints.extend(prefixed("Avoid", s.anti_patterns));
    Snapshot {
        summary,
        key_points,
        artifacts: s.references,
        constraints,
        reoriented_from: source.display().to_string(),
    }
}

fn prefixed(label: &str, items: Vec<String>) -> impl Iterator<Item = String> + '_ {
    items
        .into_iter()
        .map(move |item| format!("{label}: {item}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::time::Duration;

    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/context")
            .join(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn parse_fixture(name: &str) -> Snapshot {
        parse(&fixture(name), Path::new(name))
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    // --- headings -------------------------------------------------------

    /// Every alias, at every level, in three casings, with and without `:`,
    /// lands its item in the right snapshot field.
    #[test]
    fn every_alias_at_every_level_maps_to_its_section() {
        let aliases: [(&[&str], &str); 7] = [
            (&["orientation", "what this is", "overview"], "summary"),
            (&["current state", "state", "status"], "state"),
            (
                &["key constraints", "constraints", "key context"],
                "constraint",
            ),
            (&["open questions", "questions"], "question"),
            (
                &["what we should not do", "anti patterns", "anti-patterns"],
                "avoid",
            ),
            (&["decisions already made", "decisions"], "decision"),
            (&["key references", "references"], "reference"),
        ];
        for (names, kind) in aliases {
            for name in names {
                let title_case: String = name
                    .split(' ')
                    .map(|w| w[..1].to_uppercase() + &w[1..])
                    .collect::<Vec<_>>()
                    .join(" ");
                for title in [name.to_string(), name.to_uppercase(), title_case] {
                    for colon in ["", ":"] {
                        for level in 1..=6 {
                            let text =
                                format!("{} {title}{colon}  \n- the item\n", "#".repeat(level));
                            let snap = parse(&text, Path::new("CONTEXT.md"));
                            let ok = match kind {
                                "summary" => snap.summary == "the item",
                                "state" => snap.key_points == ["the item"],
                                "constraint" => snap.constraints == ["the item"],
                                "question" => snap.key_points[1] == "Open question: the item",
                                "avoid" => snap.constraints == ["Avoid: the item"],
                                "decision" => snap.constraints == ["Decision: the item"],
                                "reference" => snap.artifacts == ["the item"],
                                _ => unreachable!(),
                            };
                            assert!(ok, "{text:?} -> {snap:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn aliases_fixture_accumulates_every_alias_in_order() {
        let s = collect(&fixture("aliases.md"));
        let expected = Sections {
            preamble: vec![],
            orientation: strings(&["orientation item", "what-this-is item", "overview item"]),
            current_state: strings(&["current-state item", "state item", "status item"]),
            constraints: strings(&[
                "key-constraints item",
                "constraints item",
                "key-context item",
            ]),
            open_questions: strings(&["open-questions item", "questions item"]),
            anti_patterns: strings(&[
                "what-we-should-not-do item",
                "anti-patterns item",
                "anti-hyphen item",
            ]),
            decisions: strings(&["decisions-already-made item", "decisions item"]),
            references: strings(&["key-references item", "references item"]),
        };
        assert_eq!(s, expected);
    }

    #[test]
    fn heading_needs_one_to_six_hashes_then_space() {
        assert_eq!(heading_title("# State"), Some("State"));
        assert_eq!(heading_title("###### State"), Some("State"));
        assert_eq!(heading_title("#\tState"), Some("State"));
        assert_eq!(heading_title("## State ##"), Some("State"));
        assert_eq!(heading_title("## C#"), Some("C#"));
        assert_eq!(heading_title("#"), Some(""));
        assert_eq!(heading_title("####### State"), None);
        assert_eq!(heading_title("#State"), None);
        assert_eq!(
            Section::from_title("  Current   State :: "),
            Section::CurrentState
        );
        assert_eq!(Section::from_title("State of the art"), Section::Other);
        assert_eq!(Section::from_title("antipatterns"), Section::Other);
    }

    // --- items ----------------------------------------------------------

    #[test]
    fn every_item_form_is_recognised() {
        let snap = parse_fixture("item_forms.md");
        let expected = strings(&[
            "dash item",
            "star item",
            "plus item",
            "numbered dot item",
            "numbered paren item",
            "plain line item",
            "padded dash item",
            "nested item",
            "open task",
            "done task",
            "shouted done task",
            "-dash without space",
            "+5 is not a bullet",
            "10.5 is not a numbered item",
            "#hashtag is not a heading",
            "# fenced line is an item, not a heading",
            "- fenced bullet kept verbatim",
            "tilde fenced",
            "last item",
        ]);
        assert_eq!(snap.key_points, expected);
    }

    #[test]
    fn rules_are_not_items() {
        for rule in ["---", "***", "___", "- - -", "* * *", "-----"] {
            assert!(is_rule(rule), "{rule}");
        }
        for not_rule in ["--", "-*-", "- x -", "--- x"] {
            assert!(!is_rule(not_rule), "{not_rule}");
        }
    }

    #[test]
    fn unterminated_fence_keeps_the_rest_as_items() {
        let snap = parse("## State\n```\n## Orientation\n- x\n", Path::new("c.md"));
        assert_eq!(snap.key_points, ["## Orientation", "- x"]);
        assert_eq!(snap.summary, "Reoriented from c.md");
    }

    // --- whole files ----------------------------------------------------

    #[test]
    fn full_file_maps_to_snapshot() {
        let snap = parse(&fixture("full.md"), Path::new("/p/demo/CONTEXT.md"));
        let expected = Snapshot {
            summary: "A CLI that schedules work for later.".into(),
            key_points: strings(&[
                "Parser done",
                "Lookup half done",
                "Tests pending",
                "Open question: Which timezone by default?",
            ]),
            artifacts: strings(&["docs/SPEC.md", "src/reorient.rs"]),
            constraints: strings(&[
                "No new dependencies",
                "Decision: JSONL store",
                "Decision: cron runs it",
                "Avoid: touch /work/main",
            ]),
            reoriented_from: "/p/demo/CONTEXT.md".into(),
        };
        assert_eq!(snap, expected);
    }

    #[test]
    fn empty_sections_give_defaults() {
        let snap = parse(&fixture("empty_sections.md"), Path::new("/x/CONTEXT.md"));
        assert_eq!(snap.summary, "Reoriented from CONTEXT.md");
        assert_eq!(snap.key_points, ["Context re-read from CONTEXT.md"]);
        assert!(snap.artifacts.is_empty());
        assert!(snap.constraints.is_empty());
    }

    #[test]
    fn questions_follow_default_key_point() {
        let snap = parse("## Questions\n- why?\n", Path::new("CONTEXT.md"));
        assert_eq!(
            snap.key_points,
            ["Context re-read from CONTEXT.md", "Open question: why?"]
        );
    }

    #[test]
    fn no_headings_uses_first_item_as_summary() {
        let snap = parse_fixture("no_headings.md");
        assert_eq!(snap.summary, "first bullet becomes the summary");
        assert_eq!(snap.key_points, ["Context re-read from CONTEXT.md"]);
        assert!(snap.artifacts.is_empty() && snap.constraints.is_empty());
    }

    #[test]
    fn preamble_only_uses_first_line_trimmed() {
        let snap = parse_fixture("preamble_only.md");
        assert_eq!(
            snap.summary,
            "This project reorients agents from a CONTEXT.md file."
        );
    }

    #[test]
    fn orientation_beats_preamble_and_other_sections_are_ignored() {
        let text = "Preamble\n## Notes\n- ignored\n## Overview\n- the real summary\n";
        let snap = parse(text, Path::new("CONTEXT.md"));
        assert_eq!(snap.summary, "the real summary");
        let snap = parse("## Notes\n- ignored\n", Path::new("CONTEXT.md"));
        assert_eq!(snap.summary, "Reoriented from CONTEXT.md");
    }

    #[test]
    fn empty_file_gives_all_defaults() {
        let snap = parse(&fixture("empty.md"), Path::new("/a/b/CONTEXT.md"));
        let expected = Snapshot {
            summary: "Reoriented from CONTEXT.md".into(),
            key_points: strings(&["Context re-read from CONTEXT.md"]),
            artifacts: vec![],
            constraints: vec![],
            reoriented_from: "/a/b/CONTEXT.md".into(),
        };
        assert_eq!(snap, expected);
    }

    #[test]
    fn crlf_line_endings_work() {
        let text = fixture("crlf.md");
        assert!(text.contains("\r\n"), "fixture lost its CRLF endings");
        let snap = parse(&text, Path::new("crlf.md"));
        assert_eq!(snap.summary, "crlf summary");
        assert_eq!(snap.key_points, ["crlf state one", "crlf state two"]);
        assert_eq!(snap.artifacts, ["crlf ref"]);
    }

    #[test]
    fn leading_bom_is_stripped() {
        let text = fixture("bom.md");
        assert!(text.starts_with('\u{feff}'), "fixture lost its BOM");
        let snap = parse(&text, Path::new("bom.md"));
        assert_eq!(snap.summary, "summary after a BOM");
        assert_eq!(snap.key_points, ["bom state"]);
    }

    #[test]
    fn front_matter_is_skipped() {
        let snap = parse_fixture("front_matter.md");
        assert_eq!(snap.summary, "Preamble after front matter.");
        assert_eq!(snap.key_points, ["ok"]);
        // Unterminated: the first `---` is a rule, the rest are items.
        let snap = parse("---\ntitle: x\n", Path::new("CONTEXT.md"));
        assert_eq!(snap.summary, "title: x");
    }

    #[test]
    fn snapshot_serialises_fields_in_order() {
        let snap = parse("# Status\n- s\n", Path::new("CONTEXT.md"));
        let json = serde_json::to_string(&snap).expect("serialise");
        assert_eq!(
            json,
            r#"{"summary":"Reoriented from CONTEXT.md","key_points":["s"],"artifacts":[],"constraints":[],"reoriented_from":"CONTEXT.md"}"#
        );
    }

    // --- lookup ---------------------------------------------------------

    struct Env {
        _dir: tempfile::TempDir,
        home: PathBuf,
        cwd: PathBuf,
    }

    impl Env {
        fn new() -> Env {
            let dir = tempfile::tempdir().expect("tempdir");
            let home = dir.path().join("home");
            let cwd = dir.path().join("work");
            fs::create_dir_all(&home).expect("home");
            fs::create_dir_all(&cwd).expect("cwd");
            Env {
                _dir: dir,
                home,
                cwd,
            }
        }

        fn lookup(&self) -> Lookup {
            Lookup {
                home: Some(self.home.clone()),
                cwd: self.cwd.clone(),
                ..Lookup::default()
            }
        }

        fn project(&self, name: &str) -> PathBuf {
            self.home
                .join("data/research/projects")
                .join(name)
                .join(FILE_NAME)
        }

        fn research(&self) -> PathBuf {
            self.home.join("data/research").join(FILE_NAME)
        }
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn set_mtime(path: &Path, secs: u64) {
        let file = File::options().write(true).open(path).expect("open");
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        file.set_modified(time).expect("set_modified");
    }

    fn err(lookup: &Lookup) -> String {
        format!("{:#}", locate(lookup).expect_err("expected an error"))
    }

    #[test]
    fn confined_reads_only_context_md_under_research() {
        let env = Env::new();
        let inside = env.project("p");
        write(&inside, "# Orientation\n- inside\n");
        let secret = env.home.join(".env");
        write(&secret, "API_KEY=hunter2\n");
        let outside = env.cwd.join(FILE_NAME);
        write(&outside, "- outside\n");
        let with = |file: &Path| Lookup {
            context_file: Some(file.to_path_buf()),
            ..env.lookup()
        };
        let ok = load_confined(&with(&inside)).expect("inside");
        assert_eq!(ok.summary, "inside");
        let dotted = env.home.join("data/research/projects/p/../p/CONTEXT.md");
        assert_eq!(
            load_confined(&with(&dotted)).expect("dots").summary,
            "inside"
        );
        let link = env.project("link");
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let escape = env.home.join("data/research/../../work/CONTEXT.md");
        let missing = env.home.join("nowhere/CONTEXT.md");
        for path in [&secret, &outside, &link, &escape, &missing] {
            let msg = format!("{:#}", load_confined(&with(path)).expect_err("refused"));
            assert!(
                msg.contains("refused: over MCP"),
                "{}: {msg}",
                path.display()
            );
            assert!(
                !msg.contains("hunter2") && !msg.contains("not found"),
                "{msg}"
            );
        }
        // The implicit places obey the same rule: ./CONTEXT.md is outside.
        fs::remove_dir_all(env.home.join("data/research/projects")).unwrap();
        let msg = format!("{:#}", load_confined(&env.lookup()).expect_err("refused"));
        assert!(msg.contains("refused: over MCP"), "{msg}");
        assert_eq!(
            load(&env.lookup()).expect("the CLI reads it").summary,
            "outside"
        );
    }

    #[test]
    fn lookup_order_each_source_beats_the_next() {
        let env = Env::new();
        let explicit = env.cwd.join("notes/explicit.md");
        let env_file = env.home.join("env.md");
        let old = env.project("old");
        let new = env.project("new");
        let research = env.research();
        let local = env.cwd.join(FILE_NAME);
        for path in [&explicit, &env_file, &old, &new, &research, &local] {
            write(path, "x");
        }
        set_mtime(&old, 1_000);
        set_mtime(&new, 2_000);

        let mut lookup = env.lookup();
        lookup.context_file = Some(explicit.clone());
        lookup.project = Some("old".into());
        lookup.env_context_file = Some(env_file.clone());
        assert_eq!(locate(&lookup).expect("explicit"), explicit);

        lookup.context_file = None;
        assert_eq!(locate(&lookup).expect("project"), old);

        lookup.project = None;
        assert_eq!(locate(&lookup).expect("env"), env_file);

        lookup.env_context_file = None;
        assert_eq!(locate(&lookup).expect("newest project"), new);

        fs::remove_dir_all(env.home.join("data/research/projects")).expect("rm");
        assert_eq!(locate(&lookup).expect("research"), research);

        fs::remove_file(&research).expect("rm");
        assert_eq!(locate(&lookup).expect("cwd"), local);
    }

    #[test]
    fn newest_project_wins_regardless_of_name() {
        let env = Env::new();
        let (a, b, c) = (env.project("a"), env.project("b"), env.project("c"));
        for p in [&a, &b, &c] {
            write(p, "x");
        }
        set_mtime(&a, 3_000);
        set_mtime(&b, 1_000);
        set_mtime(&c, 2_000);
        assert_eq!(locate(&env.lookup()).expect("newest"), a);
    }

    #[test]
    fn mtime_tie_picks_greatest_path() {
        let env = Env::new();
        let (a, b) = (env.project("alpha"), env.project("beta"));
        for p in [&b, &a] {
            write(p, "x");
            set_mtime(p, 5_000);
        }
        assert_eq!(locate(&env.lookup()).expect("tie"), b);
    }

    #[test]
    fn hidden_and_non_file_projects_are_skipped() {
        let env = Env::new();
        let hidden = env.project(".archive");
        let dir_named_context = env.project("weird");
        let real = env.project("real");
        write(&hidden, "x");
        write(&real, "x");
        fs::create_dir_all(&dir_named_context).expect("mkdir");
        fs::write(env.home.join("data/research/projects/stray.md"), "x").expect("write");
        set_mtime(&hidden, 9_000);
        set_mtime(&real, 1_000);
        assert_eq!(locate(&env.lookup()).expect("real"), real);
    }

    #[test]
    fn directory_named_context_md_is_missing() {
        let env = Env::new();
        fs::create_dir_all(env.research()).expect("mkdir");
        fs::create_dir_all(env.cwd.join(FILE_NAME)).expect("mkdir");
        let msg = err(&env.lookup());
        assert!(msg.starts_with("no CONTEXT.md found"), "{msg}");

        let mut lookup = env.lookup();
        lookup.context_file = Some(env.research());
        let msg = err(&lookup);
        let want = format!(
            "context file not found: {} (from --context-file)",
            env.research().display()
        );
        assert_eq!(msg, want);
    }

    #[test]
    fn explicit_missing_sources_error_without_fall_through() {
        let env = Env::new();
        write(&env.cwd.join(FILE_NAME), "fallback exists");
        write(&env.project("other"), "fallback exists");

        let missing = env.cwd.join("nope/CONTEXT.md");
        let mut lookup = env.lookup();
        lookup.context_file = Some(missing.clone());
        let want = format!(
            "context file not found: {} (from --context-file)",
            missing.display()
        );
        assert_eq!(err(&lookup), want);

        let mut lookup = env.lookup();
        lookup.project = Some("demo".into());
        let want = format!(
            "context file not found: {} (from --project demo)",
            env.project("demo").display()
        );
        assert_eq!(err(&lookup), want);

        let mut lookup = env.lookup();
        lookup.env_context_file = Some(missing.clone());
        let want = format!(
            "context file not found: {} (from DEFER_CONTEXT_FILE)",
            missing.display()
        );
        assert_eq!(err(&lookup), want);
    }

    #[test]
    fn none_found_lists_every_place() {
        let env = Env::new();
        let want = format!(
            "no CONTEXT.md found (looked in: {}, {}, {}); pass --context-file or --project, \
             or set DEFER_CONTEXT_FILE",
            env.home
                .join("data/research/projects/*/CONTEXT.md")
                .display(),
            env.research().display(),
            env.cwd.join(FILE_NAME).display()
        );
        assert_eq!(err(&env.lookup()), want);
    }

    #[test]
    fn missing_home_skips_home_sources() {
        let env = Env::new();
        write(&env.research(), "x");
        let mut lookup = env.lookup();
        lookup.home = None;
        let want = format!(
            "no CONTEXT.md found (looked in: {}); pass --context-file or --project, \
             or set DEFER_CONTEXT_FILE",
            env.cwd.join(FILE_NAME).display()
        );
        assert_eq!(err(&lookup), want);

        write(&env.cwd.join(FILE_NAME), "x");
        assert_eq!(locate(&lookup).expect("cwd"), env.cwd.join(FILE_NAME));

        lookup.project = Some("demo".into());
        let msg = err(&lookup);
        assert!(
            msg.contains("--project demo") && msg.contains("HOME"),
            "{msg}"
        );
    }

    #[test]
    fn bad_project_names_are_rejected() {
        let env = Env::new();
        write(&env.research(), "x");
        for name in ["", ".", "..", "a/b", "../x", "a\\b", "/abs"] {
            let mut lookup = env.lookup();
            lookup.project = Some(name.into());
            let msg = err(&lookup);
            assert!(msg.starts_with("invalid project name"), "{name:?}: {msg}");
        }
        let mut lookup = env.lookup();
        lookup.project = Some("ok.name-1".into());
        write(&env.project("ok.name-1"), "x");
        assert_eq!(locate(&lookup).expect("ok"), env.project("ok.name-1"));
    }

    #[test]
    fn relative_and_tilde_paths_resolve_against_cwd_and_home() {
        let env = Env::new();
        let rel = env.cwd.join("sub/CTX.md");
        let tilde = env.home.join("t/CONTEXT.md");
        write(&rel, "x");
        write(&tilde, "x");
        let mut lookup = env.lookup();
        lookup.context_file = Some(PathBuf::from("sub/CTX.md"));
        assert_eq!(locate(&lookup).expect("relative"), rel);
        lookup.context_file = None;
        lookup.env_context_file = Some(PathBuf::from("~/t/CONTEXT.md"));
        assert_eq!(locate(&lookup).expect("tilde"), tilde);
    }

    #[test]
    fn empty_env_var_is_unset_but_empty_flag_is_an_error() {
        let env = Env::new();
        write(&env.cwd.join(FILE_NAME), "x");
        let mut lookup = env.lookup();
        lookup.env_context_file = Some(PathBuf::new());
        assert_eq!(locate(&lookup).expect("cwd"), env.cwd.join(FILE_NAME));
        lookup.context_file = Some(PathBuf::new());
        assert!(err(&lookup).contains("--context-file is empty"));
    }

    #[test]
    fn load_reads_parses_and_records_the_path() {
        let env = Env::new();
        let path = env.project("demo");
        write(&path, &fixture("full.md"));
        let mut lookup = env.lookup();
        lookup.project = Some("demo".into());
        let snap = load(&lookup).expect("load");
        assert_eq!(snap.summary, "A CLI that schedules work for later.");
        assert_eq!(snap.reoriented_from, path.display().to_string());
    }

    #[test]
    fn non_utf8_file_errors_naming_the_path() {
        let env = Env::new();
        let path = env.cwd.join(FILE_NAME);
        fs::write(&path, b"# Status\n- \xff\xfe bad\n").expect("write");
        let msg = format!("{:#}", load(&env.lookup()).expect_err("non-utf8"));
        let want = format!("context file is not valid UTF-8: {}", path.display());
        assert!(msg.starts_with(&want), "{msg}");
    }

    #[test]
    fn unreadable_file_errors_naming_the_path() {
        let env = Env::new();
        let gone = env.cwd.join("gone.md");
        let msg = format!("{:#}", read_utf8(&gone).expect_err("missing"));
        let want = format!("cannot read context file {}", gone.display());
        assert!(msg.starts_with(&want), "{msg}");
    }
}
