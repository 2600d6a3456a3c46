# The two commands of the README: `make run` and `make test`. Each creates .venv on first use;
# `make run` installs what the bot needs to run, `make test` adds the test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench fuzz diagram

$(BIN)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.test-tools: $(BIN)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.runtime
	$(BIN)/ypsi run

test: $(BIN)/.test-tools
	$(BIN)/ruff check bot conversations state_machines tests bench
	$(BIN)/ruff format --check --quiet bot conversations state_machines tests bench
	$(BIN)/python -m pytest

# The hostile-input tests with ten times the examples, freshly random (CI runs them seeded).
fuzz: $(BIN)/.test-tools
	YPSI_FUZZ=wide $(BIN)/python -m pytest tests/test_hostile_input.py

bench: $(BIN)/.test-tools
	$(BIN)/python -m bench

diagram: $(BIN)/.runtime
	$(BIN)/ypsi diagram
