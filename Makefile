# Two commands on a fresh machine: `make book` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
NPM ?= npm
LIVE_PORT ?= 8866
# MathJax, RequireJS and the widget manager, pinned by _ext/package-lock.json, served by the book itself
ASSETS := _ext/node_modules/.package-lock.json

.PHONY: book assets test lab live pdf clean help

help:
	@echo "make book   create .venv, install, build the HTML book into _build/html (every notebook executed)"
	@echo "make test   install test tools and run the whole test suite"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make live   serve the explorers as an app with Voila on http://127.0.0.1:$(LIVE_PORT) (for teaching)"
	@echo "make pdf    the print edition: the whole book as one PDF, _build/pdf/matrix-calculus-companion.pdf"
	@echo "make assets install the book's pinned front-end files (npm ci in _ext/)"
	@echo "make clean  remove _build"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

$(ASSETS): _ext/package.json _ext/package-lock.json
	$(NPM) ci --prefix _ext --ignore-scripts --no-audit --no-fund
	touch $@

assets: $(ASSETS)

# `make book` re-executes only the notebooks that changed (jupyter-cache). What a notebook shows
# also depends on companion/, so when the package or the environment changes (by content, see
# the hash) the cache and the read pages are dropped and every notebook runs again: never a
# stale output. Tests and CI build elsewhere with `execute_notebooks: force` (_config.yml).
PACKAGE_HASH = $$(find companion -name '*.py' -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum pyproject.toml requirements.txt | sha256sum | cut -c1-16)

book: $(VENV)/.installed $(ASSETS)
	@mkdir -p _build; hash=$(PACKAGE_HASH); \
	if [ "$$(cat _build/.package-hash 2>/dev/null)" != "$$hash" ]; then \
	  echo "companion/ or the environment changed: every notebook will be executed again"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees; echo "$$hash" > _build/.package-hash; \
	fi
	COMPANION_BOOK_EXECUTE=cache $(JB) build . -W -n --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

test: $(VENV)/.test-installed $(ASSETS)
	@test -x /usr/bin/chromium || [ "$$COMPANION_SKIP_BROWSER" = 1 ] || \
	  { echo "The browser tests need Chromium at /usr/bin/chromium: apt-get install -y chromium (.ci/run does it), or set COMPANION_SKIP_BROWSER=1 to skip them"; exit 1; }
	$(PY) -m pytest tests

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab chapters

# The explorers as an app on this machine only (127.0.0.1), every control live: see README.
live: $(VENV)/.installed
	$(VENV)/bin/voila chapters/ --no-browser --Voila.ip=127.0.0.1 --Voila.port=$(LIVE_PORT) --show_tracebacks=True

# The print edition: a single-page build printed by headless Chromium (see _ext/make_pdf.py and README).
pdf: $(VENV)/.test-installed $(ASSETS)
	COMPANION_BOOK_EXECUTE=cache $(PY) _ext/make_pdf.py

clean:
	rm -rf _build
