#!/usr/bin/env python3
"""How the source is layered, measured from the files (non-test code only).

Prints one line per rule for `src/` (`ok` or `FAIL`, the rule's name, the count), then
what breaks it:
  cycles      import cycles between modules (the file-level graph of `crate::`,
              `super::`, `self::` and child-module paths; a module and its own
              submodules are one unit): each as one path around it, with the names
              imported along each step
  front-ends  a front end (`crate::cli`, `crate::mcp`) or the operations layer
              (`crate::ops`, which only front ends call) imported from below it, or the
              CLI imported by the MCP server (`crate::cli` belongs to `src/cli/` and
              `src/main.rs`; the CLI may start the server, not the reverse)
  clap        `clap` used outside the CLI front end (`src/cli/`, `src/main.rs`)
  layers      a module importing one of a higher layer (LAYERS: the record < store and
              platform < domain < ops < front ends; a module not listed is domain)
  unsafe      `unsafe` blocks (at most MAX_UNSAFE)
  size        files over MAX_LINES lines of non-test code

Usage: scripts/structure.py [--check[=RULE,...]] [--src=DIR]
  --check           exit 1 when any rule is broken
  --check=cycles,front-ends
                    exit 1 when one of these rules is broken (all are still printed)
  --src=DIR         measure DIR instead of this repository's src/ (its tests use it)
Exit status 2: a usage error (an unknown option or rule).
Tests: python3 scripts/structure_test.py

Test code is left out: files named `tests.rs` or under a `tests/` folder, a
`#[cfg(test)] mod tests;` line, and everything from any other `#[cfg(test)]` line to
the end of its file (the crate keeps its test modules last).
"""

import os
import re
import signal
import sys
from collections import deque

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
MAX_LINES = 600
MAX_UNSAFE = 2
# The front ends: the CLI, the MCP server and the binary. They sit on top; nothing
# below may import them, and the MCP server does not import the CLI (both call `ops`).
FRONT_ENDS = ("cli", "mcp", "main")
# Where `crate::cli` and clap may appear.
CLI = ("cli", "main")
RULES = ("cycles", "front-ends", "clap", "layers", "unsafe", "size")
# The layers of docs/architecture.md, lowest first, by top-level module; every other
# module is domain. A module may import its own layer and the ones below it.
LAYERS = (
    ("the record", ("task", "timestamp")),
    ("store/platform", ("store", "config", "safe_fs", "trust", "audit", "executor",
                        "command", "shutdown", "bounded", "snapshot", "ids", "text", "lanes")),
    ("domain", ()),
    ("ops", ("ops",)),
    ("front ends", ("cli", "mcp", "main")),
)
USAGE = "scripts/structure.py [--check[=RULE,...]] [--src=DIR]"


def module_of(rel):
    """src-relative path -> module path tuple (`store/summary.rs` -> ('store', 'summary'))."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def is_test_attr(line):
    stripped = line.strip()
    return stripped.startswith("#[cfg(") and re.search(r"\btest\b", stripped)


def non_test_text(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        source = f.readlines()
    i = 0
    while i < len(source):
        line = source[i]
        if is_test_attr(line):
            following = source[i + 1].strip() if i + 1 < len(source) else ""
            if re.fullmatch(r"(pub(\([\w:]+\))?\s+)?mod\s+\w+\s*;", following):
                i += 2  # `#[cfg(test)] mod tests;`: only that line is test code
                continue
            break
        lines.append(line)
        i += 1
    return lines


def is_test_file(rel):
    parts = rel.split(os.sep)
    return parts[-1] == "tests.rs" or "tests" in parts[:-1]


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def expand_use(body):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (enough for our code)."""
    body = body.strip()
    m = re.match(r"^([\w:]*?)\{(.*)\}$", body, re.S)
    if not m:
        return [body]
    prefix, inner = m.group(1), m.group(2)
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in items:
        if item.strip():
            out.extend(prefix + x for x in expand_use(item))
    return out


def children(text):
    """The modules this file declares from files of their own (`mod summary;`)."""
    return set(re.findall(r"\bmod\s+(\w+)\s*;", text))


def references(text, module, kids):
    """Every module path this text names, absolute (tuples): `crate::`, `super::`,
    `self::` paths, and paths that start with one of its child modules `kids`."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand_use(m.group(1).replace("\n", " ")))
    paths.extend(re.findall(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", text))
    if kids:
        alternatives = "|".join(sorted(kids))
        paths.extend(re.findall(rf"(?<![\w:])((?:{alternatives})(?:::\w+)+)", text))
    out = []
    for p in paths:
        p = p.split(" as ")[0].strip()
        segs = [s for s in p.split("::") if s]
        if not segs:
            continue
        if segs[0] == "crate":
            out.append(tuple(segs[1:]))
        elif segs[0] == "super":
            base = list(module)
            while segs and segs[0] == "super":
                base = base[:-1]
                segs = segs[1:]
            out.append(tuple(base + segs))
        elif segs[0] == "self":
            out.append(tuple(module) + tuple(segs[1:]))
        elif segs[0] in kids:
            out.append(tuple(module) + tuple(segs))
    return out


def is_front(module):
    return module[:1] in [(f,) for f in FRONT_ENDS]


def layer_of(module):
    """(index, name) of the module's layer (a top-level module decides)."""
    top = module[:1]
    for index, (name, members) in enumerate(LAYERS):
        if top and top[0] in members:
            return index, name
    return 2, "domain"


def is_cli(module):
    return module[:1] in [(f,) for f in CLI]


