"""`defer mcp` end to end with the official MCP Python SDK (a client this project did not
write), in its three connection modes, against a real binary and a temp runtime dir.

Run by scripts/mcp-sdk-test.sh (which makes the virtual environment):
    python tests/mcp/test_sdk.py /abs/path/to/defer
Prints one line per check and ends with `N passed, M failed`; exits 1 on any failure.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

from mcp import Client, StdioServerParameters

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/defer")
MODES = ["legacy", "auto", "2026-07-28"]
# What each mode must end up speaking: legacy offers 2025-11-25 through initialize;
# auto finds server/discover and goes stateless; a pinned version skips the probe.
EXPECTED_VERSION = {"legacy": "2025-11-25", "auto": "2026-07-28", "2026-07-28": "2026-07-28"}

results = []
# Fields the server adds to MCP task objects (SPEC §21); the CLI's JSON has none of them.
MCP_ONLY = ("run_at_local", "due_in", "stored")


def cli_view(task):
    """An MCP task object as the CLI prints it: UTC only."""
    return {k: v for k, v in task.items() if k not in MCP_ONLY}


def has_flag(text):
    """True when `text` names a CLI flag (`--name`) instead of an argument. The one
    command line a model may be told about is how the user starts the server."""
    text = (text or "").replace("defer mcp --allow-commands", "")
    return re.search(r"--[a-z]", text) is not None


def check(name, condition, detail=""):
    results.append((name, bool(condition)))
    print(f"{'ok  ' if condition else 'FAIL'} {name}" + ("" if condition else f": {detail}"))


class World:
    """One temp runtime dir shared by the server and the CLI."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="defer-mcp-sdk-")
        self.env = {
            "DEFER_RUNTIME_DIR": os.path.join(self.dir, "runtime"),
            "DEFER_TIMEZONE": "UTC",
            "HOME": os.path.join(self.dir, "home"),
            # No cron here: keep the no-runner warning out of the output.
            "DEFER_RUNNER_CHECK": "0",
        }
        os.makedirs(self.env["HOME"])

    def params(self, *flags):
        return StdioServerParameters(command=BIN, args=["mcp", *flags], env=self.env)

    def cli(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEFER_")}
        env.update(self.env)
        return subprocess.run([BIN, *args], env=env, capture_output=True, text=True)

    def cli_json(self, *args):
        out = self.cli(*args, "--compact")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


def cli_options(world, command):
    """Every `--long` option `defer <command> --help` lists (help/compact aside)."""
    text = world.cli(command, "--help").stdout
    longs = set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z-]*)", text, re.M))
    return longs - {"help", "compact", "version"}


