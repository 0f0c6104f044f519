#!/usr/bin/env bash
# Benchmarks `defer` against generated stores and prints a table of medians with the
# ratios to plain-tool baselines (cat, wc -l, jq) on the same files.
#
# Usage: bench/run.sh [--quick]     (make bench / make bench-quick)
#   --quick   stores up to 10k records only (about a minute)
# Work files go to target/bench/; the table is also written to target/bench/results.md.
# Public tools only: hyperfine for timings, /usr/bin/time -v for peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
scripts/need.sh hyperfine jq /usr/bin/time:time

cargo build --release --quiet
cargo build --release --quiet --example gen_store
bin="$PWD/target/release/defer"
gen="$PWD/target/release/examples/gen_store"

work="$PWD/target/bench"
rm -rf "$work"
mkdir -p "$work/json"
rt="$work/runtime"
results="$work/results.tsv"
: >"$results"
: >"$work/io.tsv"

# A clean environment: only the variables defer reads for paths and time zone.
unset DEFER_TASKS_FILE DEFER_ARCHIVE_DIR DEFER_LOG_DIR DEFER_LOG_FILE DEFER_EXECUTOR \
  DEFER_CONTEXT_FILE DEFER_RETRY_DELAY_SECONDS DEFER_EXECUTOR_TIMEOUT_SECONDS
export DEFER_RUNTIME_DIR="$rt" HOME="$work/home" DEFER_TIMEZONE=UTC DEFER_RUNNER_CHECK=0

if [ $quick -eq 1 ]; then
  sizes=(1000 10000)
  big=10000
else
  sizes=(1000 10000 100000)
  big=100000
fi

runs_for() { # size -> hyperfine runs
  if [ "$1" -ge 100000 ]; then echo 7; elif [ "$1" -ge 10000 ]; then echo 10; else echo 20; fi
}

label() { # 100000 -> 100k
  echo "$(($1 / 1000))k"
}

# --- stores -----------------------------------------------------------------------
echo "generating stores in $work" >&2
for n in "${sizes[@]}"; do
  "$gen" --records "$n" --out "$work/store_$(label "$n").jsonl" 2>>"$work/gen.log"
done
"$gen" --records 10000 --due 1000 --out "$work/due1000_10k.jsonl" 2>>"$work/gen.log"
"$gen" --records 10000 --due 100 --out "$work/due100_10k.jsonl" 2>>"$work/gen.log"
archive_store="$work/half_terminal_$(label $big).jsonl"
"$gen" --records "$big" --terminal-fraction 0.5 --out "$archive_store" 2>>"$work/gen.log"
sed 's/^/  /' "$work/gen.log" >&2

# Puts `store` in place as the runtime's deferred.jsonl with nothing else around it;
# synced so a later fsync in defer does not pay for this copy.
reset_cmd() {
  echo "rm -rf '$rt' && mkdir -p '$rt' && cp '$1' '$rt/deferred.jsonl' && sync"
}

# bench NAME FILE RUNS [hyperfine options...] COMMAND: records the median in seconds.
bench() {
  local name=$1 file=$2 runs=$3
  shift 3
  local json="$work/json/$(echo "$name" | tr -c 'A-Za-z0-9_\n' '_').json"
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json" "$@" >/dev/null
  local median
  median=$(jq '.results[0].median' "$json")
  printf '%s\t%s\t%s\n' "$name" "$file" "$median" >>"$results"
  awk -v n="$name" -v m="$median" 'BEGIN {printf "  %-34s %9.2f ms\n", n, m * 1000}' >&2
}

baselines() { # file runs
  local f=$1 runs=$2 base
  base=$(basename "$f" .jsonl)
  bench "cat $base" "$f" "$runs" "cat '$f' >/dev/null"
  bench "cp $base" "$f" "$runs" --prepare "rm -f '$work/copy'" "cp '$f' '$work/copy'"
  bench "wc -l $base" "$f" "$runs" "wc -l '$f' >/dev/null"
  bench "jq $base" "$f" "$(((runs + 1) / 2))" \
    "jq -c 'select(.status==\"scheduled\")' '$f' >/dev/null"
}

