#!/usr/bin/env python3
"""How the source is layered, measured from the files (non-test code only).

Prints, for `src/`:
  - cycles in the file-level import graph (`crate::` and `super::` paths),
  - `clap` or `crate::cli` used outside the CLI front end (`src/cli/`, `src/main.rs`),
  - `unsafe` blocks,
  - files over 600 lines of non-test code.

Usage: scripts/structure.py [--check]   (--check: exit 1 when any rule is broken)
Test code is left out: files named `tests.rs` or under a `tests/` folder, and everything
from a `#[cfg(test)]` line to the end of its file (the crate keeps its test modules last).
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
MAX_LINES = 600
MAX_UNSAFE = 2
FRONT_ENDS = ("cli", "main")


def module_of(rel):
    """src-relative path -> module path tuple (`store/summary.rs` -> ('store', 'summary'))."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def non_test_text(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("#[cfg(") and re.search(r"\btest\b", stripped):
                break
            lines.append(line)
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


def references(text, module):
    """Every module path this text names, absolute (tuples)."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand_use(m.group(1).replace("\n", " ")))
    paths.extend(re.findall(r"\b((?:crate|super)(?:::\w+)+)", text))
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
    return out


def main():
    check = "--check" in sys.argv[1:]
    files = {}
    for dirpath, _, names in os.walk(ROOT):
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            if is_test_file(rel):
                continue
            files[module_of(rel)] = (rel, non_test_text(path))

    edges = {m: set() for m in files}
    for module, (rel, lines) in files.items():
        text = strip_comments("".join(lines))
        for target in references(text, module):
            # the longest prefix that is a file of its own
            for n in range(len(target), 0, -1):
                if target[:n] in files and target[:n] != module:
                    edges[module].add(target[:n])
                    break

    # Tarjan's strongly connected components
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
                sccs.append(comp)

    for v in sorted(files):
        if v not in index:
            visit(v)

    # A module and its own submodules (`store` and `store::summary`) are one unit:
    # a parent declaring its children is not a cycle worth reporting.
    def unit(m):
        return m[:1]

    cycles = []
    for comp in sccs:
        if len({unit(m) for m in comp}) > 1:
            cycles.append(sorted("::".join(m) or "lib" for m in comp))

    front = []
    unsafe = []
    big = []
    for module, (rel, lines) in sorted(files.items()):
        text = strip_comments("".join(lines))
        is_front = module[:1] in [(f,) for f in FRONT_ENDS]
        if not is_front and module != ():
            if re.search(r"\bclap(_complete|_mangen)?::", text) or re.search(r"\bcrate::cli\b", text):
                front.append(rel)
        for m in re.finditer(r"\bunsafe\s*\{", text):
            line = text[: m.start()].count("\n") + 1
            unsafe.append(f"{rel}:{line}")
        code = [l for l in lines if l.strip() and not l.strip().startswith("//")]
        if len(code) > MAX_LINES:
            big.append(f"{rel} ({len(code)} lines)")

    def report(title, items, limit=0):
        status = "ok" if len(items) <= limit else "FAIL"
        print(f"{status:4}  {title}: {len(items)}" + (f" (at most {limit})" if limit else ""))
        for item in items:
            print(f"        {item}")
        return len(items) <= limit

    ok = True
    ok &= report("import cycles between modules", [" -> ".join(c) for c in cycles])
    ok &= report("clap or crate::cli outside src/cli and main.rs", front)
    ok &= report("unsafe blocks", unsafe, MAX_UNSAFE)
    ok &= report(f"files over {MAX_LINES} lines of non-test code", big)
    if check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
