# mlroles-template: `make demo` bakes and runs the defaults; `make test` runs the template's tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo
export UV_PYTHON_DOWNLOADS ?= never

.DEFAULT_GOAL := help
.PHONY: help venv demo test test-fast bench bench-quick docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/pytest: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$$(grep -o '"uv==[^"]*"' pyproject.toml | tr -d '"')"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r pyproject.toml --extra test
	touch $@

venv: $(BIN)/pytest ## create .venv with the template's pinned tools

demo: venv ## bake the defaults into build/demo and run its setup, checks, pipeline and one prediction
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/demo.py --output $(DEMO_DIR)

test: venv ## the template's whole test suite (bake, hooks and generated tiers)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup --durations=25

test-fast: venv ## bake and hooks tiers only
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 -m "not generated"

bench: venv ## print the template's figures (bake, time to green, pipeline, model parity, service, batch scoring, service vs peers)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/bake.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/time_to_green.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/pipeline.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/model_parity.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/service.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/score.py
	@# Last: its final lines are the /v1/predict-to-/healthz ratio and the ours/best-peer ratio;
	@# --profile prints where our server spends /v1/predict (peers.py also does when a goal is missed).
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/peers.py --profile

bench-quick: venv ## every bench script's quick mode (tests/test_bench.py: one trained bake shared, minutes)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup -rP tests/test_bench.py

docs: venv ## build this documentation site (mkdocs-material, strict) into site/
	$(BIN)/mkdocs build --strict

clean: ## remove the virtualenv and build outputs
	rm -rf $(VENV) build .pytest_cache