async def session(mode):
    world = World()
    tag = f"[{mode}]"
    async with Client(world.params(), mode=mode) as client:
        check(f"{tag} negotiates {EXPECTED_VERSION[mode]}",
              client.protocol_version == EXPECTED_VERSION[mode], client.protocol_version)
        if mode != "2026-07-28":  # a pinned client skips discover: nothing names the server
            info = client.server_info
            check(f"{tag} server is defer", info is not None and info.name == "defer", info)

        # Tools, schemas, annotations.
        tools = {t.name: t for t in (await client.list_tools()).tools}
        check(f"{tag} tools listed",
              {"schedule", "list", "show", "cancel", "pause", "resume", "reschedule", "when",
               "history", "doctor"} <= set(tools),
              sorted(tools))
        hints = {n: (t.annotations.read_only_hint, t.annotations.destructive_hint)
                 for n, t in tools.items() if t.annotations}
        check(f"{tag} read-only hints",
              all(hints[n][0] is True for n in ["list", "show", "when", "history", "doctor"]),
              hints)
        check(f"{tag} cancel is destructive, schedule neither",
              hints["cancel"][1] is True and hints["schedule"] == (False, False), hints)
        props = tools["schedule"].input_schema["properties"]
        wanted = {"key_points", "artifacts", "constraints", "max_retries", "prompt_template",
                  "dry_run", "key", "when", "summary"}
        check(f"{tag} schedule schema names", wanted <= set(props), sorted(props))
        missing = []
        for option in cli_options(world, "schedule"):
            snake = option.replace("-", "_")
            plural = {"key_point": "key_points", "artifact": "artifacts",
                      "constraint": "constraints"}.get(snake, snake)
            if plural not in props:
                missing.append(option)
        check(f"{tag} every `schedule --help` option is in the schema", not missing, missing)
        check(f"{tag} schema types and sets",
              props["max_retries"]["type"] == "integer"
              and props["dry_run"]["type"] == "boolean"
              and props["key_points"]["type"] == "array"
              and props["intent"]["enum"] == ["resume_task", "notify", "execute_action"],
              props)
        check(f"{tag} output schemas", all(t.output_schema for t in tools.values()))
        flags = [(n, p) for n, t in tools.items()
                 for p, d in [("", t.description)] + [(p, s.get("description"))
                                                      for p, s in t.input_schema["properties"].items()]
                 if has_flag(d)]
        check(f"{tag} descriptions speak in argument names, never --flags", not flags, flags)
        check(f"{tag} bounds and defaults in the schema",
              props["count"].get("minimum") == 1 and props["backoff"].get("default") == "fixed"
              and props["max_retries"].get("default") == 0
              and tools["when"].input_schema["properties"]["next"].get("minimum") == 1
              and tools["history"].input_schema["properties"]["limit"].get("default") == 50,
              (props["count"], props["backoff"]))
        record = tools["show"].output_schema["properties"]
        check(f"{tag} the output schema lists the record's fields",
              {"key", "series", "error", "result", "history", "late_by_seconds", "missed_at",
               "cancel_reason", "run_at_local", "due_in"} <= set(record), sorted(record))
        check(f"{tag} cancel: scheduled, paused or waiting; history: failed and missed",
              "scheduled, paused or waiting" in tools["cancel"].description
              and '["failed", "missed"]' in tools["history"].description,
              (tools["cancel"].description, tools["history"].description))
        by_key = all("key" in tools[n].input_schema["properties"]
                     and "id" not in tools[n].input_schema.get("required", [])
                     for n in ["cancel", "pause", "resume", "reschedule"])
        check(f"{tag} cancel, pause, resume, reschedule take id or key", by_key)
        check(f"{tag} pause/resume/reschedule annotations",
              all(hints[n] == (False, False) for n in ["pause", "resume", "reschedule"])
              and tools["reschedule"].annotations.idempotent_hint is False, hints)

        # Schedule with a key twice: one task.
        args = {"when": "2h", "summary": f"Check the build {mode}", "key": "build-check",
                "key_points": ["job 4312 failed", "--not-a-flag"], "artifacts": ["/tmp/r.md"],
                "max_retries": 2}
        first = await client.call_tool("schedule", args)
        second = await client.call_tool("schedule", args)
        task = first.structured_content
        check(f"{tag} schedule succeeds", not first.is_error and task["status"] == "scheduled",
              first.content)
        check(f"{tag} text content is the same JSON",
              json.loads(first.content[0].text) == task, first.content[0].text)
        check(f"{tag} schedule twice with a key: same task",
              not second.is_error and second.structured_content["id"] == task["id"])
        check(f"{tag} stored: true, then false for the key hit",
              task.get("stored") is True and second.structured_content.get("stored") is False,
              (task.get("stored"), second.structured_content.get("stored")))
        check(f"{tag} run_at_local (with the zone's offset) and due_in",
              task["run_at_local"] == task["run_at"].replace("Z", "+00:00")
              and task["due_in"] in ("in 2h", "in 1h 59m"), task)
        check(f"{tag} the CLI's warning reaches the model",
              any(c.text.startswith("defer: warning: a task with key 'build-check' already")
                  and c.text.endswith("(replace replaces it)")
                  for c in second.content[1:]), second.content)
        check(f"{tag} list items are stored as given",
              task["context"]["key_points"] == ["job 4312 failed", "--not-a-flag"]
              and task["max_retries"] == 2)
        stored = world.cli_json("list")
        check(f"{tag} the CLI sees exactly one task", [t["id"] for t in stored] == [task["id"]],
              stored)
        check(f"{tag} the CLI's JSON keeps UTC only",
              not any(f in stored[0] for f in MCP_ONLY), stored[0])

        # The CLI writes, the server reads.
        by_cli = world.cli_json("schedule", "--when", "1d", "--summary", "from the CLI",
                                "--intent", "notify")
        listed = await client.call_tool("list", {})
        ids = [t["id"] for t in listed.structured_content["tasks"]]
        check(f"{tag} list wraps tasks and sees the CLI's task",
              not listed.is_error and ids == [task["id"], by_cli["id"]], listed.content)
        only_notify = await client.call_tool("list", {"intents": ["notify"]})
        check(f"{tag} list filters",
              [t["id"] for t in only_notify.structured_content["tasks"]] == [by_cli["id"]])

        shown = await client.call_tool("show", {"id": task["id"]})
        check(f"{tag} show equals `defer show`, plus local time",
              cli_view(shown.structured_content) == world.cli_json("show", task["id"])
              and "run_at_local" in shown.structured_content)

        # Pause, reschedule, resume by key; the CLI sees each.
        paused = await client.call_tool("pause", {"key": "build-check"})
        check(f"{tag} pause by key",
              not paused.is_error and paused.structured_content["status"] == "paused"
              and world.cli_json("show", task["id"])["status"] == "paused", paused.content)
        moved = await client.call_tool("reschedule", {"key": "build-check", "when": "3h"})
        check(f"{tag} reschedule by key keeps it paused",
              not moved.is_error and moved.structured_content["status"] == "paused"
              and moved.structured_content["rescheduled_from"] == task["run_at"],
              moved.content)
        resumed = await client.call_tool("resume", {"key": "build-check"})
        check(f"{tag} resume by key",
              not resumed.is_error and resumed.structured_content["status"] == "scheduled"
              and world.cli_json("show", task["id"])["status"] == "scheduled", resumed.content)
        prompt = await client.call_tool("show", {"id": task["id"], "include_prompt": True})
        cli = world.cli("show", task["id"], "--prompt")
        same = (prompt.is_error and cli.returncode == 1
                and prompt.content[0].text == cli.stderr.strip()) or (
                not prompt.is_error and cli.returncode == 0
                and prompt.content[1].text == cli.stdout)
        check(f"{tag} show include_prompt before a run: what `defer show --prompt` says",
              same, (prompt.content, cli))

        # Cancel by key; the CLI sees it.
        cancelled = await client.call_tool("cancel", {"key": "build-check", "reason": "done"})
        check(f"{tag} cancel by key",
              not cancelled.is_error and cancelled.structured_content["status"] == "cancelled"
              and cancelled.structured_content["id"] == task["id"], cancelled.content)
        check(f"{tag} the CLI sees the cancel",
              world.cli_json("show", task["id"])["cancel_reason"] == "done")
        history = await client.call_tool("history", {"key": "build-check"})
        check(f"{tag} history wraps the finished task, as `defer history`",
              not history.is_error
              and [t["id"] for t in history.structured_content["tasks"]] == [task["id"]]
              and [cli_view(t) for t in history.structured_content["tasks"]]
              == world.cli_json("history", "--key", "build-check"), history.content)
        again = await client.call_tool("cancel", {"id": task["id"]})
        cli_again = world.cli("cancel", task["id"])
        check(f"{tag} cancelling twice: the CLI's error",
              again.is_error and again.content[0].text == cli_again.stderr.strip()
              and cli_again.returncode == 1, (again.content, cli_again.stderr))

        # A task the runner (cron's `defer run`) took: its prompt through show.
        due = await client.call_tool("schedule", {"when": "now", "summary": f"due {mode}",
                                                  "intent": "notify"})
        due_id = due.structured_content["id"]
        ran = world.cli("run")
        shown = await client.call_tool("show", {"id": due_id, "include_prompt": True})
        cli_prompt = world.cli("show", due_id, "--prompt").stdout
        check(f"{tag} show include_prompt after a run: the prompt file",
              ran.returncode == 0 and not shown.is_error
              and shown.structured_content["status"] == "completed"
              and len(shown.content) == 2 and shown.content[1].text == cli_prompt
              and "You are resuming a deferred task" in cli_prompt,
              (ran.stderr, shown.content))

        # Bad values: the CLI's one-line message, nothing stored.
        before = world.cli_json("list", "--all")
        bad = await client.call_tool("schedule", {"when": "next blursday", "summary": "x"})
        cli_bad = world.cli("schedule", "--when", "next blursday", "--summary", "x")
        check(f"{tag} a bad when is isError with the CLI's message",
              bad.is_error and bad.content[0].text == cli_bad.stderr.strip()
              and bad.content[0].text.startswith("defer: invalid --when 'next blursday'"),
              (bad.content, cli_bad.stderr))
        bad_intent = await client.call_tool("schedule", {"when": "1h", "summary": "x",
                                                         "intent": "bogus"})
        check(f"{tag} a value outside a closed set: the CLI's message",
              bad_intent.is_error and bad_intent.content[0].text
              == world.cli("schedule", "--when", "1h", "--summary", "x", "--intent",
                           "bogus").stderr.strip(), bad_intent.content)
        check(f"{tag} nothing stored by bad calls", world.cli_json("list", "--all") == before)

        fires = await client.call_tool("when", {"every": "1h", "next": 3})
        cli_fires = world.cli_json("when", "--every", "1h", "--next", "3")
        check(f"{tag} when every: the CLI's fires, wrapped",
              not fires.is_error and len(fires.structured_content["fires"]) == 3
              and [f["input"] for f in fires.structured_content["fires"]]
              == [f["input"] for f in cli_fires], fires.content)
        doctor = await client.call_tool("doctor", {})
        cli_doctor = json.loads(world.cli("doctor", "--compact").stdout)
        checks = doctor.structured_content["checks"] if not doctor.is_error else []
        check(f"{tag} doctor: the CLI's checks, wrapped, after the server's own",
              not doctor.is_error and hints.get("doctor", (None,))[0] is True
              and [(c["check"], c["status"]) for c in checks[1:]]
              == [(c["check"], c["status"]) for c in cli_doctor], doctor.content)
        check(f"{tag} doctor says it checked the server's own environment",
              checks and checks[0]["check"] == "mcp_server"
              and "this MCP server's own environment" in checks[0]["detail"], checks[:1])

        preview = await client.call_tool("when", {"expression": "2026-12-01T09:00:00Z"})
        check(f"{tag} when", preview.structured_content["utc"] == "2026-12-01T09:00:00Z"
              and preview.structured_content["in_past"] in (True, False))


