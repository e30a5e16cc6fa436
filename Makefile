# One entry point: `make run` starts konsent, `make test` runs every test.
# Both create the virtual environment in .venv on first use; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/konsent check-scenarios examples/scenarios
	$(BIN)/konsent serve

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/decide.py
	$(BIN)/python bench/ledger.py

docs: $(STAMP)
	$(BIN)/konsent docs legal-basis > docs/legal-basis.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
