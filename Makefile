# The front door: `make help` lists the targets. The README's two commands are `make report` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
AGENCY ?= sample
PERIOD ?=

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## create .venv with the package and its requirements
	@scripts/setup.sh build

setup-dev: ## as setup, plus the test and lint tools
	@scripts/setup.sh dev

sample: setup ## generate the sample agency's raw files if they are missing
	@[ -d data/sample/raw ] && [ -n "$$(ls -A data/sample/raw 2>/dev/null)" ] || $(BIN)/transparency sample-data
	@$(BIN)/python -c "from transparency.core.keys import create_key; create_key('sample')"

report: sample ## set up, generate the sample agency if missing, and build its latest quarter (PDF and HTML)
	$(BIN)/transparency build --agency $(AGENCY) --period $(or $(PERIOD),latest)

build: setup ## build a report: make build AGENCY=name PERIOD=2025Q3 [DATASETS=x,y]
	$(BIN)/transparency build --agency $(AGENCY) --period $(or $(PERIOD),latest) $(if $(DATASETS),--datasets $(DATASETS))

validate: setup ## check an agency's data: make validate AGENCY=name [PERIOD=2025Q3]
	$(BIN)/transparency validate --agency $(AGENCY) $(if $(PERIOD),--period $(PERIOD))

review: setup ## what to check before releasing: make review AGENCY=name PERIOD=2025Q3
	$(BIN)/transparency review --agency $(AGENCY) --period $(or $(PERIOD),latest)

release: setup ## freeze a reviewed build: make release AGENCY=name PERIOD=2025Q3 [CORRECTION="why"]
	$(BIN)/transparency release --agency $(AGENCY) --period $(or $(PERIOD),latest) $(if $(CORRECTION),--correction "$(CORRECTION)")

verify: setup ## check the signed release log and released files: make verify AGENCY=name [PERIOD=2025Q3] [REBUILD=1] [PUBLIC_KEY=...] [CHAIN_HEAD=...]
	$(BIN)/transparency verify --agency $(AGENCY) $(if $(PERIOD),--period $(PERIOD)) $(if $(REBUILD),--rebuild) $(if $(PUBLIC_KEY),--public-key $(PUBLIC_KEY)) $(if $(CHAIN_HEAD),--chain-head $(CHAIN_HEAD))

bench: sample ## measure the build against the naive chain and the compute floor (writes reports/bench.json)
	$(BIN)/python scripts/bench.py --runs $(or $(RUNS),3)

test: setup-dev ## set up and run every test
	$(BIN)/python -m pytest -q

lint: setup-dev ## ruff over the package, scripts, tests and notebooks
	$(BIN)/ruff check transparency scripts tests notebooks

lab: ## open the notebooks in JupyterLab (installs it into .venv the first time)
	@scripts/setup.sh build
	$(BIN)/python -m pip install --quiet -r requirements-authoring.txt
	$(BIN)/jupyter lab notebooks/

clean: ## remove draft reports and the sample agency's raw files (never released versions, nor the venv)
	[ ! -d reports ] || find reports -mindepth 2 -maxdepth 2 ! -name released ! -name index.html ! -name data.json -exec rm -rf {} +
	rm -rf data/sample/raw

.PHONY: help setup setup-dev sample report build validate review release verify bench test lint lab clean
