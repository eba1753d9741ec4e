"""A pytest plugin that writes docs/reliability.md from the outcome of the reliability tests.

A test joins the report with the `reliability` marker:

    @pytest.mark.reliability(area="Bad photos", case="zero bytes", through="images.load_image",
                             expected="refused: the file is empty")

`area` and `case` are required: the part of the system and the input kind or fault tried.
`through` (the entry point), `expected` (what must happen) and `sessions` (how many sessions
were held at once, for load tests) are optional. Parametrised tests put the marker on each
`pytest.param`. Tests with the same area and case share one row of the table; its result is
"passed" only when every one of them passed.

The report is written at the end of a run that ran every reliability test, which is what a
plain `pytest` or `make test` does: a run given paths, `-k`, `-m`, `--lf` or stopped early
leaves the file as it is, so it always describes one whole run. `--reliability-report=PATH`
writes the report of any run to PATH instead. The file holds no dates or timings, so it changes
only when a test, or its result, changes.
"""

import dataclasses
import pathlib

import pytest

MARKER = "reliability"
REPORT_PATH = pathlib.Path("docs") / "reliability.md"

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
NOT_RUN = "not run"

HEADER = """\
# Reliability: hostile input, faults and load

This file is written by `tests/reliability_report.py` at the end of every full test run
(`make test`), from the outcome of each test marked `reliability`; do not edit it by hand. Each
row is one kind of input or fault; *Through* names the entry points it was tried through, and
*Result* says whether every one of those tests passed in the run that wrote this file. The
inputs are built by `tests/hostile_corpus.py`.
"""


@dataclasses.dataclass
class Check:
    """One reliability test and its outcome.

    Attributes:
        area: The part of the system, such as "Bad photos".
        case: The input kind or fault tried.
        through: The entry point tried, or "".
        expected: What must happen, or "".
        sessions: How many sessions were held at once, or None.
        outcome: `PASSED`, `FAILED`, `SKIPPED`, or None while the test has not run.
    """

    area: str
    case: str
    through: str = ""
    expected: str = ""
    sessions: int | None = None
    outcome: str | None = None

    @classmethod
    def from_marker(cls, marker: pytest.Mark) -> "Check":
        """Reads a check from a `reliability` marker.

        Raises:
            pytest.UsageError: The marker lacks `area` or `case`.
        """
        return cls.from_keywords(dict(marker.kwargs))

    @classmethod
    def from_keywords(cls, keywords: dict) -> "Check":
        """Reads a check from a `reliability` marker's keywords.

        Raises:
            pytest.UsageError: The keywords lack `area` or `case`.
        """
        if "area" not in keywords or "case" not in keywords:
            raise pytest.UsageError("The reliability marker needs area= and case=.")
        return cls(
            area=str(keywords["area"]),
            case=str(keywords["case"]),
            through=str(keywords.get("through", "")),
            expected=str(keywords.get("expected", "")),
            sessions=keywords.get("sessions"),
        )

    def record(self, outcome: str) -> None:
        """Records one phase's outcome; a failure in any phase makes the test failed."""
        if self.outcome == FAILED:
            return
        if outcome == FAILED or self.outcome is None or self.outcome == PASSED:
            self.outcome = outcome


def _unique(values) -> list:
    """Returns the values without repeats and without empty ones, in their first order."""
    return list(dict.fromkeys(value for value in values if value not in ("", None)))


def _count(number: int, noun: str) -> str:
    """Returns a number of things in words, such as "1 test" or "3 tests"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _cell(text) -> str:
    """Returns text fit for a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row_result(checks: list[Check]) -> str:
    """Summarises the outcomes of the checks of one row."""
    outcomes = [check.outcome or NOT_RUN for check in checks]
    failed = outcomes.count(FAILED)
    if failed:
        return f"**{FAILED}** ({failed} of {len(checks)})" if len(checks) > 1 else f"**{FAILED}**"
    passed = outcomes.count(PASSED)
    others = _unique(outcome for outcome in outcomes if outcome != PASSED)
    if not passed:
        return ", ".join(others)
    if others:
        return f"{PASSED} ({len(checks) - passed} of {len(checks)} {' or '.join(others)})"
    return PASSED


