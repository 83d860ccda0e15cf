# The two commands: `make run` (serve on http://127.0.0.1:8080) and `make test`.
# The first Python 3.11+ on the PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The web front end's packages (the web app's Alpine.js, Pico CSS and uPlot; the API docs'
# Swagger UI and ReDoc), from the npm registry.
WEB_STAMP := web/node_modules/.installed-stamp

.PHONY: install run test lint format bench bench-scale fuzz clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || (echo "WAPIZ needs Python 3.11 or newer on the PATH" >&2; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Static files only: no package's install scripts run (one would report the install home).
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null 2>&1 || (echo "WAPIZ needs npm (Node.js) to install the web app's and the API docs' assets: apt-get install -y nodejs npm" >&2; exit 1)
	cd web && npm ci --ignore-scripts --omit=peer --no-audit --no-fund
	@touch $(WEB_STAMP)

install: $(STAMP) $(WEB_STAMP)

run: install
	$(BIN)/wapiz migrate
	$(BIN)/wapiz serve --no-migrate

# The suite in parallel, then the tests marked `alone` one at a time with nothing beside them:
# they measure how long devices go without a session while runners die, join and drain, and on
# a small machine shared with the rest of the suite they measured that load instead. Both
# parts always run; either failing fails the target.
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -m "not alone"; parallel=$$?; $(BIN)/pytest -n 0 -m alone; alone=$$?; \
		[ $$parallel -eq 0 ] && [ $$alone -eq 0 ]

# Schemathesis over the live API, longer than the suite's run (WAPIZ_FUZZ_EXAMPLES per
# operation; another seed with WAPIZ_FUZZ_SEED), on SQLite and, if configured, PostgreSQL.
fuzz: install
	WAPIZ_FUZZ_EXAMPLES=$${WAPIZ_FUZZ_EXAMPLES:-200} WAPIZ_FUZZ_TIMEOUT=$${WAPIZ_FUZZ_TIMEOUT:-3600} \
		$(BIN)/pytest -p no:xdist tests/test_fuzz.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/status_bench.py

# Devices per runner and 1-3 runners, on the PostgreSQL of WAPIZ_TEST_DATABASE_URL (default
# postgresql+asyncpg://postgres@127.0.0.1:5432/test). Sizes by flags, e.g.
# make bench-scale SANDBOX_ARGS="--devices 200" RUNNERS_ARGS="--runners 1 2"
# (bench/scale_bench.py sandbox|whatsmeow|runners --help).
bench-scale: install
	$(BIN)/python bench/scale_bench.py sandbox $(SANDBOX_ARGS)
	$(BIN)/python bench/scale_bench.py whatsmeow $(WHATSMEOW_ARGS)
	$(BIN)/python bench/scale_bench.py runners $(RUNNERS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache web/node_modules
