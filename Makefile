# One-stop commands. `make run` starts the bot, `make test` runs every check.
# Python 3.11 or newer: python3.11 if there is one, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
LOCALES := bot/i18n/locales

.PHONY: run test lint typecheck pytest compile extract sandbox bench lock clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run: make PYTHON=/path/to/python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## compile the gettext catalogs (.po -> .mo)
compile: $(VENV)/.installed
	@$(VENV)/bin/pybabel --quiet compile --use-fuzzy -d $(LOCALES) -D messages

## start the bot (applies migrations first); needs BOT_TOKEN in the environment or .env
run: compile
	@$(PY) -m bot

## everything CI checks: lint, format, types, tests
test: $(VENV)/.installed-dev compile lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy bot db sandbox tests bench

# pytest under coverage (bot processes the tests start included), then the line coverage of
# bot/ and db/, which fails below [tool.coverage.report] fail_under in pyproject.toml.
## PYTEST_ARGS, e.g. "--lane sqlite" (one storage lane) or "-k webhook"
## JOBS: pytest worker processes (pytest-xdist); JOBS=0 runs the tests in this process.
## Tests marked at_the_limit (sending at Telegram's limit) run afterwards, alone (exit code 5:
## none of them was selected).
JOBS ?= 4
pytest: $(VENV)/.installed-dev compile
	@rm -f .coverage .coverage.*
	$(VENV)/bin/coverage run -m pytest -q -n $(JOBS) -m "not at_the_limit" $(PYTEST_ARGS) || test $$? -eq 5
	$(VENV)/bin/coverage run -m pytest -q -m at_the_limit $(PYTEST_ARGS) || test $$? -eq 5
	@$(VENV)/bin/coverage combine --quiet
	$(VENV)/bin/coverage report

## refresh messages.pot and merge new strings into every .po
extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -o bot/i18n/messages.pot --no-location --sort-output bot
	$(VENV)/bin/pybabel update -i bot/i18n/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching --ignore-obsolete

## run the local Telegram stand-in: make sandbox PORT=8081 [SANDBOX_ARGS="--webhook-proxy ..."]
PORT ?= 8081
sandbox: $(VENV)/.installed-dev
	$(PY) -m sandbox --host 127.0.0.1 --port $(PORT) $(SANDBOX_ARGS)

## refresh requirements.lock (pinned, with hashes) from pyproject.toml, for deployments
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --extra postgres \
		--output-file requirements.lock pyproject.toml

## benchmarks (not tests)
bench: $(VENV)/.installed-dev compile
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .coverage .coverage.*
	find $(LOCALES) -name '*.mo' -delete
