# Development tasks. Needs GNU make, python3 (3.11+), Java 17+ and npm; MariaDB is
# started (or, as root with apt-get, installed) when a target needs it.
#
#   make test    lint, type-check and run every test against real servers
#   make demo    run the demonstration into out/demo
#   make lint    ruff (lint and format check) and mypy only
#   make bench   run every benchmark (bench/bench_*.py)
#   make clean   remove build and test leftovers (distclean: the virtualenv too)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-pyproject
PYTEST_ARGS ?=

.PHONY: venv servers mariadb install-mariadb dynamodb-local chromium promtool lint format test demo bench clean distclean

venv: $(STAMP)

# Re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

servers: mariadb dynamodb-local

# A MySQL-compatible server for the tests, unless DAL_TEST_MYSQL_URL names one.
mariadb: venv
	@if [ -n "$${DAL_TEST_MYSQL_URL:-}" ]; then exit 0; fi; \
	if [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then \
		$(MAKE) --no-print-directory install-mariadb; \
	fi; \
	$(BIN)/python -m dal.local.mariadb

# Debian's MariaDB, with root allowed in over TCP without a password (tests only).
install-mariadb: venv
	@if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "MariaDB is not installed: install mariadb-server, or set DAL_TEST_MYSQL_URL" >&2; \
		exit 1; \
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server
	$(BIN)/python -m dal.local.mariadb || true
	mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"

# The DynamoDB Local jar in the cache, unless DAL_TEST_DYNAMODB_URL names a server.
dynamodb-local: venv
	@if [ -z "$${DAL_TEST_DYNAMODB_URL:-}" ]; then $(BIN)/python -m dal.local.dynamodb_local --ensure; fi

# Headless Chromium for the test that renders the report's charts, unless DAL_TEST_CHROMIUM
# names a browser; installed with apt-get when missing and you are root.
chromium:
	@if [ -n "$${DAL_TEST_CHROMIUM:-}" ]; then exit 0; fi; \
	for name in chromium chromium-browser google-chrome; do \
		if command -v $$name >/dev/null; then exit 0; fi; \
	done; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "Chromium is not installed: install chromium, or set DAL_TEST_CHROMIUM" >&2; \
		exit 1; \
	fi; \
	apt-get update; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Prometheus's promtool for the tests of the alert rules in config/, unless DAL_TEST_PROMTOOL
# names one or it is on the PATH: the binary alone, unpacked from Debian's prometheus package
# into the cache (nothing is installed and no server is started).
PROMTOOL_CACHE := $(HOME)/.cache/dual-dal/promtool
promtool:
	@if [ -n "$${DAL_TEST_PROMTOOL:-}" ] || command -v promtool >/dev/null \
		|| [ -x "$(PROMTOOL_CACHE)/usr/bin/promtool" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "promtool is not installed: install prometheus, or set DAL_TEST_PROMTOOL" >&2; \
		exit 1; \
	fi; \
	work=$$(mktemp -d); \
	cd "$$work"; \
	if ! apt-get download prometheus >/dev/null 2>&1; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "promtool: apt-get download prometheus failed: run apt-get update, or set DAL_TEST_PROMTOOL" >&2; \
			exit 1; \
		fi; \
		apt-get update >/dev/null; \
		apt-get download prometheus; \
	fi; \
	mkdir -p "$(PROMTOOL_CACHE)"; \
	dpkg-deb -x prometheus_*.deb "$(PROMTOOL_CACHE)"; \
	rm -rf "$$work"; \
	"$(PROMTOOL_CACHE)/usr/bin/promtool" --version | head -1

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint servers chromium promtool
	DAL_TEST_REQUIRE_SERVERS=1 $(BIN)/pytest $(PYTEST_ARGS)

demo: venv dynamodb-local
	$(BIN)/python -m examples.store.demo --out out/demo

# Each bench/bench_*.py is a script comparing the layer with the raw clients.
bench: venv servers
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python "$$script"; done

clean:
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis dal-store.db
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
