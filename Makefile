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

# The demo organisation only in development on the embedded database (otherwise it says so and goes on);
# both commands migrate the database first. One Ctrl-C stops the server and its worker.
run: $(STAMP)
	$(BIN)/konsent demo --or-skip
	$(BIN)/konsent serve --with-worker

test: $(STAMP)
	scripts/ensure-chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/decide.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/api.py

docs: $(STAMP)
	$(BIN)/konsent docs legal-basis > docs/legal-basis.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
