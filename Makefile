# Two commands on a fresh machine: `make book` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book

.PHONY: book test lab live clean help

help:
	@echo "make book   create .venv, install, build the HTML book into _build/html (every notebook executed)"
	@echo "make test   install test tools and run the whole test suite"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make clean  remove _build"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

book: $(VENV)/.installed
	$(JB) build . -W -n --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

test: $(VENV)/.test-installed
	$(PY) -m pytest tests

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab chapters

clean:
	rm -rf _build
