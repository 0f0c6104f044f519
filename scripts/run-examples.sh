#!/usr/bin/env bash
# Runs every examples/*.sh against its own temporary runtime dir with the debug build.
# An example passes when it exits 0; its output is shown only when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin="$PWD/target/debug/defer"
pass=0 fail=0
for example in examples/*.sh; do
  [ -e "$example" ] || continue
  tmp=$(mktemp -d)
  if env -u DEFER_TASKS_FILE -u DEFER_ARCHIVE_DIR -u DEFER_LOG_DIR -u DEFER_LOG_FILE \
       -u DEFER_EXECUTOR -u DEFER_CONTEXT_FILE \
       DEFER_RUNTIME_DIR="$tmp/runtime" HOME="$tmp/home" DEFER_TIMEZONE=UTC DEFER_BIN="$bin" \
       bash "$example" >"$tmp/out" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "example failed: $example" >&2
    sed 's/^/  | /' "$tmp/out" >&2
  fi
  rm -rf "$tmp"
done
echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
