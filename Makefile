# Set-up and checks. `make demo` and `make test` are the README's two commands; CI runs `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch goes in first, pinned to the CPU build this machine holds: a plain `torch` requirement
# resolved by pip would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0

.PHONY: install demo test lint bench report report-fnc1 clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]' -c constraints.txt
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/headcheck scan examples/articles.jsonl --id-field title --only-flagged

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/fnc1_scan.py

# The HTML report of the shipped examples, in out/ (ignored by git).
report: install
	$(BIN)/headcheck report examples/articles.jsonl -o out/report.html \
		--label-field label --group-field source

# The report on the FNC-1 training pairs (../shared/data) and the README's picture.
report-fnc1: install
	$(BIN)/python benchmarks/fnc1_report.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
