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
# The live view's Pyodide distribution, fetched and verified by _ext/live_view.py (see README)
PYODIDE_DIST := _ext/pyodide/SOURCES.json

.PHONY: book assets test test-compat lint chromium lab live pdf clean help

help:
	@echo "make book   create .venv, install, build the HTML book into _build/html (every notebook executed)"
	@echo "make test   install test tools (and Chromium if missing), lint, run the whole test suite, then"
	@echo "            the unit tests again with the browser's numpy 2.0 / matplotlib 3.8 (make test-compat)"
	@echo "make lint   ruff on the package, tests, benchmarks and build scripts (configured in pyproject.toml)"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make live   serve the explorers as an app with Voila on http://127.0.0.1:$(LIVE_PORT) (for teaching)"
	@echo "make pdf    the print edition: the whole book as one PDF, _build/pdf/matrix-calculus-companion.pdf"
	@echo "make assets install the book's pinned front-end files (npm ci in _ext/) and the live view's verified Pyodide"
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

$(PYODIDE_DIST): $(ASSETS) _ext/lite/sources.txt _ext/live_view.py $(VENV)/.installed
	$(PY) _ext/live_view.py fetch

assets: $(ASSETS) $(PYODIDE_DIST)

# `make book` re-executes only the notebooks that changed (jupyter-cache). What a notebook shows
# also depends on companion/, so when the package or the environment changes (by content, see
# the hash) the cache and the read pages are dropped and every notebook runs again: never a
# stale output. Tests and CI build elsewhere with `execute_notebooks: force` (_config.yml).
PACKAGE_HASH = $$(find companion -name '*.py' -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum pyproject.toml requirements.txt | sha256sum | cut -c1-16)

book: $(VENV)/.installed $(ASSETS) $(PYODIDE_DIST)
	@mkdir -p _build; hash=$(PACKAGE_HASH); \
	if [ "$$(cat _build/.package-hash 2>/dev/null)" != "$$hash" ]; then \
	  echo "companion/ or the environment changed: every notebook will be executed again"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees; echo "$$hash" > _build/.package-hash; \
	fi
	COMPANION_BOOK_EXECUTE=cache $(JB) build . -W -n --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

# The browser tests drive Debian's Chromium (/usr/bin/chromium): installed here with apt-get when
# running as root, else Playwright's own Chromium (downloaded by `playwright install`).
chromium: $(VENV)/.test-installed
	@if [ "$$COMPANION_SKIP_BROWSER" = 1 ] || [ -x "$${COMPANION_CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make test: installing Debian's Chromium for the browser tests (apt-get install -y chromium)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
	  echo "make test: no /usr/bin/chromium and no root apt-get: installing Playwright's own Chromium (playwright install chromium)"; \
	  $(PY) -m playwright install chromium || { echo "The browser tests need Chromium: apt-get install -y chromium (as root), or allow 'playwright install chromium' to download it, or set COMPANION_SKIP_BROWSER=1 to skip them"; exit 1; }; \
	fi

# companion also runs where numpy 2.0 / matplotlib 3.8 are the newest there is (the live view's
# Python in the browser): its unit tests run a second time in that environment.
COMPAT := .venv-compat
$(COMPAT)/.installed: requirements-compat.txt pyproject.toml
	test -x $(COMPAT)/bin/python || $(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install -q -r requirements-compat.txt
	$(COMPAT)/bin/python -m pip install -q --no-deps -e .
	touch $@

COMPAT_IGNORE := --ignore=tests/test_book.py --ignore=tests/test_browser.py --ignore=tests/test_live.py --ignore=tests/test_site.py --ignore=tests/test_pdf.py --ignore=tests/test_publishing.py
test-compat: $(COMPAT)/.installed
	@$(COMPAT)/bin/python -c "import numpy, matplotlib; print(f'unit tests with numpy {numpy.__version__}, matplotlib {matplotlib.__version__} (the browser\'s)')"
	$(COMPAT)/bin/python -m pytest tests -q -n 2 -p no:cacheprovider $(COMPAT_IGNORE) -m "not book and not browser and not pdf"

test: $(VENV)/.test-installed $(ASSETS) $(PYODIDE_DIST) chromium
	$(MAKE) lint
	$(PY) -m pytest tests
	$(MAKE) test-compat

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check companion tests benchmarks _ext

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab chapters

# The explorers as an app on this machine only (127.0.0.1), every control live: see README.
live: $(VENV)/.installed
	JUPYTER_PATH=$(CURDIR)/_ext $(VENV)/bin/voila chapters/ --no-browser --Voila.ip=127.0.0.1 --Voila.port=$(LIVE_PORT) --show_tracebacks=True --template=companion

# The print edition: a single-page build printed by headless Chromium (see _ext/make_pdf.py and README).
pdf: $(VENV)/.test-installed $(ASSETS)
	COMPANION_BOOK_EXECUTE=cache $(PY) _ext/make_pdf.py

clean:
	rm -rf _build
