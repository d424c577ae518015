# The two commands of the README. Each bootstraps .venv from nothing, then runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean redis-server

$(STAMP): pyproject.toml
	@echo "first run: creating $(VENV) and installing exchanges with its dev tools (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m exchanges.cli.demo
	$(BIN)/python -m exchanges.cli.demo --bots

test: lint typecheck redis-server unit

# The sharing tests (tests/sharing/) start their own redis-server on a free loopback port.
# Installed here when missing and we can (root on Debian); otherwise one line says how.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian's redis-server for the sharing tests (apt-get install -y redis-server)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "make: redis-server is missing: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)" >&2; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

# Three workers on two cores: most tests wait on sockets and processes, not on the CPU
# (the whole suite: about 3 minutes instead of 9 in one process).
unit: $(STAMP)
	$(BIN)/pytest -n 3

bench: $(STAMP)
	$(BIN)/python bench/number_types.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
