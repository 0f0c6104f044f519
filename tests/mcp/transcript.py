"""Regenerates the "Transcript" of docs/mcp.md from a real session: the official Python
SDK drives `defer mcp` through a logging proxy, and every line each side sent is
printed (`→` client to server, `←` server to client), long values cut where marked `…`.

    target/mcp-venv/bin/python tests/mcp/transcript.py target/debug/defer

(scripts/mcp-sdk-test.sh makes that virtual environment.)
"""

import asyncio
import json
import os
import sys
import tempfile

from mcp import Client, StdioServerParameters

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/defer")

# The proxy: a child process between the SDK and the server, logging each line in order.
PROXY = r"""
import subprocess, sys, threading
log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def back():
    for line in child.stdout:
        with lock:
            log.write("<- " + line.decode())
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
t = threading.Thread(target=back)
t.start()
for line in sys.stdin.buffer:
    with lock:
        log.write("-> " + line.decode())
    child.stdin.write(line)
    child.stdin.flush()
child.stdin.close()
t.join()
"""


def cut(text, limit):
    return text if len(text) <= limit else text[:limit] + "…"


KEPT = ["id", "run_at", "run_at_local", "due_in", "status", "key", "rescheduled_from",
        "cancel_reason", "stored"]


def brief(value):
    """structuredContent with only the fields this transcript is about (`…` marks the
    cut): a task's times, status, key and `stored`; a doctor report's first check."""
    if isinstance(value, dict) and "run_at" in value:
        kept = {k: value[k] for k in KEPT if k in value}
        kept["…"] = "…"
        return kept
    if isinstance(value, dict) and "tasks" in value:
        return {"tasks": [brief(t) for t in value["tasks"]]}
    if isinstance(value, dict) and "checks" in value:
        return {"checks": value["checks"][:1] + ["…"]}
    return "… the same JSON as an object …"


def shorten(message, seen_meta):
    """The message with its long parts cut, as the transcript shows it."""
    params = message.get("params") or {}
    if "_meta" in params and seen_meta[0]:
        params["_meta"] = "…"
    elif "_meta" in params:
        seen_meta[0] = True
    result = message.get("result")
    if isinstance(result, dict):
        if "instructions" in result:
            result["instructions"] = "…"
        if "_meta" in result:
            result["_meta"] = "…"
        if "tools" in result:
            names = ", ".join(t["name"] for t in result["tools"])
            result["tools"] = [f"… {len(result['tools'])} tools: {names} …"]
        if "structuredContent" in result:
            result["structuredContent"] = brief(result["structuredContent"])
        for block in result.get("content", []):
            block["text"] = cut(block["text"], 160 if "structuredContent" in result else 400)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


async def main():
    work = tempfile.mkdtemp(prefix="defer-transcript-")
    log = os.path.join(work, "wire.log")
    env = {
        "DEFER_RUNTIME_DIR": os.path.join(work, "runtime"),
        "DEFER_TIMEZONE": "America/New_York",
        "HOME": work,
        "DEFER_RUNNER_CHECK": "0",
    }
    sections = []
    for mode, calls in [
        ("legacy", []),
        ("auto", [
            ("when", {"expression": "tomorrow 9am"}),
            ("schedule", {"when": "tomorrow 9am",
                          "summary": "Re-run the failing ingest job and compare row counts",
                          "key": "ingest-4312",
                          "key_points": ["Job 4312 failed at 02:10 with OOM"],
                          "artifacts": ["/home/me/reports/ingest.md"]}),
            ("schedule", {"when": "tomorrow 9am",
                          "summary": "Re-run the failing ingest job and compare row counts",
                          "key": "ingest-4312"}),
            ("list", {}),
            ("pause", {"key": "ingest-4312"}),
            ("reschedule", {"key": "ingest-4312", "when": "tomorrow 14:00"}),
            ("resume", {"key": "ingest-4312"}),
            ("cancel", {"key": "ingest-4312", "reason": "fixed by hand"}),
            ("history", {"statuses": ["failed", "missed"]}),
            ("doctor", {}),
            ("schedule", {"when": "next blursday", "summary": "x"}),
        ]),
    ]:
        open(log, "w").close()
        params = StdioServerParameters(command=sys.executable,
                                       args=["-c", PROXY, log, BIN, "mcp"], env=env)
        async with Client(params, mode=mode) as client:
            await client.list_tools()
            for name, arguments in calls:
                await client.call_tool(name, arguments)
        await asyncio.sleep(0.2)
        seen_meta = [False]
        lines = []
        for raw in open(log):
            arrow, text = raw[:2], raw[3:].rstrip("\n")
            shown = shorten(json.loads(text), seen_meta)
            lines.append(("→ " if arrow == "->" else "← ") + shown)
        sections.append((mode, lines))
    for mode, lines in sections:
        print(f'`mode="{mode}"`:\n\n```')
        print("\n".join(lines))
        print("```\n")


asyncio.run(main())
