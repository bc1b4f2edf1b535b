# The Convolution Book. Two commands do everything on a fresh machine: `make book` and
# `make test`. `make help` lists every target (from the `## target: ...` comments below).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs requirements.txt in seconds where pip takes minutes; like pip it looks in the
# folders of local wheels pip is configured with (find-links: pip.conf or PIP_FIND_LINKS),
# where a machine may keep the CPU build of torch. --compile-bytecode: uv, unlike pip, leaves
# the .pyc files to the first import, and where PYTHONDONTWRITEBYTECODE is set every process
# (every kernel, every test worker) would compile torch's sources again: 3 s per import of torch
UV := uv==0.13.9
FIND_LINKS = $(foreach d,$(sort $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)),--find-links $(d))
# silence a debugger warning that ipykernel prints on every kernel start
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# every kernel gets encrypted sockets, so none warns "running over TCP without encryption"
# (utils/_kernel_provisioner.py, registered in pyproject.toml)
export JUPYTER_DEFAULT_PROVISIONER_NAME := convbook-encrypted
# the CPU `make test-other-cpu` pretends to be: no AVX in PyTorch, oneDNN or MKL
OTHER_CPU := ATEN_CPU_CAPABILITY=default DNNL_MAX_CPU_ISA=SSE41 MKL_ENABLE_INSTRUCTIONS=SSE4_2
NB ?= notebooks/*.ipynb
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg -p no:playwright -p no:hypothesispytest

.PHONY: help book test unit nbval lint browser test-other-cpu lab execute bench readme readme-times assets venv clean

## help: list the targets
help:
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z-]+): /  make \1\t/' | expand -t 24

## venv: the virtual environment from requirements.txt, with utils installed editable
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(UV) 2>&1 | grep -v "is ignored" ; test $${PIPESTATUS[0]} -eq 0
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode $(FIND_LINKS) -r requirements.txt
	@touch $(STAMP)

## assets: MathJax, require.js and the widget manager vendored from npm for offline pages
assets:
	@scripts/vendor_assets.sh

## book: execute every notebook and build the HTML book into _build/html
book: venv assets
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo; echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html"

## test: every test, the same command CI runs (unit, nbval, book from verified outputs, browser)
test: venv assets
	@VENV=$(VENV) scripts/test.sh

## unit: unit tests and doctests of utils (no notebooks, npm or browser)
unit: venv
	$(BIN)/python -m pytest tests utils --ignore=tests/browser --doctest-modules -p no:playwright -q

## nbval: check notebooks against a fresh run (NB=notebooks/01_x.ipynb for one)
nbval: venv
	$(BIN)/python -m pytest $(NBVAL) -q $(NB)

## lint: ruff (configured in pyproject.toml) on utils, tests, benchmarks and scripts
lint: venv
	$(BIN)/ruff check utils tests benchmarks scripts

## browser: the real-browser tests against the book already built in _build/html
browser: venv
	$(BIN)/python -m pytest tests/browser -q

## test-other-cpu: run every notebook without AVX, at 1 and 2 threads, and training with seed 1
# (no output comparison: every cell, and so every assert, must pass; 10_training sets its own
# thread count; CONVBOOK_SEED is the training chapter's seed). All three runs happen, then
# the target fails if any did. The 1-thread run executes $(JOBS) notebooks at a time, one per core.
test-other-cpu: venv
	@status=0; \
	echo "=== 1 thread"; $(OTHER_CPU) OMP_NUM_THREADS=1 $(BIN)/python scripts/execute_notebooks.py --no-write --jobs $(JOBS) $(NB) || status=1; \
	echo "=== 2 threads"; $(OTHER_CPU) OMP_NUM_THREADS=2 $(BIN)/python scripts/execute_notebooks.py --no-write $(NB) || status=1; \
	echo "=== training seed 1"; $(OTHER_CPU) CONVBOOK_SEED=1 $(BIN)/python scripts/execute_notebooks.py --no-write notebooks/10_training.ipynb || status=1; \
	exit $$status

## lab: JupyterLab at the repository root
lab: venv
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS)

## execute: re-run notebooks in place and save their outputs (NB=notebooks/01_x.ipynb for one)
execute: venv
	$(BIN)/python scripts/execute_notebooks.py $(NB)

## bench: the benchmarks (prints tables, writes benchmarks/results.json, plots and README tables)
bench: venv
	$(BIN)/python benchmarks/run.py

## readme: rewrite the README's measured tables from benchmarks/results.json
readme: venv
	$(BIN)/python scripts/readme_tables.py

## readme-times: add the last `make test` run (and `.ci/run`, if one ran here) to results.json and the README
readme-times: venv
	$(BIN)/python scripts/readme_tables.py --record-test-times _build/logs/test_times.json \
		$(if $(wildcard _build/logs/ci_run.json),--record-ci-run _build/logs/ci_run.json)

## clean: remove _build/
clean:
	rm -rf _build .jupyter-state
