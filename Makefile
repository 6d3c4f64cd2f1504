# The one entry point of the roundtable hub. `make run` serves the hub; `make test` checks all of it.
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-x tests/hub"
PYTEST_ARGS ?=
# Parallel pytest workers (pytest-xdist), each with its own test database and Redis key prefix; 0: one process.
PYTEST_WORKERS ?= 2

# The venv and the front-end bundles do not depend on each other: set them up side by side.
MAKEFLAGS += --jobs=2

PY := $(VENV)/bin/python
SERVICES := PYTHON_FOR_PORTS=$(PY) scripts/test-services.sh

.PHONY: help run test test-sqlite bench lint clean venv venv-dev assets

help:
	@echo "make run          set up (venv, assets, migrations, demo data) and serve (plus the publishing scheduler) http://$(HOST):$(PORT)"
	@echo "make test         lint, pip check and the whole test suite on throwaway PostgreSQL + Redis"
	@echo "make test-sqlite  quick run on SQLite, skipping PostgreSQL/Redis tests (never in CI)"
	@echo "make bench        run every bench/*.py on throwaway PostgreSQL + Redis"
	@echo "make lint         ruff"
	@echo "make clean        remove the venv, node_modules, collected static files and test artifacts"

venv:
	@scripts/venv.sh $(PYTHON) $(VENV) requirements.txt

venv-dev:
	@scripts/venv.sh $(PYTHON) $(VENV) requirements-dev.txt

assets:
	@scripts/assets.sh

run: venv assets
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_roundtable
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving the hub on http://$(HOST):$(PORT)/ (HTTP and websockets; Ctrl-C stops), scheduled publishing every minute"
	@$(PY) manage.py run_scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv-dev
	$(VENV)/bin/ruff check .

test: venv-dev assets lint
	$(PY) -m pip check
	$(PY) manage.py check --fail-level WARNING
	$(SERVICES) $(PY) -m pytest -n $(PYTEST_WORKERS) --durations=25 $(PYTEST_ARGS)

test-sqlite: venv-dev assets
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)

bench: venv-dev
	$(SERVICES) --no-browser env PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=hub.settings scripts/bench.sh $(PY)

clean:
	rm -rf $(VENV) node_modules staticfiles test-artifacts .run
	find . -name __pycache__ -type d -prune -not -path "./.git/*" -exec rm -rf {} +