# --- timings ----------------------------------------------------------------------
for n in "${sizes[@]}"; do
  l=$(label "$n")
  store="$work/store_$l.jsonl"
  runs=$(runs_for "$n")
  echo "store of $l records ($(du -h "$store" | cut -f1))" >&2
  baselines "$store" "$runs"
  bench "schedule into $l" "$store" "$runs" --prepare "$(reset_cmd "$store")" \
    "'$bin' schedule --when 1h --summary 'benchmark task' --compact >/dev/null"
  bench "schedule --id --key into $l" "$store" "$runs" --prepare "$(reset_cmd "$store")" \
    "'$bin' schedule --when 1h --summary 'benchmark task' --id bench-new-task --key bench-key --compact >/dev/null"
  eval "$(reset_cmd "$store")"
  bench "list --compact $l" "$store" "$runs" "'$bin' list --compact >/dev/null"
  # The first run after a foreign write scans and saves the summary; later ones use it.
  bench "run, nothing due, full scan, $l" "$store" "$runs" \
    --prepare "rm -f '$rt/deferred.jsonl.idx'" "'$bin' run"
  bench "run, nothing due, $l" "$store" "$runs" "'$bin' run"
  cmp -s "$store" "$rt/deferred.jsonl" || { echo "run with nothing due changed the store" >&2; exit 1; }
  # The busy minute (SPEC §18): a task scheduled through defer comes due while the
  # summary is current (the usual case); the run completes and archives it.
  busy_prep="$(reset_cmd "$store") && '$bin' run && '$bin' schedule --when now --summary 'busy minute' >/dev/null && sync"
  bench "run, 1 due, $l" "$store" 15 --prepare "$busy_prep" "'$bin' run"
  [ "$(cat "$rt"/archive/*.jsonl | wc -l)" -eq 1 ] || { echo "the busy minute archived $(cat "$rt"/archive/*.jsonl | wc -l) records" >&2; exit 1; }
  # Bytes it read and wrote: /proc/<sh>/io counts the waited-for child.
  eval "$busy_prep"
  sh -c "'$bin' run; cat /proc/\$\$/io" |
    awk -v n="run, 1 due, $l" '/^(rchar|wchar|write_bytes):/ {v[$1] = $2}
      END {printf "%s\t%s\t%s\t%s\n", n, v["rchar:"], v["wchar:"], v["write_bytes:"]}' >>"$work/io.tsv"
done

