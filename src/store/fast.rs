//! A fast, allocation-free reading of one store line for the scan: checks that the
//! line is a record and takes the few fields a scan keeps (id, status, `run_at`, the
//! archive stamp, key), without building a `Task`.
//!
//! It is conservative, never a second opinion: `read` answers `Some` only for a line
//! that the full parse (`store::parse_record`) accepts, with the same fields, and
//! `None` ("not sure") for everything else, which then takes the full parse. So the
//! store accepts exactly what `Task` accepts, by construction. "Not sure" covers every
//! key it does not know inside the record's objects, a top-level key `Task` does not
//! keep among its unknown fields (a field added to `Task` after this reader: `Task`
//! itself is asked, `extra_key`), a duplicate key, an escaped key or id or timestamp,
//! any `\u` escape of a surrogate, a control byte anywhere in the line, numbers other
//! than plain integers (non-negative where `Task` counts), enums in any form but a
//! plain string, and nesting it does not expect. A differential test (`tests`)
//! compares it with the full parse on valid records and on many mutations of them.

use memchr::memchr2;

use crate::task::fields::{fast_index, FAST_FIELDS, FAST_REQUIRED};
use crate::task::{is_valid_id, AuraLevel, Backoff, ClosedSet, Intent, Mode, ResultType, Status};
use crate::timestamp::Timestamp;

/// What a scan keeps of a record line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub id: &'a str,
    pub status: Status,
    pub run_at: Timestamp,
    pub archive_stamp: Timestamp,
    pub key: Option<&'a str>,
}

/// The fields of `line` when it is certainly a record; `None` when not sure.
pub fn read(line: &[u8]) -> Option<Fields<'_>> {
    // serde_json refuses control bytes inside strings; outside them this reader sees
    // none in what `defer` writes, so a line with any is left to the full parse.
    let text = match ascii_class(line) {
        Class::Control => return None,
        Class::Ascii => {
            // SAFETY: every byte is below 0x80, so the bytes are UTF-8.
            unsafe { std::str::from_utf8_unchecked(line) }
        }
        Class::Wide => std::str::from_utf8(line).ok()?,
    };
    let mut p = Cursor {
        b: text.as_bytes(),
        s: text,
        i: 0,
    };
    let fields = p.task()?;
    p.ws();
    (p.i == p.b.len()).then_some(fields)
}

/// True when `Task` keeps the top-level key `key` among its unknown fields
/// (`extra`), i.e. it is no field of `Task` (one added after this reader included):
/// asked of `Task` itself with a minimal record holding `"key": null`, once per key
/// name per process.
fn extra_key(key: &str) -> bool {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static ASKED: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
    }
    if let Some(known) = ASKED.with(|a| a.borrow().get(key).copied()) {
        return known;
    }
    let Ok(quoted) = serde_json::to_string(key) else {
        return false;
    };
    let probe = format!(
        r#"{{"id":"a","created_at":"2026-01-01T00:00:00Z","run_at":"2026-01-01T00:00:00Z","context":{{"summary":""}},"execution":{{"mode":"fresh","prompt_template":"","aura_level":"low"}},"status":"scheduled",{quoted}:null}}"#
    );
    let extra = serde_json::from_str::<crate::task::Task>(&probe)
        .is_ok_and(|task| task.extra.get(key) == Some(&serde_json::Value::Null));
    // Bounded: a store with endless distinct unknown keys just asks again.
    ASKED.with(|a| {
        let mut asked = a.borrow_mut();
        if asked.len() < 256 {
            asked.insert(key.to_string(), extra);
        }
    });
    extra
}

/// A fast hash for task ids in the scan's index (the std SipHash was a tenth of a
/// scan). Ids come from the store, which is trusted like a crontab (SPEC §11), so
/// hash flooding is not a concern here.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildIdHasher;

impl std::hash::BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// FxHash's mixing, eight bytes at a time.
#[derive(Debug)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

