# The two commands of the README: `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench diagram

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/ypsi run

test: $(BIN)/.installed
	$(BIN)/ruff check bot conversations state_machines tests bench
	$(BIN)/ruff format --check --quiet bot conversations state_machines tests bench
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench

diagram: $(BIN)/.installed
	$(BIN)/ypsi diagram
