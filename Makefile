# postpurchase — a newcomer runs `make demo` or `make test`; both build .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Three pytest workers on two cores: a third of the suite waits on servers, SMTP and
# PostgreSQL, so -n 3 keeps both cores busy (serial: ~22 min; -n 3: ~11 min). PYTEST_ARGS=
# (empty) runs serially, e.g. to read a failing test's output in order.
PYTEST_ARGS ?= -n 3

.PHONY: screenshots demo test lint typecheck unit integration e2e browser system-deps install dev clean bench faults edd-report i18n-extract i18n-update i18n-compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,carriers]'
	touch $(STAMP)

install: $(STAMP)

# Translations: gettext catalogues handled by Babel (src/postpurchase/locale, docs/translations.md).
# extract: the .pot templates from the English catalogue (ids are keys) and the code using
# them; update: merge them into every language (new keys appear untranslated, translations
# kept); compile: the .mo files read at run time (committed, so a clean clone works).
LOCALE_DIR := src/postpurchase/locale
I18N_DOMAINS := web messages returns

i18n-extract: install
	$(BIN)/python -m postpurchase.locale.tools extract

i18n-update: i18n-extract
	for d in $(I18N_DOMAINS); do \
	  $(BIN)/pybabel update -i $(LOCALE_DIR)/$$d.pot -d $(LOCALE_DIR) -D $$d -w 100 \
	    --ignore-obsolete --no-fuzzy-matching || exit 1; done

i18n-compile: install
	for d in $(I18N_DOMAINS); do \
	  $(BIN)/pybabel compile -d $(LOCALE_DIR) -D $$d --statistics || exit 1; done
	$(BIN)/python -m postpurchase.locale.tools check

# Debian packages the browser tests need (chromium; npm fetches axe-core from the npm
# registry) and the tracking-page benchmark's load generator (wrk); installed only when
# missing (apt-get runs as root here).
system-deps:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(BIN)/postpurchase demo $(DEMO_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: install
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

e2e: install
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

browser: install system-deps
	$(BIN)/pytest tests/browser $(PYTEST_ARGS)

# Refresh the documentation's screenshots (a plain test run writes them to a scratch dir).
screenshots: install system-deps
	POSTPURCHASE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/browser -k screenshots -p no:cacheprovider

test: install system-deps lint typecheck
	$(BIN)/pytest tests $(PYTEST_ARGS)

# kill -9 of a real worker while it sends, at full size: 1,000 messages, 20 kills, on SQLite
# and on PostgreSQL + Redis servers of its own (`make test` runs 300 messages and 5 kills);
# SMTP down 10 minutes, Redis down 60 s, PostgreSQL restarted and the API killed under
# 100,000 events (`make test`: 10,000 events, 2 s outages). About an hour on 2 cores.
faults: install
	POSTPURCHASE_FAULTS_MESSAGES=1000 POSTPURCHASE_FAULTS_KILLS=20 \
	POSTPURCHASE_OUTAGE_EVENTS=100000 POSTPURCHASE_OUTAGE_SECONDS=10 \
	POSTPURCHASE_OUTAGE_REDIS_SECONDS=60 POSTPURCHASE_OUTAGE_SMTP_SECONDS=600 \
	  $(BIN)/pytest tests/faults -s -p no:cacheprovider $(PYTEST_ARGS)

bench: install system-deps
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/notify.py
	$(BIN)/python benchmarks/tracking_page.py
	$(BIN)/python benchmarks/edd.py
	$(BIN)/python benchmarks/shopify_webhooks.py --db sqlite,postgresql
	$(BIN)/python benchmarks/scale.py

# Delivery-date accuracy: rolling monthly back-test and on-time/slack frontier on the shared
# Olist sample; rewrites the generated section of docs/edd.md and docs/edd_frontier.png.
edd-report: install
	nice -n 10 $(BIN)/python benchmarks/edd_frontier.py --docs docs/edd.md --figure docs/edd_frontier.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
