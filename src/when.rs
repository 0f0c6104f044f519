//! Time expressions (`--when`): text → UTC instant, given `now` and a zone. Pure.
