#!/bin/sh
# claude-code.sh — a defer executor that runs Claude Code headless on the task's prompt
# and tells defer what happened (the report, SPEC §22).
#
# Use:   DEFER_EXECUTOR=/path/to/claude-code.sh   (in the crontab line for `defer run`)
#
# It runs, with the prompt file on stdin:
#   claude -p --output-format stream-json --verbose [--max-budget-usd $DEFER_BUDGET_USD]
#          [--permission-mode $DEFER_CLAUDE_PERMISSION_MODE] [$DEFER_CLAUDE_ARGS...]
# passes Claude Code's event stream through (defer keeps it as the task's output), and,
# when defer gave it a report file (DEFER_REPORT_PATH), writes one JSON object there:
#   - the final `result` event: `completed` (or `failed` when `is_error`), its first line
#     as `summary`, `total_cost_usd` and token counts as `cost`;
#   - a `rate_limit_event` whose status is `rejected`: `retry` at its `resetsAt`, scope
#     `lane` (a usage limit belongs to the account, so the task's lane waits too);
#   - `permission_denials` in the result: `needs_input`, the question naming the denied
#     tools (allow them with --allowedTools in DEFER_CLAUDE_ARGS, then `defer answer`).
# No result event (Claude Code crashed, or was killed): an empty report, which defer
# reads as none: Claude Code's exit status stands.
#
# Settings:
#   DEFER_CLAUDE_BIN              the claude binary (default: `claude` on PATH)
#   DEFER_CLAUDE_ARGS             more arguments, split on spaces (e.g. "--model sonnet
#                                 --allowedTools Read,Grep")
#   DEFER_CLAUDE_PERMISSION_MODE  e.g. acceptEdits, dontAsk, bypassPermissions
# Needs `jq` for the report (without it, only the exit code speaks).

set -u

claude=${DEFER_CLAUDE_BIN:-claude}

if [ -z "${DEFER_PROMPT_PATH:-}" ] || [ ! -r "$DEFER_PROMPT_PATH" ]; then
    echo "claude-code.sh: DEFER_PROMPT_PATH is not a readable file: ${DEFER_PROMPT_PATH:-<unset>}" >&2
    exit 2
fi
if ! command -v "$claude" >/dev/null 2>&1; then
    echo "claude-code.sh: claude not found: '$claude' (install @anthropic-ai/claude-code or set DEFER_CLAUDE_BIN)" >&2
    exit 127
fi

set -- -p --output-format stream-json --verbose
if [ -n "${DEFER_BUDGET_USD:-}" ]; then
    set -- "$@" --max-budget-usd "$DEFER_BUDGET_USD"
fi
if [ -n "${DEFER_CLAUDE_PERMISSION_MODE:-}" ]; then
    set -- "$@" --permission-mode "$DEFER_CLAUDE_PERMISSION_MODE"
fi
set -f
# shellcheck disable=SC2086
set -- "$@" ${DEFER_CLAUDE_ARGS:-}
set +f

events=$(mktemp "${TMPDIR:-/tmp}/defer-claude.XXXXXX") || exit 1
trap 'rm -f "$events" "$events.rc"' EXIT HUP INT TERM

# The stream goes to defer (our stdout) and to a file we read once it ends; claude's
# own exit status is kept aside (POSIX sh has no pipefail).
{ "$claude" "$@" <"$DEFER_PROMPT_PATH"; echo $? >"$events.rc"; } | tee "$events"
rc=$(cat "$events.rc" 2>/dev/null || echo 1)
rm -f "$events.rc"

[ -n "${DEFER_REPORT_PATH:-}" ] || exit "$rc"
command -v jq >/dev/null 2>&1 || exit "$rc"

now=$(date +%s)
# Lines that are not JSON (a torn line) are skipped, never fatal.
jq -c -R -n --argjson now "$now" '
  [inputs | (try fromjson catch empty) | objects] as $ev
  | ($ev | map(select(.type == "result")) | last) as $result
  | ($ev | map(select(.type == "rate_limit_event"
        and (.rate_limit_info.status // "") == "rejected")) | last) as $limit
  | def first_line: tostring | split("\n")[0] | .[0:200];
    def cost: if $result == null then null else
        {usd: ($result.total_cost_usd // null),
         input_tokens: ($result.usage.input_tokens // null),
         output_tokens: ($result.usage.output_tokens // null)}
        | with_entries(select(.value != null)) end;
  if $limit != null then
      {status: "retry", scope: "lane",
       reason: ("rate limit " + ($limit.rate_limit_info.rateLimitType // "reached"))}
      + (if ($limit.rate_limit_info.resetsAt | type) == "number"
         then {retry_at: ((($limit.rate_limit_info.resetsAt - $now) | if . < 1 then 1 else . end | floor | tostring) + "s")}
         else {} end)
      + (if cost != null then {cost: cost} else {} end)
  elif $result == null then empty
  elif (($result.permission_denials // []) | length) > 0 then
      {status: "needs_input",
       question: ("Claude Code was denied: "
          + ([$result.permission_denials[] | .tool_name
              + (if .tool_input.command then " (" + (.tool_input.command | first_line) + ")" else "" end)]
             | unique | join(", "))
          + ". Allow it (DEFER_CLAUDE_ARGS=\"--allowedTools ...\") and answer to run again."),
       summary: (($result.result // "") | first_line),
       cost: cost}
  elif $result.is_error then
      {status: "failed", reason: (($result.result // $result.subtype // "error") | first_line),
       cost: cost}
  else
      {status: "completed", summary: (($result.result // "") | first_line), cost: cost}
  end
' "$events" >"$DEFER_REPORT_PATH" 2>/dev/null || : >"$DEFER_REPORT_PATH"
exit "$rc"