def unit(module):
    """What a cycle must leave to count: a top-level module with its submodules (a
    parent declaring its children is not a cycle worth reporting)."""
    return module[:1]


def name(module):
    return "::".join(module) or "lib"


def load(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        for file_name in names:
            if not file_name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, file_name)
            rel = os.path.relpath(path, root)
            if is_test_file(rel):
                continue
            files[module_of(rel)] = (rel, non_test_text(path))
    return files


def graph(files):
    """module -> {module it imports -> the names it imports from it}."""
    edges = {m: {} for m in files}
    for module, (_, lines) in files.items():
        text = strip_comments("".join(lines))
        kids = {k for k in children(text) if module + (k,) in files}
        for target in references(text, module, kids):
            # the longest prefix that is a file of its own
            for n in range(len(target), 0, -1):
                if target[:n] in files and target[:n] != module:
                    what = target[n] if n < len(target) else target[-1]
                    edges[module].setdefault(target[:n], set()).add(what)
                    break
    return edges


def components(edges):
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(set(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sccs


def shortest_cycle(edges, comp):
    """One shortest path around `comp` that crosses units, as `a -> b (Name) -> ... -> a`."""
    best = None
    for start in sorted(comp):
        prev = {start: None}
        queue = deque([start])
        found = None
        while queue and found is None:
            v = queue.popleft()
            for w in sorted(edges[v]):
                if w not in comp:
                    continue
                if w == start:
                    found = v
                    break
                if w not in prev:
                    prev[w] = v
                    queue.append(w)
        if found is None:
            continue
        path = [start]
        v = found
        while v != start:
            path.append(v)
            v = prev[v]
        path = [start] + list(reversed(path[1:])) + [start]
        if len({unit(m) for m in path}) > 1 and (best is None or len(path) < len(best)):
            best = path
    if best is None:
        return " -> ".join(name(m) for m in sorted(comp))
    steps = [name(best[0])]
    for a, b in zip(best, best[1:]):
        steps.append(f"{name(b)} ({', '.join(sorted(edges[a][b]))})")
    return " -> ".join(steps)


def usage_error(message):
    print(f"structure.py: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    """The rules `--check` enforces (none without it), and the source folder."""
    check, root = set(), ROOT
    for arg in argv:
        if arg.startswith("--src="):
            root = arg[len("--src="):]
        elif arg == "--check":
            check |= set(RULES)
        elif arg.startswith("--check="):
            wanted = arg[len("--check="):].split(",")
            unknown = [r for r in wanted if r not in RULES]
            if unknown:
                usage_error(f"unknown rule '{','.join(unknown)}' (accepted: {', '.join(RULES)})")
            check |= set(wanted)
        else:
            usage_error(f"unknown argument '{arg}' (usage: {USAGE})")
    return check, root


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` is not an error
    check, root = parse_args(sys.argv[1:])
    files = load(root)
    edges = graph(files)

    # A cycle that stays inside one unit (a module and its submodules) is not
    # reported; every other component is, as one path around it.
    cycles = []
    for comp in components(edges):
        if len({unit(m) for m in comp}) > 1:
            members = ", ".join(name(m) for m in sorted(comp))
            cycles.append(f"{shortest_cycle(edges, comp)}\n          ({len(comp)} modules reach each other: {members})")

    below = []
    for module in sorted(edges):
        if is_cli(module) or module == ():
            continue
        for target in sorted(edges[module]):
            above = is_front(target) or target[:1] == ("ops",)
            if above and not is_front(module) and module[:1] != ("ops",) or is_cli(target):
                what = ", ".join(sorted(edges[module][target]))
                below.append(f"{files[module][0]} imports {name(target)} ({what})")

    upward = []
    for module in sorted(edges):
        if module == ():
            continue
        for target in sorted(edges[module]):
            (mine, mine_name), (theirs, their_name) = layer_of(module), layer_of(target)
            if theirs > mine:
                what = ", ".join(sorted(edges[module][target]))
                upward.append(f"{files[module][0]} ({mine_name}) imports {name(target)} ({their_name}: {what})")

    clap = []
    unsafe = []
    big = []
    for module, (rel, lines) in sorted(files.items()):
        text = strip_comments("".join(lines))
        if not is_cli(module) and module != ():
            if re.search(r"\bclap(_complete|_mangen)?::", text):
                clap.append(rel)
        for m in re.finditer(r"\bunsafe\s*\{", text):
            line = text[: m.start()].count("\n") + 1
            unsafe.append(f"{rel}:{line}")
        code = [l for l in lines if l.strip() and not l.strip().startswith("//")]
        if len(code) > MAX_LINES:
            big.append(f"{rel} ({len(code)} lines)")

    def report(rule, title, items, limit=0):
        good = len(items) <= limit
        status = "ok" if good else "FAIL"
        bound = f" (at most {limit})" if limit else ""
        print(f"{status:4}  {rule}: {title}: {len(items)}{bound}")
        for item in items:
            print(f"        {item}")
        return good or rule not in check

    ok = True
    ok &= report("cycles", "import cycles between modules", cycles)
    ok &= report("front-ends", "a front end or ops imported from below, or the CLI by MCP", below)
    ok &= report("clap", "clap outside the CLI front end (src/cli, main.rs)", clap)
    ok &= report("layers", "a module importing a higher layer", upward)
    ok &= report("unsafe", "unsafe blocks", unsafe, MAX_UNSAFE)
    ok &= report("size", f"files over {MAX_LINES} lines of non-test code", big)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
