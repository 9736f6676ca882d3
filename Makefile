# The two commands of the README: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ENGINES_STAMP := $(VENV)/.engines-stamp
DEMO   ?= resources/examples/anomaly_service
PYTEST_ARGS ?=


.PHONY: venv engines run test lint format bench package clean

venv: $(STAMP)

# The optional engines (Ray, Dask): `make test` and `make bench` install them and exercise
# them against local clusters; `make run` does not need them.
engines: $(ENGINES_STAMP)

$(ENGINES_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,ray,dask]"
	touch $(ENGINES_STAMP)

# Re-installs only when pyproject.toml changed (or the venv is new): quick when nothing did.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

run: venv
	$(BIN)/lockpickle-gui $(DEMO)

LINTED := lockpickle_gui tests benchmarks packaging resources examples

lint: venv
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

test: venv engines lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv engines
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run_all.py

package: venv
	bash packaging/build.sh

clean:
	rm -rf build dist .pytest_cache .import_linter_cache
