# Two commands on a fresh clone: `make run` and `make test`. Only python3 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-deps
DEV_STAMP := $(VENV)/.dev-deps
ARGS ?=

.PHONY: run test lint types unit bench eval demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python main.py run $(ARGS)

test: lint types unit

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(DEV_STAMP)
	$(BIN)/mypy

# Tests run in one worker process per core (pytest-xdist): most of their time is waiting on
# real sockets and subprocesses, and `make test` must stay under 5 minutes on 2 cores.
unit: $(DEV_STAMP)
	$(BIN)/pytest -q -n auto $(ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/bot.py

# The bundled sample feeds through the real pipeline into a throwaway database, a digest, then
# the console on it. Only 127.0.0.1 is contacted. ARGS=--no-console prints and exits.
demo: $(RUN_STAMP)
	$(BIN)/python main.py demo $(ARGS)

# Tagger quality on ../shared/eval (dev sets) and tests/data (our own labeled set).
eval: $(DEV_STAMP)
	$(BIN)/python -m bot.tagging.evaluation $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
