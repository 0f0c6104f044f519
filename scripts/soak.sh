#!/usr/bin/env bash
# The kill -9 soak of tests/cli/soak.rs at length: every window, including the DST ones
# that are #[ignore]d until the DST fixes land, with more instants (up to a month each),
# printing each window's figures (runs, kills, fires expected, executed, missed, folded,
# interrupted). Usage: scripts/soak.sh [STEPS] [SEED]   (default: DEFER_SOAK_STEPS, else
# 700 steps; DEFER_SOAK_SEED, else a new seed). `make soak` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEFER_SOAK_STEPS="${1:-${DEFER_SOAK_STEPS:-700}}"
if [ -n "${2:-}" ]; then
  export DEFER_SOAK_SEED="$2"
fi
echo "soak: $DEFER_SOAK_STEPS steps per window${DEFER_SOAK_SEED:+, seed $DEFER_SOAK_SEED}"
cargo test --test cli -- soak:: --include-ignored --nocapture 2>&1 |
  grep -E '^(soak |  [A-Z/ -]+: |test |test result)'
