# Two commands on a fresh machine with Python 3.11+:
#   make run    set up a virtual environment, install, migrate, seed demo data, serve
#   make test   lint, format check and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench clean

run: $(VENV)/.installed
	$(BIN)/courier run

test: $(VENV)/.installed node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# Every benchmark briefly. The two that need PostgreSQL run when COURIER_BENCH_POSTGRES names a
# server (each makes a database of its own there and drops it), e.g.
# COURIER_BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench
bench: $(VENV)/.installed
	for b in catalog_search scans labels timeline bridge sla_scan dispatch routing tickets load dashboard; do $(BIN)/python -m bench.$$b --quick || exit 1; done
	if [ -n "$$COURIER_BENCH_POSTGRES" ]; then for b in bridges partitions; do COURIER_BENCH_DATABASE_URL="$$COURIER_BENCH_POSTGRES" $(BIN)/python -m bench.$$b --quick || exit 1; done; else echo "bench.bridges and bench.partitions need COURIER_BENCH_POSTGRES (a PostgreSQL server)"; fi

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "campus-courier needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,cjk-font]'
	touch $@

# JavaScript comes from the npm registry at setup, never from the repository (see package.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules var screenshots .pytest_cache .ruff_cache *.egg-info
