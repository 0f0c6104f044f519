#!/usr/bin/env bash
# Proves that no test depends on today's date: runs the unit tests and the binary's
# integration tests again with every clock a year and a few days ahead (libfaketime
# preloaded into the test process; tests/cli/support.rs hands the same clock to every
# child, and a test that fakes its own "now" still gets exactly that instant).
# Usage: scripts/date-check.sh [+400d]   (any libfaketime relative offset)
set -euo pipefail
cd "$(dirname "$0")/.."
offset="${1:-+400d}"
lib=""
for candidate in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
  [ -f "$candidate" ] && { lib="$candidate"; break; }
done
if [ -z "$lib" ]; then
  echo "date-check: libfaketime is missing (scripts/need.sh faketime)" >&2
  exit 1
fi
# libfaketime keeps a file pair per process in /dev/shm; a killed process leaves its
# pair, and a later process with the same pid then fails. Remove those of dead pids.
for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
  [ -e "$f" ] || continue
  pid=${f##*_}
  [ -d "/proc/$pid" ] || rm -f "$f"
done
echo "date-check: the tests again, with the clock at $offset"
# A runner wraps only the test binaries (not cargo or rustc, whose file-time checks
# must see the real clock).
cargo test --lib --test cli \
  --config "target.'cfg(all())'.runner = ['env', 'LD_PRELOAD=$lib', 'FAKETIME=$offset']"
