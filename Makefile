# The commands a user and CI run. Everything installs into .venv from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DB ?= practitioners.db
PORT ?= 8001

.PHONY: install demo scrape serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Start the local stand-ins of the public sites, scrape them through real HTTP, serve the result.
demo: $(STAMP)
	$(PY) -m tests.sites.demo --db demo.db --port $(PORT)

# Scrape the real public sources (polite defaults: 1 request a second per host).
scrape: $(STAMP)
	$(VENV)/bin/practitioners scrape --db $(DB)

serve: $(STAMP)
	$(VENV)/bin/practitioners serve --db $(DB) --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q

# Style, then types (mypy's settings are in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check scraper db publish tests bench
	$(PY) -m mypy scraper db publish

# Scrapy (the `bench` extra) is installed here only: bench_nccaom compares our scraper with it.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench.bench_nppes --write
	$(PY) -m bench.bench_socrata --write
	$(PY) -m bench.bench_linking --write
	$(PY) -m bench.bench_nccaom --write

clean:
	rm -rf $(VENV) demo.db demo.db-* .pytest_cache .mypy_cache
