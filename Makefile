# The two commands: `make run` (serve on http://127.0.0.1:8080) and `make test`.
# The first Python 3.11+ on the PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || (echo "WAPIZ needs Python 3.11 or newer on the PATH" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/wapiz migrate
	$(BIN)/wapiz serve --no-migrate

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

# Schemathesis over the live API, longer than the suite's run (WAPIZ_FUZZ_EXAMPLES per
# operation; another seed with WAPIZ_FUZZ_SEED), on SQLite and, if configured, PostgreSQL.
fuzz: install
	WAPIZ_FUZZ_EXAMPLES=$${WAPIZ_FUZZ_EXAMPLES:-200} WAPIZ_FUZZ_TIMEOUT=$${WAPIZ_FUZZ_TIMEOUT:-3600} \
		$(BIN)/pytest -p no:xdist tests/test_fuzz.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/status_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
