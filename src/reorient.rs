//! `CONTEXT.md` → reorient snapshot: lookup order and section parsing.
