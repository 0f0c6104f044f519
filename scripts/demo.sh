#!/usr/bin/env bash
# The whole loop once: schedule a task due now, run the runner, show the prompt
# artifact and the finished record. Usage: scripts/demo.sh path/to/defer
set -euo pipefail
defer="$1"
: "${DEFER_RUNTIME_DIR:?}"
export DEFER_RUNTIME_DIR
echo "runtime dir: $DEFER_RUNTIME_DIR"
echo
echo "\$ defer schedule --when now --summary 'Re-check the flaky CI job' ..."
id=$("$defer" schedule --when now \
  --summary "Re-check the flaky CI job" \
  --key-point "test_upload failed twice on main" \
  --artifact ".github/workflows/ci.yml" \
  --constraint "do not disable the test" \
  --prompt-template "Find out why test_upload is flaky and propose a fix." \
  --compact | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
echo "scheduled $id"
echo
echo "\$ defer list --compact"
"$defer" list --compact
echo
echo "\$ defer run      # what cron does every minute"
"$defer" run
echo
echo "--- $DEFER_RUNTIME_DIR/logs/$id.prompt.txt"
cat "$DEFER_RUNTIME_DIR/logs/$id.prompt.txt"
echo "---"
echo
echo "finished record (archived by the run):"
grep -h "\"$id\"" "$DEFER_RUNTIME_DIR"/archive/deferred_*.jsonl | tail -n 1
echo
echo "audit log:"
tail -n 5 "$DEFER_RUNTIME_DIR/logs/deferred.log"
