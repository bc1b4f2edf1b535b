# The Convolution Book. Two commands do everything on a fresh machine:
#   make book   -- build the book (executing every notebook) into _build/html
#   make test   -- run every test (unit, nbval, book build, real browser)
# Others: make lab, make execute, make bench, make clean.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# silence a debugger warning that ipykernel prints on every kernel start
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test lab execute bench assets venv clean help

help:
	@sed -n '2,5p' Makefile

## venv: the virtual environment from requirements.txt, with utils installed editable
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install --quiet -r requirements.txt 2>&1 | grep -v "is ignored" ; test $${PIPESTATUS[0]} -eq 0
	@touch $(STAMP)

## assets: MathJax, require.js and the widget manager vendored from npm for offline pages
assets:
	@scripts/vendor_assets.sh

## book: execute every notebook and build the HTML book
book: venv assets
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo; echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

## test: every test, the same command CI runs
test: venv assets
	@VENV=$(VENV) scripts/test.sh

## lab: JupyterLab at the repository root
lab: venv
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS)

## execute: re-run notebooks in place and save their outputs (NB=notebooks/01_x.ipynb for one)
NB ?= notebooks/*.ipynb
execute: venv
	$(BIN)/python scripts/execute_notebooks.py $(NB)

## bench: the benchmarks (prints a table, writes benchmarks/results.json and plots)
bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .jupyter-state