async def security(mode):
    """What a model may not do (docs/security.md): install a program for cron, or read
    a file outside ~/data/research through reorient."""
    world = World()
    tag = f"[{mode}]"
    home = world.env["HOME"]
    project = os.path.join(home, "data", "research", "projects", "good")
    os.makedirs(project)
    with open(os.path.join(project, "CONTEXT.md"), "w") as f:
        f.write("# Orientation\n- the good project\n")
    secret = os.path.join(home, ".env")
    with open(secret, "w") as f:
        f.write("API_KEY=sk-live-sdk\n")
    command = {"when": "1h", "summary": "runs a program", "command": ["touch", "/tmp/x"]}
    async with Client(world.params(), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        check(f"{tag} schedule is closed-world without --allow-commands",
              tools["schedule"].annotations.open_world_hint is False,
              tools["schedule"].annotations)
        for dry in (False, True):
            refused = await client.call_tool("schedule", {**command, "dry_run": dry})
            check(f"{tag} command refused without --allow-commands (dry_run={dry})",
                  refused.is_error and refused.content[0].text.startswith(
                      "defer: argument 'command' is refused")
                  and "defer mcp --allow-commands" in refused.content[0].text,
                  refused.content)
        read = await client.call_tool("schedule", {"when": "1h", "reorient": True,
                                                   "context_file": secret, "dry_run": True})
        check(f"{tag} reorient refuses a file outside ~/data/research",
              read.is_error and "refused: over MCP" in read.content[0].text
              and all("sk-live" not in c.text for c in read.content), read.content)
        good = await client.call_tool("schedule", {"when": "1h", "reorient": True,
                                                   "project": "good", "dry_run": True})
        check(f"{tag} reorient reads a project's CONTEXT.md",
              not good.is_error
              and good.structured_content["context"]["summary"] == "the good project",
              good.content)
        check(f"{tag} nothing stored by refused calls", world.cli_json("list", "--all") == [])
    async with Client(world.params("--allow-commands"), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        check(f"{tag} schedule is open-world with --allow-commands",
              tools["schedule"].annotations.open_world_hint is True,
              tools["schedule"].annotations)
        stored = await client.call_tool("schedule", command)
        check(f"{tag} command stored with --allow-commands",
              not stored.is_error
              and stored.structured_content["execution"]["command"] == ["touch", "/tmp/x"],
              stored.content)


async def main():
    for mode in MODES:
        for part in (session, security):
            try:
                await part(mode)
            except Exception:
                traceback.print_exc()
                check(f"[{mode}] {part.__name__} ran to the end", False)
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"mcp sdk: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
