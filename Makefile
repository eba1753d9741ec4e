# Two commands for a fresh machine: `make run` starts the app, `make test` runs the tests.
# Both create .venv in the project root on first use and install into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# The suite mostly waits (browsers, servers, workers), so it runs more tests than cores at once.
TEST_WORKERS ?= 4

.PHONY: run test lint bench screenshots clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.bench

# The README's screenshots of the real app (Playwright and Chromium, from the test requirements).
screenshots: $(VENV)/.installed-test
	$(BIN)/python docs/screenshots.py --out docs/images

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
