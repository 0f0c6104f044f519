#!/usr/bin/env python3
"""Tests of scripts/structure.py: small source trees in temp folders, the script run on
each as a program (`--src=DIR`). Run: python3 scripts/structure_test.py"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "structure.py")


def measure(tree, *args):
    """Writes `tree` ({path: text}) to a temp folder and runs the script on it."""
    with tempfile.TemporaryDirectory() as src:
        for rel, text in tree.items():
            path = os.path.join(src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(text))
        ran = subprocess.run(
            [sys.executable, "-B", SCRIPT, f"--src={src}", *args],
            capture_output=True,
            text=True,
            check=False,
        )
    return ran


def rule(ran, name):
    """The rule's status line and the lines under it."""
    lines = ran.stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l[6:].startswith(name + ":"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


LIB = "pub mod a;\npub mod b;\npub mod cli;\n"


class Cycles(unittest.TestCase):
    def test_a_cycle_between_modules_is_one_path_with_the_names(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "use crate::b::Thing;\n",
            "b.rs": "pub fn f() { crate::a::g(); }\n",
        }, "--check=cycles")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        lines = rule(ran, "cycles")
        self.assertTrue(lines[0].startswith("FAIL  cycles:") and lines[0].endswith(": 1"), lines)
        self.assertEqual(lines[1].strip(), "a -> b (Thing) -> a (g)")

    def test_child_module_paths_count(self):
        # `mod inner;` then `inner::x`, and `self::`, are edges like `crate::` ones.
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "mod inner;\npub use inner::Thing;\n",
            "a/inner.rs": "pub fn f() { crate::b::h(); }\n",
            "b.rs": "use crate::a;\npub fn h() { a::Thing; }\n",
        }, "--check=cycles")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        self.assertIn("a -> a::inner (Thing) -> b (h) -> a (a)", ran.stdout)

    def test_a_module_and_its_submodules_are_one_unit(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "mod inner;\nuse self::inner::X;\n",
            "a/inner.rs": "use super::Y;\n",
            "b.rs": "use crate::a::inner::X;\n",
        }, "--check=cycles")
        self.assertEqual(ran.returncode, 0, ran.stdout)
        self.assertTrue(rule(ran, "cycles")[0].startswith("ok    cycles:"))

    def test_test_code_is_left_out(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "use crate::b::X;\n#[cfg(test)]\nmod tests;\nmod later;\n",
            "a/later.rs": "pub fn f() {}\n",
            "a/tests.rs": "use crate::a::f;\n",
            "b.rs": "pub struct X;\n#[cfg(test)]\nmod tests {\n    use crate::a::later::f;\n}\n",
        }, "--check=cycles")
        self.assertEqual(ran.returncode, 0, ran.stdout)


class FrontEnds(unittest.TestCase):
    def test_a_front_end_imported_from_below_is_reported(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "use crate::cli::Args;\n",
            "b.rs": "pub fn f() { crate::mcp::serve(); crate::ops::run(); }\n",
            "cli/mod.rs": "use crate::a::f;\npub fn main() { crate::ops::run(); }\n",
            "ops/mod.rs": "pub fn run() { crate::a::f(); }\n",
            "mcp/mod.rs": "pub fn serve() { crate::cli::main(); }\n",
        }, "--check=front-ends")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        self.assertEqual(
            [l.strip() for l in rule(ran, "front-ends")[1:]],
            ["a.rs imports cli (Args)", "b.rs imports mcp (serve)", "b.rs imports ops (run)",
             "mcp/mod.rs imports cli (main)"],
        )

    def test_the_cli_may_start_the_server_and_use_clap(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "pub fn f() {}\n",
            "b.rs": "pub fn g() {}\n",
            "cli/mod.rs": "use clap::Parser;\npub fn main() { crate::mcp::serve(); }\n",
            "mcp/mod.rs": "pub fn serve() { crate::a::f(); }\n",
            "main.rs": "fn main() { defer::cli::main(); }\n",
        }, "--check=cycles,front-ends,clap")
        self.assertEqual(ran.returncode, 0, ran.stdout)

    def test_the_server_may_not_use_the_cli_or_clap(self):
        ran = measure({
            "lib.rs": LIB,
            "a.rs": "pub fn f() {}\n",
            "b.rs": "pub fn g() {}\n",
            "cli/mod.rs": "pub fn main() { crate::mcp::serve(); }\n",
            "mcp/mod.rs": "use clap::CommandFactory;\npub fn serve() { crate::cli::main(); }\n",
        }, "--check=cycles,front-ends,clap")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        self.assertEqual(rule(ran, "clap")[1].strip(), "mcp/mod.rs")
        self.assertEqual(rule(ran, "front-ends")[1].strip(), "mcp/mod.rs imports cli (main)")
        self.assertIn("cli -> mcp", rule(ran, "cycles")[1])

    def test_clap_below_the_front_ends_is_reported(self):
        ran = measure({"lib.rs": LIB, "a.rs": "use clap::ValueEnum;\n", "b.rs": ""}, "--check=clap")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        self.assertEqual(rule(ran, "clap")[1].strip(), "a.rs")


class Layers(unittest.TestCase):
    def test_a_lower_layer_importing_a_higher_one_is_reported(self):
        ran = measure({
            "lib.rs": LIB,
            "task.rs": "use crate::snapshot::Snapshot;\n",
            "snapshot.rs": "use crate::a::f;\npub struct Snapshot;\n",
            "a.rs": "use crate::task::Task;\npub fn f() {}\n",
            "b.rs": "use crate::snapshot::Snapshot;\n",
        }, "--check=layers")
        self.assertEqual(ran.returncode, 1, ran.stdout)
        self.assertEqual(
            [l.strip() for l in rule(ran, "layers")[1:]],
            ["snapshot.rs (store/platform) imports a (domain: f)",
             "task.rs (the record) imports snapshot (store/platform: Snapshot)"],
        )

    def test_downward_imports_are_fine(self):
        ran = measure({
            "lib.rs": LIB,
            "task.rs": "use crate::timestamp::T;\n",
            "timestamp.rs": "pub struct T;\n",
            "a.rs": "use crate::task::Task;\nuse crate::store::S;\n",
            "b.rs": "",
            "store.rs": "use crate::task::Task;\npub struct S;\n",
        }, "--check=layers")
        self.assertEqual(ran.returncode, 0, ran.stdout)


class Check(unittest.TestCase):
    TREE = {"lib.rs": LIB, "a.rs": "fn f() { unsafe { g() } unsafe { g() } unsafe { g() } }\n", "b.rs": ""}

    def test_only_the_rules_named_are_enforced(self):
        self.assertEqual(measure(self.TREE).returncode, 0)
        self.assertEqual(measure(self.TREE, "--check=cycles,size").returncode, 0)
        self.assertEqual(measure(self.TREE, "--check=unsafe").returncode, 1)
        self.assertEqual(measure(self.TREE, "--check").returncode, 1)

    def test_usage_errors_exit_2(self):
        for args in (["--check=cycle"], ["-x"]):
            ran = measure(self.TREE, *args)
            self.assertEqual(ran.returncode, 2, args)
            self.assertEqual(len(ran.stderr.splitlines()), 1, ran.stderr)
            self.assertTrue(ran.stderr.startswith("structure.py: "), ran.stderr)


if __name__ == "__main__":
    unittest.main()
