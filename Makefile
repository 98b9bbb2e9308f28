# Taihe: `make run` to try it, `make test` to check it. Nothing else is needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run install install-dev migrate demo serve test lint types contracts migrations-check \
        e2e bench clean messages

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Taihe needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

run: install
	$(BIN)/taihe migrate
	$(BIN)/taihe demo
	$(BIN)/taihe serve

test: install-dev
	$(BIN)/python -m pytest -n auto -q
	$(MAKE) --no-print-directory lint types contracts migrations-check

lint: install-dev
	$(BIN)/ruff check src tests benchmarks

types: install-dev
	$(BIN)/mypy

contracts: install-dev
	$(BIN)/lint-imports

migrations-check: install-dev
	TAIHE_DATA_DIR=$$(mktemp -d) $(BIN)/taihe makemigrations --check --dry-run

bench: install-dev
	$(BIN)/python benchmarks/http_load.py

messages: install-dev
	cd src/taihe && DJANGO_SETTINGS_MODULE=taihe.config.settings_test ../../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete -e html,txt,py --ignore "modules/conservation/science/*" && DJANGO_SETTINGS_MODULE=taihe.config.settings_test ../../$(BIN)/django-admin makemessages -d djangojs -l zh_Hans --no-obsolete --ignore "*/vendor/*" && DJANGO_SETTINGS_MODULE=taihe.config.settings_test ../../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