echo "run with due tasks (10k store)" >&2
for due in 100 1000; do
  store="$work/due${due}_10k.jsonl"
  baselines "$store" 10
  bench "run, $due due, 10k" "$store" 5 --prepare "$(reset_cmd "$store")" "'$bin' run"
  done_count=$(grep -c '"status":"completed"' "$rt"/archive/*.jsonl | awk -F: '{s+=$NF} END {print s}')
  [ "$done_count" -eq "$due" ] || { echo "expected $due completed, got $done_count" >&2; exit 1; }
done

# Lanes (SPEC §20): 40 due tasks whose executor sleeps 5 s, 4 slots. One run claims
# 4, supervises them and starts the next as each slot frees: about 50 s (serial: 200 s).
echo "lanes: 40 due x 5 s, 4 slots" >&2
lanes_store="$work/lanes40_1k.jsonl"
eval "$(reset_cmd "$work/store_1k.jsonl")"
for i in $(seq 1 40); do "$bin" schedule --when now --summary "lane task $i" >/dev/null; done
cp "$rt/deferred.jsonl" "$lanes_store"
baselines "$lanes_store" 5
printf '#!/bin/sh\ncat >/dev/null\nsleep 5\n' >"$work/sleep5" && chmod +x "$work/sleep5"
hyperfine --style none --runs 1 --export-json "$work/json/lanes40.json" \
  --prepare "$(reset_cmd "$lanes_store")" \
  "DEFER_EXECUTOR='$work/sleep5' DEFER_MAX_PARALLEL=4 '$bin' run" >/dev/null
lanes_median=$(jq '.results[0].median' "$work/json/lanes40.json")
printf '%s\t%s\t%s\n' "run, 40 due x 5 s, 4 slots" "$lanes_store" "$lanes_median" >>"$results"
awk -v m="$lanes_median" 'BEGIN {printf "  %-34s %9.2f ms\n", "run, 40 due x 5 s, 4 slots", m * 1000}' >&2
[ "$(grep -c '"status":"completed"' "$rt"/archive/*.jsonl | awk -F: '{s+=$NF} END {print s}')" -eq 40 ] ||
  { echo "the lanes run did not complete 40 tasks" >&2; exit 1; }
awk -v m="$lanes_median" 'BEGIN {exit !(m <= 60)}' || { echo "40 x 5 s with 4 slots took ${lanes_median}s (target: 60)" >&2; exit 1; }

# Recurring series (SPEC §12): the big store plus 1,000 pending series occurrences,
# scheduled through defer. Idle: nothing due. Busy: one occurrence due, whose claim
# appends the next occurrence in the same write.
echo "series ($(label $big) records + 1,000 series)" >&2
series_store="$work/series_$(label $big).jsonl"
eval "$(reset_cmd "$work/store_$(label $big).jsonl")"
for i in $(seq 1 1000); do
  "$bin" schedule --every 1h --when "$((i % 50 + 10))m" --summary "series $i" >/dev/null
done
cp "$rt/deferred.jsonl" "$series_store"
baselines "$series_store" "$(runs_for $big)"
eval "$(reset_cmd "$series_store")"
bench "run, nothing due, 1,000 series" "$series_store" "$(runs_for $big)" "'$bin' run"
series_prep="$(reset_cmd "$series_store") && '$bin' run && '$bin' schedule --every 1h --when now --summary 'series due' >/dev/null && sync"
bench "run, 1 series occurrence due" "$series_store" 15 --prepare "$series_prep" "'$bin' run"
[ "$(grep -c '"occurrence":2' "$rt/deferred.jsonl")" -eq 1 ] || { echo "the series run did not append exactly one next occurrence" >&2; exit 1; }

echo "archive ($(label $big) records, half terminal)" >&2
baselines "$archive_store" "$(runs_for $big)"
bench "archive $(label $big)" "$archive_store" 5 --prepare "$(reset_cmd "$archive_store")" "'$bin' archive"

# --- peak memory -------------------------------------------------------------------
# Median of three max-RSS readings (KiB) from /usr/bin/time -v.
peak_rss() { # store warm-first(0/1) command...
  local store=$1 warm=$2
  shift 2
  for _ in 1 2 3; do
    eval "$(reset_cmd "$store")"
    [ "$warm" -eq 0 ] || "$@" >/dev/null
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
  done | sort -n | sed -n 2p
}
echo "peak memory" >&2
rss_scan=$(peak_rss "$work/store_$(label $big).jsonl" 0 "$bin" run)
rss_run=$(peak_rss "$work/store_$(label $big).jsonl" 1 "$bin" run)
rss_archive=$(peak_rss "$archive_store" 0 "$bin" archive)
# The busy minute's peak: its store made ready as in the timing above.
busy_store="$work/store_$(label $big).jsonl"
rss_busy=$(for _ in 1 2 3; do
  eval "$(reset_cmd "$busy_store")" && "$bin" run && "$bin" schedule --when now --summary busy >/dev/null
  /usr/bin/time -v "$bin" run 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
done | sort -n | sed -n 2p)

# --- report ------------------------------------------------------------------------
ms() { awk -v m="$1" 'BEGIN {printf "%.2f", m * 1000}'; }
div() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {printf f, a / b}'; }
lookup() { awk -F'\t' -v n="$1" '$1 == n {print $3}' "$results"; }
{
  echo "| measurement | file | median ms | × cat | × cp | × wc -l | × jq |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  while IFS=$'\t' read -r name file median; do
    base=$(basename "$file" .jsonl)
    case "$name" in cat\ *|cp\ *|wc\ *|jq\ *) continue ;; esac
    c=$(lookup "cat $base") p=$(lookup "cp $base") w=$(lookup "wc -l $base") j=$(lookup "jq $base")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$base" "$(ms "$median")" \
      "$(div "$median" "$c" %.2f)" "$(div "$median" "$p" %.2f)" "$(div "$median" "$w" %.2f)" \
      "$(div "$median" "$j" %.3f)"
  done <"$results"
  echo
  echo "| busy minute (1 due) | store ms | ratio to 1k | read bytes | written bytes (write) | written bytes (to disk) |"
  echo "|---|---:|---:|---:|---:|---:|"
  one=$(lookup "run, 1 due, 1k")
  while IFS=$'\t' read -r name rchar wchar wbytes; do
    m=$(lookup "$name")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$(ms "$m")" "$(div "$m" "$one" %.2f)" \
      "$rchar" "$wchar" "$wbytes"
  done <"$work/io.tsv"
  echo
  echo "| full scan | store MB | median ms | MB/s |"
  echo "|---|---:|---:|---:|"
  for n in "${sizes[@]}"; do
    l=$(label "$n") f="$work/store_$(label "$n").jsonl"
    m=$(lookup "run, nothing due, full scan, $l")
    bytes=$(stat -c %s "$f")
    printf '| %s | %s | %s | %s |\n' "$l" "$(div "$bytes" 1000000 %.1f)" "$(ms "$m")" \
      "$(div "$(div "$bytes" 1000000 %.6f)" "$m" %.0f)"
  done
  echo
  echo "| baseline | file | size | median ms |"
  echo "|---|---|---:|---:|"
  while IFS=$'\t' read -r name file median; do
    case "$name" in cat\ *|cp\ *|wc\ *|jq\ *) ;; *) continue ;; esac
    printf '| %s | %s | %s | %s |\n' "${name%% *}" "$(basename "$file" .jsonl)" \
      "$(du -h "$file" | cut -f1)" "$(ms "$median")"
  done <"$results"
  echo
  echo "| peak RSS ($(label $big)) | MiB |"
  echo "|---|---:|"
  echo "| run, nothing due, full scan | $(div "$rss_scan" 1024 %.1f) |"
  echo "| run, nothing due (summary current) | $(div "$rss_run" 1024 %.1f) |"
  echo "| archive, half terminal | $(div "$rss_archive" 1024 %.1f) |"
  echo "| run, 1 due (busy minute) | $(div "$rss_busy" 1024 %.1f) |"
} >"$work/results.md"
echo
cat "$work/results.md"
