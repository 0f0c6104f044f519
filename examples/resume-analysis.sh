#!/usr/bin/env bash
# An agent-style resume task: a compact snapshot with key points, artifacts and
# constraints, an idempotency key so a retried schedule stores nothing new, then the
# runner (the task is due now) and the prompt file a future agent would read.
set -euo pipefail
defer=${DEFER_BIN:-defer}

schedule() {
  "$defer" schedule --compact --when now --key analysis-q3-resume \
    --summary "Resume the Q3 churn analysis at the cohort step" \
    --key-point "Raw export loaded; 41,203 rows after dedup" \
    --key-point "Cohorts by signup month still to compute" \
    --artifact "$HOME/analysis/q3/churn.ipynb" \
    --artifact "$HOME/analysis/q3/export.csv" \
    --constraint "Do not re-download the export" \
    --prompt-template "Compute monthly cohorts and write the retention table"
}

first=$(schedule)
again=$(schedule 2>/dev/null)   # same --key: prints the same task, stores nothing
id=$(printf '%s' "$first" | jq -r .id)
[ "$(printf '%s' "$again" | jq -r .id)" = "$id" ]
echo "scheduled $id (once, even when retried)"

"$defer" run                     # what cron does every minute; the task is due now
"$defer" show "$id" --compact | jq -r '"status: " + .status + ", result: " + .result.type'
"$defer" show "$id" --prompt | tee /dev/stderr | grep -q "You are resuming a deferred task."
