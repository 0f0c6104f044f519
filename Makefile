# defer — build, try, test. Everything here works on a fresh machine with only the
# Rust toolchain: anything else a target needs, it installs (scripts/need.sh).

CARGO   ?= cargo
RELEASE := target/release/defer
# `make demo` keeps its state here unless DEFER_RUNTIME_DIR is set.
DEMO_RUNTIME ?= $(CURDIR)/.demo/runtime

.PHONY: all build install test lint demo clean

all: build

build:
	$(CARGO) build --release

install:
	$(CARGO) install --locked --path .

## Unit and integration tests, the same again with the clock 400 days ahead (no test
## may depend on today's date), the MCP server with the official Python SDK and
## registered in the Claude Code CLI, then the runnable examples against temp runtime dirs.
test:
	@scripts/need.sh jq faketime systemd-analyze:systemd
	@scripts/agent-clis.sh
	$(CARGO) test --all-targets
	@scripts/date-check.sh
	@scripts/mcp-sdk-test.sh
	@scripts/claude-mcp-test.sh
	@scripts/run-examples.sh

## Formatting, clippy, and the layering rules (docs/architecture.md): no import cycle,
## front ends and ops imported only from above, clap only in the CLI, no module
## importing a higher layer, at most two unsafe blocks, no file over 600 lines of
## non-test code.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	@scripts/need.sh python3
	python3 scripts/structure_test.py
	python3 scripts/structure.py --check

## Build, schedule a task due now, run the runner, show what it produced.
demo: build
	@DEFER_RUNTIME_DIR="$${DEFER_RUNTIME_DIR:-$(DEMO_RUNTIME)}" scripts/demo.sh $(RELEASE)

clean:
	$(CARGO) clean
	rm -rf .demo

## Benchmarks against generated stores of 1k, 10k and 100k records (bench/run.sh);
## bench-quick stops at 10k. Results: docs/performance.md.
.PHONY: bench bench-quick
bench:
	@bench/run.sh

bench-quick:
	@bench/run.sh --quick

## The kill -9 soak at length: every window, the DST ones too, up to a month each
## (scripts/soak.sh; DEFER_SOAK_STEPS=2000, DEFER_SOAK_SEED=N). See docs/lifecycle.md.
.PHONY: soak
soak:
	@scripts/need.sh faketime
	@scripts/soak.sh
