#!/bin/sh
# notify.sh — a defer hook that shows a desktop notification when a task ends.
#
# Use:   DEFER_ON_FAILURE=/path/to/examples/hooks/notify.sh   (and/or DEFER_ON_SUCCESS,
#        DEFER_ON_MISSED), in your shell and in the crontab line (`defer cron` bakes it)
#
# The hook contract (see README.md):
#   stdin          the task's final record as one line of JSON, then a newline
#   DEFER_TASK_ID  the task's id
#   DEFER_STATUS   completed, failed or missed
#   exit non-zero  defer prints "defer: hook ... failed for task <id>: ..." and logs it
#
# What it does: calls `notify-send "defer: <id> <status>" "<summary> — <error>"` (urgency
# critical unless the task completed). When notify-send is missing or fails — under
# cron it needs your session's DISPLAY and DBUS_SESSION_BUS_ADDRESS — it prints that
# line instead, which defer keeps in logs/<id>.hook.txt. The summary and error are read
# with jq when it is installed, else the id stands in for them.

set -u

record=$(cat)
id=${DEFER_TASK_ID:-unknown}
status=${DEFER_STATUS:-unknown}
summary=$id
detail=
if command -v jq >/dev/null 2>&1; then
    summary=$(printf '%s\n' "$record" | jq -r '.context.summary // empty' 2>/dev/null | head -n 1)
    detail=$(printf '%s\n' "$record" | jq -r '.error // empty' 2>/dev/null | head -n 1)
    [ -n "$summary" ] || summary=$id
fi

title="defer: $id $status"
body=$summary
[ -z "$detail" ] || body="$summary — $detail"
urgency=critical
[ "$status" != completed ] || urgency=normal

if command -v notify-send >/dev/null 2>&1 &&
    notify-send -u "$urgency" "$title" "$body" >/dev/null 2>&1; then
    exit 0
fi
printf '%s: %s\n' "$title" "$body"
