#!/bin/sh
# codex.sh — a defer executor that runs the Codex CLI headless on the task's prompt and
# tells defer what happened (the report, SPEC §22).
#
# Use:   DEFER_EXECUTOR=/path/to/codex.sh   (in the crontab line for `defer run`)
#
# It runs, with the prompt file on stdin (`-`):
#   codex exec --json --skip-git-repo-check [--cd $DEFER_CODEX_CD] [$DEFER_CODEX_ARGS...] -
# passes Codex's JSONL events through (defer keeps them as the task's output) and, when
# defer gave it a report file (DEFER_REPORT_PATH), writes one JSON object there:
#   - `turn.completed`: `completed`, the last agent message's first line as `summary`,
#     the turns' token counts as `cost` (Codex reports tokens, not dollars);
#   - `turn.failed` whose message is a usage or rate limit (429, "usage limit", "rate
#     limit"): `retry`, scope `lane`, at "try again in ..." when the message says it;
#   - any other `turn.failed`: `failed` with the message as `reason`.
# Codex exec does not stop for approvals (it fails the command instead), so it never
# reports `needs_input`. No turn event at all: an empty report (read as none): Codex's
# exit status stands.
#
# Settings:
#   DEFER_CODEX_BIN   the codex binary (default: `codex` on PATH)
#   DEFER_CODEX_CD    the working root for the agent (codex exec --cd)
#   DEFER_CODEX_ARGS  more arguments, split on spaces (e.g. "--sandbox workspace-write -m o3")
# Needs `jq` for the report (without it, only the exit code speaks).

set -u

codex=${DEFER_CODEX_BIN:-codex}

if [ -z "${DEFER_PROMPT_PATH:-}" ] || [ ! -r "$DEFER_PROMPT_PATH" ]; then
    echo "codex.sh: DEFER_PROMPT_PATH is not a readable file: ${DEFER_PROMPT_PATH:-<unset>}" >&2
    exit 2
fi
if ! command -v "$codex" >/dev/null 2>&1; then
    echo "codex.sh: codex not found: '$codex' (install @openai/codex or set DEFER_CODEX_BIN)" >&2
    exit 127
fi

set -- exec --json --skip-git-repo-check
if [ -n "${DEFER_CODEX_CD:-}" ]; then
    set -- "$@" --cd "$DEFER_CODEX_CD"
fi
set -f
# shellcheck disable=SC2086
set -- "$@" ${DEFER_CODEX_ARGS:-} -
set +f

events=$(mktemp "${TMPDIR:-/tmp}/defer-codex.XXXXXX") || exit 1
trap 'rm -f "$events" "$events.rc"' EXIT HUP INT TERM

# The events go to defer (our stdout) and to a file we read once they end; codex's own
# exit status is kept aside (POSIX sh has no pipefail).
{ "$codex" "$@" <"$DEFER_PROMPT_PATH"; echo $? >"$events.rc"; } | tee "$events"
rc=$(cat "$events.rc" 2>/dev/null || echo 1)

[ -n "${DEFER_REPORT_PATH:-}" ] || exit "$rc"
command -v jq >/dev/null 2>&1 || exit "$rc"

# Lines that are not JSON are skipped, never fatal.
jq -c -R -n '
  [inputs | (try fromjson catch empty) | objects] as $ev
  | ($ev | map(select(.type == "turn.completed" or .type == "turn.failed")) | last) as $turn
  | ($ev | map(select(.type == "item.completed" and .item.type == "agent_message"))
       | last | .item.text // "") as $said
  | ([$ev[] | select(.type == "turn.completed" or .type == "turn.failed") | .usage // empty]) as $usage
  | def first_line: tostring | split("\n")[0] | .[0:200];
    def cost: if ($usage | length) == 0 then null else
        {input_tokens: ($usage | map(.input_tokens // 0) | add),
         output_tokens: ($usage | map(.output_tokens // 0) | add)} end;
    def seconds_in($text):
        [ $text | ascii_downcase
          | scan("(\\d+)\\s*(day|hour|minute|min|second|sec)s?")
          | (.[0] | tonumber) * ({"day": 86400, "hour": 3600, "minute": 60, "min": 60,
                                   "second": 1, "sec": 1}[.[1]]) ] | add;
  if $turn == null then empty
  elif $turn.type == "turn.completed" then
      {status: "completed", summary: ($said | first_line)}
      + (if cost != null then {cost: cost} else {} end)
  else ($turn.error.message // "turn failed") as $message
    | if ($message | test("429|usage limit|rate limit|too many requests"; "i")) then
        {status: "retry", scope: "lane", reason: ($message | first_line)}
        + (($message | capture("(?i)try again in (?<rest>.*)").rest // null) as $rest
           | if $rest != null and seconds_in($rest) != null
             then {retry_at: ((seconds_in($rest) | tostring) + "s")} else {} end)
      else {status: "failed", reason: ($message | first_line)} end
      + (if cost != null then {cost: cost} else {} end)
  end
' "$events" >"$DEFER_REPORT_PATH" 2>/dev/null || : >"$DEFER_REPORT_PATH"
exit "$rc"
