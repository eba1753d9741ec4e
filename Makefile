# Two commands for a fresh machine: `make run` starts the app, `make test` runs the tests.
# Both create .venv in the project root on first use and install into it.
# `make bench` runs the benchmarks and renders docs/benchmarks.md (`make bench-report` renders
# it alone); `make docs` generates the engine's API reference into docs/api/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Tests side by side: a browser, a server or a worker often waits, so one more than the cores.
TEST_WORKERS ?= 3
# The real photos the benchmarks measure on, beside the repository.
BENCH_DATA ?= ../shared/data/grocery-store

.PHONY: run test lint bench bench-report docs screenshots clean

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

# Every benchmark, each recording its figures in benchmarks/results/, then the report. Long: the
# 20,000-photo run and the browser's take many minutes; each line can be run alone.
bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.bench --data $(BENCH_DATA)
	$(BIN)/python -m benchmarks.bench_live --data $(BENCH_DATA) --viewers 1 5
	$(BIN)/python -m benchmarks.bench_teach --data $(BENCH_DATA) --photos 200 --corrections 4
	$(BIN)/python -m benchmarks.bench_teach --data $(BENCH_DATA) --photos 200 --corrections 6 --jobs
	$(BIN)/python -m benchmarks.bench_flags --data $(BENCH_DATA)
	$(BIN)/python -m benchmarks.bench_database
	$(BIN)/python -m benchmarks.bench_jobs
	$(BIN)/python -m benchmarks.bench_arrivals
	$(BIN)/python -m benchmarks.bench_scale --data $(BENCH_DATA)
	$(BIN)/python -m benchmarks.bench_live_browser --viewers 1 5
	$(MAKE) bench-report

bench-report: $(VENV)/.installed
	$(BIN)/python -m benchmarks.report

# The API reference of tlcore, from its docstrings, into docs/api/ (about 14 MB, not committed;
# open docs/api/index.html). pdoc imports every module: no GPU is looked for
# (CUDA_VISIBLE_DEVICES empty), nothing is downloaded, and KERAS_HOME names a folder that cannot
# be made, so Keras writes no keras.json on import: nothing is written but docs/api/.
PDOC_ENVIRONMENT := TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES= KERAS_HOME=/dev/null/keras
docs: $(VENV)/.installed-test
	rm -rf docs/api
	$(PDOC_ENVIRONMENT) $(BIN)/python -m pdoc -o docs/api tlcore

# The README's screenshots of the real app (Playwright and Chromium, from the test requirements).
screenshots: $(VENV)/.installed-test
	$(BIN)/python docs/screenshots.py --out docs/images

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
