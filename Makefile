# Kestrel: `make run` opens the console, `make test` runs every check. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run demo test lint typecheck contracts unit perf perf-full clean venv screenshots

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)          ## open the console (first run offers "Try the demo school")
	$(BIN)/python main.py

demo: $(STAMP)         ## open the console on the synthetic demo school
	$(BIN)/python main.py demo

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy app db main.py

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	@$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test: lint typecheck contracts unit   ## everything CI runs

screenshots: $(STAMP)  ## README pictures from a fresh demo school (docs/*.png), under Xvfb
	if command -v xvfb-run >/dev/null; then QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
	  $(BIN)/python -m tests.screenshots docs; else $(BIN)/python -m tests.screenshots docs; fi

perf: $(STAMP)         ## benchmarks, small scale (< 1 minute)
	$(BIN)/python -m tests.perf --scale small

perf-full: $(STAMP)    ## benchmarks at 1,000,000 incidents (slow)
	$(BIN)/python -m tests.perf --scale full

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
