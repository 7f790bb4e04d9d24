# Daily commands. `make run` and `make test` are the two commands of the README.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_WORKERS ?= 2

.PHONY: run setup test check lint format typecheck messages worker beat bench bench-quick clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## The embedded default (SQLite file, Celery eager): set up, load the plan and demo, serve.
run: setup
	@$(PY) manage.py seed_demo
	@echo "Open http://$(HOST):$(PORT)/ and log in with one of the users above."
	$(PY) manage.py runserver $(HOST):$(PORT)

setup: $(STAMP)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_plan
	$(PY) manage.py load_issuers
	$(PY) manage.py load_norms
	$(PY) manage.py load_reporting
	$(PY) manage.py seed_demo > /dev/null
	$(PY) manage.py load_register
	$(PY) manage.py seed_register_demo > /dev/null

## Everything CI checks: lint, format, types, migrations, translations, Django's deployment
## checklist under the production settings, tests on PostgreSQL.
## The tests run on TEST_WORKERS pytest-xdist workers (each its own test database), then
## the integration tests (a Celery worker on Redis) on their own, without xdist; exit code
## 5 of a run that selected nothing is not a failure. `make test TEST_WORKERS=0` runs
## everything in one process. The time it took in all is printed at the end.
test: $(STAMP)
	@start=$$(date +%s); \
	run() { DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest "$$@" $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ]; }; \
	$(MAKE) --no-print-directory check \
		&& run -n $(TEST_WORKERS) -m "not integration" \
		&& run -m integration; \
	status=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s in all (lint, types, migrations, catalogues, tests)"; \
	exit $$status

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_messages.py
	@# Django's deployment checklist under the production settings, with a throw-away key
	@# (no database is reached).
	DJANGO_SETTINGS_MODULE=config.settings.production \
		SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		AUDIT_HMAC_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" \
		DATABASE_URL=postgres://check@127.0.0.1:5432/check ALLOWED_HOSTS=example.org \
		$(PY) manage.py check --deploy --fail-level WARNING

lint: $(STAMP)
	$(VENV)/bin/ruff check .
format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
typecheck: $(STAMP)
	$(VENV)/bin/mypy .

## Refresh the Vietnamese and English catalogues and compile them.
messages: $(STAMP)
	$(PY) manage.py makemessages -l vi -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

## A Celery worker and beat against Redis (set DATABASE_URL and CELERY_BROKER_URL).
worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -l info --concurrency 2
beat: $(STAMP)
	$(VENV)/bin/celery -A config beat -l info

## Benchmarks print their tables, write them with the machine's description to
## bench/results/<time>.json and (the full run) into docs/benchmarks.md; they assert
## nothing about time. `make bench` is aimed at under 15 minutes, `make bench-quick` at 2
## (smaller sizes, docs left as they are). Set DATABASE_URL (the server: each benchmark
## makes and drops a database bench_<name>, copied from a kept bench_template_<hash>) and
## CELERY_BROKER_URL (Redis).
bench: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m bench
bench-quick: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m bench --quick

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
