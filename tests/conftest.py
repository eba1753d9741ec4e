"""Fixtures shared by every test module."""

import json
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

# How long each test file took in a whole run, in seconds: with the tests side by side, the
# longest files start first, so that no long file starts last and keeps the run waiting while
# the other processes are idle. `pytest --store-durations` writes it again after a run.
DURATIONS_FILE = pathlib.Path(__file__).parent / "durations.json"


def pytest_collection_modifyitems(config, items):
    """Orders the tests: in one process the fast ones first, so a broken basic shows at once;
    side by side (pytest-xdist, `make test`) the longest files first, then the slow tests."""
    if getattr(config.option, "numprocesses", None):
        durations = json.loads(DURATIONS_FILE.read_text()) if DURATIONS_FILE.is_file() else {}
        items.sort(
            key=lambda item: (
                -durations.get(item.path.name, 0.0),
                item.get_closest_marker("slow") is None,
            )
        )
    else:
        items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


class DurationRecorder:
    """Adds up each test file's seconds (setup, call and teardown) and writes them at the end."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        name = pathlib.Path(report.nodeid.split("::")[0]).name
        self.seconds[name] = self.seconds.get(name, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        if hasattr(session.config, "workerinput"):
            return  # An xdist worker: the controller has every report.
        ranked = sorted(self.seconds.items(), key=lambda pair: -pair[1])
        durations = {name: round(seconds, 1) for name, seconds in ranked if seconds >= 1.0}
        DURATIONS_FILE.write_text(json.dumps(durations, indent=1) + "\n")


# The reliability report: the tests marked `reliability` become the rows of docs/reliability.md
# (see tests/reliability_report.py).
import reliability_report  # noqa: E402


def pytest_addoption(parser):
    """Adds the reliability report's option, and `--store-durations`."""
    reliability_report.add_options(parser)
    parser.addoption(
        "--store-durations",
        action="store_true",
        help=f"write each test file's seconds to {DURATIONS_FILE.name}, which orders the files "
        "when the tests run side by side",
    )


def pytest_configure(config):
    """Registers the reliability report, and the durations' recorder when asked for."""
    reliability_report.register(config)
    if config.getoption("--store-durations"):
        config.pluginmanager.register(DurationRecorder(), "duration_recorder")
