//! The one table of the record's top-level fields (`FIELDS`), in the record's order.
//!
//! Each field's class: required by the full parse, read by the scan's fast reader
//! (`store::fast` takes its `TOP` from here), about one run (`defer export` leaves
//! those out), and whether a series' next occurrence gets its own value or a copy
//! (`series::chain`, held to this table by its tests). A test serialises a `Task` with
//! every field set and checks its keys are exactly these names.

/// The full parse refuses a record without it.
pub const REQUIRED: u8 = 1;
/// The scan's fast reader reads it (`store::fast`); a line with any other top-level
/// field, or an unknown one `Task` keeps, takes the full parse.
pub const FAST: u8 = 1 << 1;
/// Describes one run of the task, not the task: `defer export` leaves it out.
pub const RUN: u8 = 1 << 2;
/// A series' next occurrence gets its own value (a new id, now, its fire, `scheduled`,
/// the series advanced, or none) instead of a copy (`series::chain`).
pub const RESET: u8 = 1 << 3;

/// One top-level field of the record and its classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    flags: u8,
}

impl Field {
    pub fn required(&self) -> bool {
        self.flags & REQUIRED != 0
    }

    pub fn fast(&self) -> bool {
        self.flags & FAST != 0
    }

    pub fn run(&self) -> bool {
        self.flags & RUN != 0
    }

    pub fn reset(&self) -> bool {
        self.flags & RESET != 0
    }
}

const fn field(name: &'static str, flags: u8) -> Field {
    Field { name, flags }
}

/// Every top-level field of `Task`, in the record's order (unknown fields, `extra`,
/// come after them).
#[rustfmt::skip]
pub const FIELDS: &[Field] = &[
    field("id", REQUIRED | FAST | RESET),
    field("created_at", REQUIRED | FAST | RESET),
    field("run_at", REQUIRED | FAST | RESET),
    field("type", FAST),
    field("intent", FAST),
    field("context", REQUIRED | FAST),
    field("execution", REQUIRED | FAST),
    // An export sets `scheduled` and 0 attempts (`export::run_json`).
    field("status", REQUIRED | FAST | RESET),
    field("attempts", FAST | RESET),
    field("max_retries", FAST),
    field("reorient_requested", FAST),
    field("reorient", FAST),
    field("key", FAST),
    field("retry", FAST),
    field("started_at", FAST | RUN | RESET),
    field("completed_at", FAST | RUN | RESET),
    field("failed_at", FAST | RUN | RESET),
    field("cancelled_at", FAST | RUN | RESET),
    field("cancel_reason", FAST | RUN | RESET),
    field("last_attempt_at", FAST | RUN | RESET),
    field("last_error", FAST | RUN | RESET),
    field("error", FAST | RUN | RESET),
    field("result", FAST | RUN | RESET),
    field("rescheduled_from", FAST | RUN),
    field("executor", FAST | RUN),
    field("missed", 0),
    field("grace_seconds", 0),
    field("series", RUN | RESET),
    field("late_by_seconds", RUN | RESET),
    field("missed_fires", RUN | RESET),
    field("missed_at", RUN | RESET),
    field("lane", 0),
    field("overlap", 0),
    field("found_due_at", RUN),
    field("parent_id", 0),
    field("history", RUN | RESET),
    field("deferrals", RUN | RESET),
    field("question", RUN),
    field("waiting_since", RUN),
    field("answer_timeout_seconds", 0),
    field("budget_usd", 0),
    field("snapshot", 0),
];

/// The fields the fast reader reads, in the record's order: `store::fast`'s `TOP`.
pub const FAST_FIELDS: [&str; count(FAST)] = names(FAST);

/// The bits (by index in [`FAST_FIELDS`]) of the required fields: a record lacking one
/// is not read fast.
pub const FAST_REQUIRED: u64 = {
    let (mut i, mut bits) = (0, 0u64);
    while i < FAST_FIELDS.len() {
        if flags_of(FAST_FIELDS[i]) & REQUIRED != 0 {
            bits |= 1 << i;
        }
        i += 1;
    }
    bits
};

// The fast reader keeps a bit per field, and reads every required field.
const _: () = assert!(FAST_FIELDS.len() <= 64 && count(REQUIRED) == count(REQUIRED | FAST));

/// The index of `name` in [`FAST_FIELDS`]; at compile time, a name that is not there
/// stops the build.
pub const fn fast_index(name: &str) -> usize {
    let mut i = 0;
    while i < FAST_FIELDS.len() {
        if same(FAST_FIELDS[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("not a field the fast reader reads")
}

/// Fields with every flag of `flags`.
const fn count(flags: u8) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < FIELDS.len() {
        if FIELDS[i].flags & flags == flags {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn names<const N: usize>(flags: u8) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < FIELDS.len() {
        if FIELDS[i].flags & flags == flags {
            out[n] = FIELDS[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

const fn flags_of(name: &str) -> u8 {
    let mut i = 0;
    while i < FIELDS.len() {
        if same(FIELDS[i].name, name) {
            return FIELDS[i].flags;
        }
        i += 1;
    }
    0
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
pub(crate) mod tests;