enum Class {
    /// A byte below 0x20 (serde_json refuses them inside strings; `defer` writes
    /// none outside them), so "not sure".
    Control,
    Ascii,
    /// Some byte of 0x80 or more: UTF-8 to be checked.
    Wide,
}

/// One branch-free pass over the line (vectorised by the compiler).
fn ascii_class(line: &[u8]) -> Class {
    let (control, wide) = line.iter().fold((0u8, 0u8), |(c, w), &b| {
        (c | u8::from(b < 0x20), w | (b & 0x80))
    });
    match (control, wide) {
        (0, 0) => Class::Ascii,
        (0, _) => Class::Wide,
        _ => Class::Control,
    }
}

/// Short-string equality without a call to `memcmp`.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

struct Cursor<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

/// The top-level fields this reader reads (`task::fields`' `FAST` class), in the
/// record's order, as bits for duplicate and required-field checks; each one's index,
/// fixed at compile time.
const TOP: [&str; FAST_FIELDS.len()] = FAST_FIELDS;
const ID: usize = fast_index("id");
const CREATED_AT: usize = fast_index("created_at");
const RUN_AT: usize = fast_index("run_at");
const TYPE: usize = fast_index("type");
const INTENT: usize = fast_index("intent");
const CONTEXT: usize = fast_index("context");
const EXECUTION: usize = fast_index("execution");
const STATUS: usize = fast_index("status");
const ATTEMPTS: usize = fast_index("attempts");
const MAX_RETRIES: usize = fast_index("max_retries");
const REORIENT_REQUESTED: usize = fast_index("reorient_requested");
const REORIENT: usize = fast_index("reorient");
const KEY: usize = fast_index("key");
const RETRY: usize = fast_index("retry");
const STARTED_AT: usize = fast_index("started_at");
const COMPLETED_AT: usize = fast_index("completed_at");
const FAILED_AT: usize = fast_index("failed_at");
const CANCELLED_AT: usize = fast_index("cancelled_at");
const CANCEL_REASON: usize = fast_index("cancel_reason");
const LAST_ATTEMPT_AT: usize = fast_index("last_attempt_at");
const LAST_ERROR: usize = fast_index("last_error");
const ERROR: usize = fast_index("error");
const RESULT: usize = fast_index("result");
const RESCHEDULED_FROM: usize = fast_index("rescheduled_from");
const EXECUTOR: usize = fast_index("executor");

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.ws();
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word.as_bytes()).then(|| self.i = end)?;
        // `truex` or `nullable` are not literals.
        match self.b.get(self.i) {
            Some(c) if c.is_ascii_alphanumeric() => None,
            _ => Some(()),
        }
    }

    /// `null`, consumed, or `false` without moving.
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal("null").is_some()
    }

    /// A JSON string; returns its raw contents and whether it had escapes. Escapes are
    /// checked; a `\u` escape of a surrogate is "not sure".
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let at = self.i + memchr2(b'"', b'\\', &self.b[self.i..])?;
            if self.b[at] == b'"' {
                self.i = at + 1;
                return Some((&self.s[start..at], escaped));
            }
            escaped = true;
            match *self.b.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i = at + 2,
                b'u' => {
                    let hex = self.s.get(at + 2..at + 6)?;
                    if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                        return None;
                    }
                    let unit = u32::from_str_radix(hex, 16).ok()?;
                    if (0xD800..=0xDFFF).contains(&unit) {
                        return None;
                    }
                    self.i = at + 6;
                }
                _ => return None,
            }
        }
    }

    /// An object key or another short string without escapes, found by a plain loop
    /// (a `memchr` call costs more on a few bytes); an escape is "not sure".
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        Some(&self.s[start..self.i - 1])
    }

    /// A string without escapes (one whose value is read: ids, timestamps, names;
    /// all short, so found by the same plain loop as keys).
    fn plain(&mut self) -> Option<&'a str> {
        self.key()
    }

    fn opt_string(&mut self) -> Option<()> {
        if !self.null() {
            self.string()?;
        }
        Some(())
    }

    fn strings(&mut self) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.string()?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn boolean(&mut self) -> Option<()> {
        match self.peek()? {
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            _ => None,
        }
    }

    fn opt_boolean(&mut self) -> Option<()> {
        if !self.null() {
            self.boolean()?;
        }
        Some(())
    }

    /// A plain non-negative integer up to `max` (no sign, fraction or exponent).
    fn integer(&mut self, max: u64) -> Option<()> {
        self.ws();
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d) = self.b.get(self.i).filter(|d| d.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let digits = self.i - start;
        let leading_zero = digits > 1 && self.b[start] == b'0';
        let more = matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E' | b'-' | b'+'));
        (digits > 0 && !leading_zero && !more && n <= max).then_some(())
    }

    fn opt_integer(&mut self, max: u64) -> Option<()> {
        if !self.null() {
            self.integer(max)?;
        }
        Some(())
    }

    fn closed<T: ClosedSet>(&mut self) -> Option<T> {
        T::from_name(self.plain()?)
    }

    fn timestamp(&mut self) -> Option<Timestamp> {
        Timestamp::parse(self.plain()?)
    }

    fn opt_timestamp(&mut self) -> Option<Option<Timestamp>> {
        match self.null() {
            true => Some(None),
            false => self.timestamp().map(Some),
        }
    }

    /// An object of known keys: `field(index of the key in names, cursor)` reads each
    /// value; an unknown, duplicate or escaped key is "not sure", and so is a missing
    /// key whose bit is in `required`. `extra`: the object is the record itself, whose
    /// unknown fields `Task` keeps (see `extra_key`).
    fn object(
        &mut self,
        names: &[&str],
        required: u64,
        extra: bool,
        mut field: impl FnMut(usize, &mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        let mut seen = 0u64;
        // Records keep their fields in order: try the one after the last first.
        let mut next = 0;
        if self.eat(b'}').is_none() {
            loop {
                let key = self.key()?;
                let index = match names.get(next) {
                    Some(n) if same(n, key) => Some(next),
                    _ => names.iter().position(|n| same(n, key)),
                };
                match index {
                    Some(index) => {
                        next = index + 1;
                        if seen & (1 << index) != 0 {
                            return None;
                        }
                        seen |= 1 << index;
                        self.eat(b':')?;
                        field(index, self)?;
                    }
                    // Only at the top level, and only for a key `Task` itself keeps
                    // among its unknown fields (`extra`): any JSON value goes there.
                    None if extra && extra_key(key) => {
                        self.eat(b':')?;
                        self.value(0)?;
                    }
                    None => return None,
                }
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (seen & required == required).then_some(())
    }

    /// Any JSON value serde_json reads into a `Value`, conservatively: integers of at
    /// most 18 digits (no fraction or exponent, which could overflow), strings as
    /// `string` checks them, nesting at most 32 deep.
    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > 32 {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'-' => {
                self.i += 1;
                self.digits()
            }
            b'0'..=b'9' => self.digits(),
            _ => None,
        }
    }

    /// At most 18 digits, no leading zero, not followed by a fraction or exponent.
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let n = self.i - start;
        let leading_zero = n > 1 && self.b[start] == b'0';
        let more = matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E' | b'-' | b'+'));
        (n > 0 && n <= 18 && !leading_zero && !more).then_some(())
    }

    fn opt_object(
        &mut self,
        names: &[&str],
        required: u64,
        field: impl FnMut(usize, &mut Self) -> Option<()>,
    ) -> Option<()> {
        match self.null() {
            true => Some(()),
            false => self.object(names, required, false, field),
        }
    }

    fn task(&mut self) -> Option<Fields<'a>> {
        let mut id = None;
        let mut created_at = None;
        let mut run_at = None;
        let mut status = None;
        let mut key = None;
        let mut ended = [None; 3];
        // Those the full parse requires: id, created_at, run_at, context, execution, status.
        self.object(&TOP, FAST_REQUIRED, true, |index, p| {
            match index {
                ID => id = Some(p.plain().filter(|id| is_valid_id(id))?),
                CREATED_AT => created_at = Some(p.timestamp()?),
                RUN_AT => run_at = Some(p.timestamp()?),
                TYPE => {
                    p.string()?;
                }
                INTENT => {
                    p.closed::<Intent>()?;
                }
                CONTEXT => p.context()?,
                EXECUTION => p.execution()?,
                STATUS => status = Some(p.closed::<Status>()?),
                ATTEMPTS | MAX_RETRIES => p.integer(u64::from(u32::MAX))?,
                REORIENT_REQUESTED => p.boolean()?,
                REORIENT => p.reorient()?,
                KEY => {
                    key = match p.null() {
                        true => None,
                        false => Some(p.plain()?),
                    }
                }
                RETRY => p.retry()?,
                COMPLETED_AT => ended[0] = p.opt_timestamp()?,
                FAILED_AT => ended[1] = p.opt_timestamp()?,
                CANCELLED_AT => ended[2] = p.opt_timestamp()?,
                STARTED_AT | LAST_ATTEMPT_AT | RESCHEDULED_FROM => {
                    p.opt_timestamp()?;
                }
                CANCEL_REASON | LAST_ERROR | ERROR => p.opt_string()?,
                RESULT => p.result()?,
                EXECUTOR => p.executor()?,
                // A field marked `FAST` in `task::fields` and not read here: not sure.
                _ => return None,
            }
            Some(())
        })?;
        let created_at = created_at?;
        Some(Fields {
            id: id?,
            status: status?,
            run_at: run_at?,
            archive_stamp: ended.into_iter().flatten().next().unwrap_or(created_at),
            key,
        })
    }

    fn context(&mut self) -> Option<()> {
        let names = [
            "summary",
            "key_points",
            "artifacts",
            "constraints",
            "reoriented_from",
        ];
        self.object(&names, 1, false, |index, p| match index {
            0 => p.string().map(drop),
            1..=3 => p.strings(),
            _ => p.opt_string(),
        })
    }

    fn execution(&mut self) -> Option<()> {
        let names = ["mode", "prompt_template", "aura_level", "command"];
        self.object(&names, 0b111, false, |index, p| match index {
            0 => p.closed::<Mode>().map(drop),
            1 => p.string().map(drop),
            2 => p.closed::<AuraLevel>().map(drop),
            _ => match p.null() {
                true => Some(()),
                false => p.strings(),
            },
        })
    }

    fn reorient(&mut self) -> Option<()> {
        let names = ["requested", "project", "explicit_context_file"];
        self.object(&names, 1, false, |index, p| match index {
            0 => p.boolean(),
            _ => p.opt_string(),
        })
    }

    fn retry(&mut self) -> Option<()> {
        self.opt_object(&["delay_seconds", "backoff"], 0, |index, p| match index {
            0 => p.opt_integer(u64::MAX),
            _ => p.closed::<Backoff>().map(drop),
        })
    }

    fn result(&mut self) -> Option<()> {
        let names = [
            "type",
            "prompt_path",
            "output",
            "output_truncated",
            "next_run_at",
        ];
        self.opt_object(&names, 0b11, |index, p| match index {
            0 => p.closed::<ResultType>().map(drop),
            1 => p.string().map(drop),
            2 => p.opt_string(),
            3 => p.opt_boolean(),
            _ => p.opt_timestamp().map(drop),
        })
    }

    fn executor(&mut self) -> Option<()> {
        self.opt_object(&["pid", "started"], 1, |index, p| match index {
            0 => p.integer(u64::from(u32::MAX)),
            _ => p.opt_integer(u64::MAX),
        })
    }
}

#[cfg(test)]
mod tests;
