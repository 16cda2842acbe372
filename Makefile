# Two commands do all the set-up on a fresh machine:
#   make demo   creates .venv, installs biodl, trains DeepBind on a generated motif set, writes runs/demo
#   make test   creates .venv if needed, runs ruff, mypy and pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1
STAMP := $(VENV)/.installed

.PHONY: all venv demo test lint typecheck pytest test-threads test-slow bench clean

all: test

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m biodl.testing.demo examples/demo
	$(BIN)/biodl train examples/demo/config.yaml --out runs/demo --force
	$(BIN)/biodl evaluate --model runs/demo examples/demo/config.yaml
	@echo "run directory: runs/demo (open runs/demo/report.html)"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# the suite at 1 and at 2 threads: no test may depend on the thread count
test-threads: $(STAMP)
	BIODL_TEST_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/pytest -q
	BIODL_TEST_THREADS=2 OMP_NUM_THREADS=2 $(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

# The benchmarks of BENCHMARKS.md (about 15 min on 2 cores); peers: bash bench/peers/setup_peers.sh
bench: $(STAMP)
	$(BIN)/python bench/deepbind_encode.py --data ../shared/data/tfbind_deepbind_encode --out bench/out/deepbind_encode
	$(BIN)/python bench/train_throughput.py --n 20000 --epochs 3 --repeats 3 --threads 1
	$(BIN)/python bench/encode_throughput.py --mb 50 --repeats 5 --seed 0

clean:
	rm -rf $(VENV) runs .mypy_cache .pytest_cache .ruff_cache
