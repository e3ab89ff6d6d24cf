# Every target installs what it needs first, so a fresh clone only needs `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ROUTING_EVAL_DATA ?= ../shared/data/routing-eval/mmlu.jsonl
LINTED := langchain_bedrock_routing tests evals benchmarks reliability examples
STAMP  := $(VENV)/.installed-dev

.PHONY: install demo test lint docs bench eval-router soak catalog clean

install: $(STAMP)

$(STAMP): pyproject.toml
	./scripts/bootstrap-system.sh $(PYTHON)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench,docs,eval]'
	$(BIN)/python -c "from langchain_bedrock_routing.testing import find_redis_server; print('redis-server:', find_redis_server())"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bedrock-routing demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# The documentation site (mkdocs.yml) into site/; --strict makes every warning an error. Offline: no plugin fetches.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

eval-router: $(STAMP)
	$(BIN)/python -m evals.router $(ROUTING_EVAL_DATA)

soak: $(STAMP)
	$(BIN)/python -m reliability.soak --requests 10000 $(SOAK_ARGS)

# Compare catalog/models.json with the installed langchain-aws's model profiles; CATALOG_ARGS=--write updates it.
catalog: $(STAMP)
	$(BIN)/python -m langchain_bedrock_routing.catalog.sync $(CATALOG_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build site *.egg-info
