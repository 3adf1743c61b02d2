# Every target works on a fresh machine: the venv is made and filled on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME ?= $(CURDIR)/.demo
# The shared corpus of real-world runbooks that `make corpus` parses.
CORPUS ?= ../shared/corpus

.PHONY: demo test corpus lint bench screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# An editable install leaves no bytecode; without it every start recompiles.
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m compileall -q src
	touch $(STAMP)

# The demo's state home is .demo/ (its sandbox: .demo/demo/sandbox); `runbook-tui demo`
# alone keeps it under the usual state home instead.
demo: $(STAMP)
	$(BIN)/runbook-tui demo --home "$(DEMO_HOME)"

# The project alone: the corpus tests are deselected (`-m "not corpus"` in pyproject.toml).
test: $(STAMP)
	$(BIN)/python -m pytest

# Never skips: a missing corpus is a failure.
corpus: $(STAMP)
	@test -d "$(CORPUS)" || { \
		echo "make corpus: no runbook corpus at $(CORPUS): pass CORPUS=DIR" >&2; exit 1; }
	RUNBOOK_TUI_CORPUS="$(abspath $(CORPUS))" $(BIN)/python -m pytest -m corpus tests/test_corpus.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The README's picture of the walk screen, drawn by the app in a fresh demo sandbox.
screenshot: $(STAMP)
	$(BIN)/python scripts/screenshot.py

clean:
	rm -rf $(VENV) .demo .pytest_cache build dist src/*.egg-info
