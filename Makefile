# flex-channels: every target sets itself up, so on a fresh machine one command is enough.
PYTHON ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
# Two stamps in one venv: the run-time install (this project and what pyproject.toml lists), which is all
# `make validate` and `pulumi up` need, and the test and lint tools on top of it.
RUNTIME := $(VENV)/.installed-runtime
STAMP   := $(VENV)/.installed

.PHONY: test lint engine setup up destroy down clean emulator env validate bench bench-record bench-engine

# The one test command: README and .ci/run both call it. The real-engine tests need the Pulumi engine.
test: lint engine
	$(PY) -m pytest

# The Pulumi CLI the tests and `make up` run: on PATH, else built once per machine from Pulumi's Go modules into
# ~/.cache/flex-channels (scripts/engine.py; a few minutes the first time, nothing after).
engine:
	@$(PYTHON) scripts/engine.py --for test >/dev/null

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/actionlint .github/workflows/*.yml examples/github-workflow/*.yml

$(RUNTIME): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "flex-channels needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(RUNTIME)

$(STAMP): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP)

# The main job: pulumi up of stacks/dev.yaml, on the local emulator when no credentials are set.
up:
	@scripts/quickstart.sh up

destroy:
	@scripts/quickstart.sh destroy

down:
	@scripts/quickstart.sh down

validate: $(RUNTIME)
	$(PY) -m flex_provider validate

emulator: $(RUNTIME)
	@scripts/quickstart.sh emulator

# The shell lines that give a shell the pulumi, state and emulator settings `make up` uses: eval "$$(make env)"
# (from another folder, `make -s -C <checkout> env`: -C alone prints "Entering directory" lines).
env:
	@scripts/quickstart.sh env

# Benchmarks (not part of the tests). `make bench` writes bench/results/latest/ (ignored by git);
# `make bench-record` replaces the tracked bench/results/*.json that BENCHMARKS.md quotes.
bench: $(STAMP)
	$(PY) bench/run.py

bench-record: $(STAMP)
	$(PY) bench/run.py --record

# The real-engine benchmarks of issue 20 (about 35 minutes on 2 cores): `pulumi up` through each front end, with and
# without Pulumi's per-step state writes, and the native plugin alone; add ARGS=--record for new figures.
bench-engine: $(STAMP) engine
	$(PY) bench/run.py engine engine-skip-checkpoints --reps 2 $(ARGS)
	$(PY) bench/run.py plugin --reps 5 $(ARGS)

# Forget local state: the emulator's channels and the project-local Pulumi state (the Pulumi CLI
# that `make up` downloaded into .pulumi/ stays).
clean: down
	rm -rf .emulator .pulumi-state .pytest_cache .ruff_cache .hypothesis
