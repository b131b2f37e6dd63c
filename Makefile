# Every target builds .venv on first use, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test test-all check format bench screenshots snapshot-update emulator clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "intercom-tui needs Python 3.11 or newer (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)  ## open the app on the built-in emulator's seeded workspace
	$(BIN)/intercom-tui --demo

emulator: $(STAMP)  ## run the API emulator alone on 127.0.0.1:8765
	$(BIN)/intercom-tui emulator --port 8765

check: $(STAMP)  ## static checks: ruff lint + format, import contracts
	$(BIN)/ruff check intercom_tui tests benchmarks
	$(BIN)/ruff format --check intercom_tui tests benchmarks
	$(BIN)/lint-imports

test: check  ## static checks, then the test suite (slow cases excluded)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-all: check  ## everything, slow cases included
	$(BIN)/python -m pytest -q -m '' $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff check --fix intercom_tui tests benchmarks
	$(BIN)/ruff format intercom_tui tests benchmarks

bench: $(STAMP)  ## start-up, scrolling, thread and sync benchmarks, printed as ratios
	$(BIN)/python -m benchmarks

screenshots: $(STAMP)  ## regenerate screenshots/*.svg from the demo workspace
	$(BIN)/python -m intercom_tui.ui.screenshots screenshots

snapshot-update: $(STAMP)
	$(BIN)/python -m pytest -q tests/snapshots --snapshot-update

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dist build
