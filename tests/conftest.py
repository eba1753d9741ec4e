"""Fixtures shared by every test module."""

import os
import pathlib
from collections.abc import Iterator

# Before anything loads TensorFlow: pylibsrtp (the live camera's aiortc) crashes the process
# when it is loaded after TensorFlow (see tlapp/__init__.py).
import pylibsrtp  # noqa: F401
import pytest

# The shared folder sits next to the repository, not inside it.
SHARED_DIR = pathlib.Path(__file__).resolve().parents[1].parent / "shared"
GROCERY_DIR = SHARED_DIR / "data" / "grocery-store"


@pytest.fixture(scope="session", autouse=True)
def benchmark_results_folder(tmp_path_factory) -> Iterator[pathlib.Path]:
    """The folder where benchmarks run by the tests record their figures: a temporary one, so
    a test never writes into `benchmarks/results/` (see `benchmarks/results.py`)."""
    folder = tmp_path_factory.mktemp("benchmark-results")
    previous = os.environ.get("TLCORE_BENCH_RESULTS")
    os.environ["TLCORE_BENCH_RESULTS"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("TLCORE_BENCH_RESULTS", None)
    else:
        os.environ["TLCORE_BENCH_RESULTS"] = previous


@pytest.fixture(scope="session")
def grocery_dir() -> pathlib.Path:
    """The real grocery photos, laid out `train|val|test/<class>/<photo>.jpg`.

    The continuous integration machine always has them; elsewhere the test is skipped.
    """
    if not GROCERY_DIR.is_dir():
        pytest.skip(f"The grocery photos are missing from {GROCERY_DIR}.")
    return GROCERY_DIR


# The engine's fixtures (real weights, a real small model) live in their own module; importing
# them here makes them available to every test module.
from engine_fixtures import (  # noqa: E402, F401
    engine_environment,
    keras_home,
    small_photo_folder,
    small_training,
    small_val_folder,
)


def pytest_collection_modifyitems(config, items):
    """Orders the tests: in one process the fast ones first, so a broken basic shows at once;
    side by side (pytest-xdist, `make test`) the slow ones first, so that no long test starts
    last and keeps the run waiting while the other workers are idle."""
    slow_first = bool(getattr(config.option, "numprocesses", None))
    items.sort(key=lambda item: (item.get_closest_marker("slow") is not None) != slow_first)


# The reliability report: the tests marked `reliability` become the rows of docs/reliability.md
# (see tests/reliability_report.py).
import reliability_report  # noqa: E402


def pytest_addoption(parser):
    """Adds the reliability report's option."""
    reliability_report.add_options(parser)


def pytest_configure(config):
    """Registers the reliability report."""
    reliability_report.register(config)