def render(checks: list[Check]) -> str:
    """Returns the Markdown report of some checks, one row for each area and case.

    Args:
        checks: The checks in the order the tests ran; rows keep the order in which each area,
            and each case in an area, first appears.

    Returns:
        The whole file's text.
    """
    rows: dict[str, dict[str, list[Check]]] = {}
    for check in checks:
        rows.setdefault(check.area, {}).setdefault(check.case, []).append(check)
    with_sessions = any(check.sessions is not None for check in checks)
    headings = ["Area", "Input or fault"]
    headings += ["Sessions"] if with_sessions else []
    headings += ["Through", "Expected", "Result"]
    lines = [
        f"| {' | '.join(headings)} |",
        f"| {' | '.join('---' for _ in headings)} |",
    ]
    for area, cases in rows.items():
        for case, case_checks in cases.items():
            cells = [area, case]
            if with_sessions:
                cells.append(", ".join(map(str, _unique(c.sessions for c in case_checks))))
            cells.append(", ".join(_unique(check.through for check in case_checks)))
            cells.append("; ".join(_unique(check.expected for check in case_checks)))
            cells.append(_row_result(case_checks))
            lines.append(f"| {' | '.join(_cell(cell) for cell in cells)} |")
    failed = sum(check.outcome == FAILED for check in checks)
    row_count = sum(len(cases) for cases in rows.values())
    verdict = f"{failed} failed" if failed else "none failed"
    summary = f"{_count(len(checks), 'test')} in {_count(row_count, 'row')}; {verdict}."
    return f"{HEADER}\n{summary}\n\n" + "\n".join(lines) + "\n"


class ReliabilityReport:
    """The plugin: gathers the reliability tests' outcomes and writes the report.

    With pytest-xdist the tests run in worker processes: each test's marker travels to the
    controlling process in its reports' `user_properties`, and only that process writes the file.

    Args:
        config: The pytest configuration.
        forced_path: Where `--reliability-report` asks the report to go, or None.
    """

    def __init__(self, config: pytest.Config, forced_path: str | None):
        self.config = config
        self.forced_path = pathlib.Path(forced_path) if forced_path else None
        self.checks: dict[str, Check] = {}
        self.expected: set[str] | None = None
        self.deselected = False

    def pytest_deselected(self, items) -> None:
        if any(item.get_closest_marker(MARKER) for item in items):
            self.deselected = True

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expected = set()
        for item in session.items:
            marker = item.get_closest_marker(MARKER)
            if marker is not None:
                Check.from_marker(marker)  # A marker without area or case stops the run here.
                item.user_properties.append((MARKER, dict(marker.kwargs)))
                self.expected.add(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        keywords = dict(report.user_properties).get(MARKER)
        if keywords is None:
            return
        check = self.checks.get(report.nodeid)
        if check is None:
            check = self.checks[report.nodeid] = Check.from_keywords(keywords)
        if report.failed:
            check.record(FAILED)
        elif report.skipped:
            check.record(SKIPPED)
        elif report.when == "call":
            check.record(PASSED)

    def is_whole_run(self) -> bool:
        """Tells whether this run ran every reliability test of the suite, to its end."""
        options = self.config.option
        chosen = bool(
            getattr(options, "keyword", "")
            or getattr(options, "markexpr", "")
            or getattr(options, "lf", False)
            or getattr(options, "maxfail", 0)
        )
        # In the process that ran collection, every collected reliability test must have run;
        # under xdist that process is a worker, and the controller checks the options alone.
        all_ran = self.expected is None or set(self.checks) >= self.expected
        return (
            self.config.args_source == pytest.Config.ArgsSource.TESTPATHS
            and not chosen
            and not self.deselected
            and bool(self.checks)
            and all_ran
            and all(check.outcome is not None for check in self.checks.values())
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput"):
            return  # An xdist worker: the controller writes the report.
        if self.forced_path is not None:
            path = self.forced_path
        elif self.is_whole_run():
            path = self.config.rootpath / REPORT_PATH
        else:
            return
        # Test ids in order, so the rows do not depend on which worker finished first.
        checks = [self.checks[node_id] for node_id in sorted(self.checks)]
        text = render(checks)
        # The file is rewritten only when it changes, so a run with the same results leaves it
        # untouched.
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def add_options(parser: pytest.Parser) -> None:
    """Adds `--reliability-report=PATH`; call it from a conftest's `pytest_addoption`."""
    parser.addoption(
        "--reliability-report",
        metavar="PATH",
        default=None,
        help="write the reliability report to PATH, whatever tests ran (by default "
        "docs/reliability.md is written after a full run only)",
    )


def register(config: pytest.Config) -> None:
    """Registers the plugin; call it from a conftest's `pytest_configure`."""
    forced_path = config.getoption("--reliability-report", default=None)
    config.pluginmanager.register(ReliabilityReport(config, forced_path), "reliability_report")
