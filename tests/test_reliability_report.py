"""The reliability report: its table, and when the pytest plugin writes it."""

import os
import pathlib
import subprocess
import sys
import textwrap

import reliability_report
from reliability_report import FAILED, PASSED, SKIPPED, Check

TESTS_DIR = pathlib.Path(__file__).resolve().parent


def test_checks_of_one_area_and_case_share_a_row():
    checks = [
        Check("Bad photos", "zero bytes", "load_image", "refused", outcome=PASSED),
        Check("Bad photos", "zero bytes", "load_zip", "set aside", outcome=PASSED),
        Check("Bad photos", "an SVG", "load_image", "refused", outcome=FAILED),
        Check("Many users", "a | pipe", "app", "", sessions=8, outcome=SKIPPED),
    ]
    text = reliability_report.render(checks)
    assert "4 tests in 3 rows; 1 failed." in text
    table = text[text.index("| Area") :].splitlines()
    assert table[0] == "| Area | Input or fault | Sessions | Through | Expected | Result |"
    assert table[2] == (
        "| Bad photos | zero bytes |  | load_image, load_zip | refused; set aside | passed |"
    )
    assert table[3] == "| Bad photos | an SVG |  | load_image | refused | **failed** |"
    assert table[4] == "| Many users | a \\| pipe | 8 | app |  | skipped |"


def test_a_row_summarises_mixed_outcomes():
    def row(*outcomes):
        return reliability_report._row_result([Check("a", "b", outcome=o) for o in outcomes])

    assert row(PASSED, PASSED) == "passed"
    assert row(PASSED, SKIPPED) == "passed (1 of 2 skipped)"
    assert row(PASSED, None) == "passed (1 of 2 not run)"
    assert row(FAILED, PASSED, FAILED) == "**failed** (2 of 3)"
    assert row(SKIPPED) == "skipped"


def test_a_failure_in_any_phase_marks_the_test_failed():
    check = Check("a", "b")
    check.record(PASSED)
    check.record(FAILED)
    check.record(PASSED)
    assert check.outcome == FAILED


def test_the_report_is_written_after_a_whole_run_only(tmp_path):
    # A small project of its own, with the plugin registered as in tests/conftest.py.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntestpaths = tests\nmarkers =\n    reliability: a row of the report\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        textwrap.dedent(
            """
            import reliability_report

            def pytest_addoption(parser):
                reliability_report.add_options(parser)

            def pytest_configure(config):
                reliability_report.register(config)
            """
        )
    )
    (tmp_path / "tests" / "test_sample.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.reliability(area="Area", case="good input", expected="accepted")
            def test_good():
                pass

            @pytest.mark.reliability(area="Area", case="bad input", expected="refused")
            def test_bad():
                assert False

            def test_unmarked():
                pass
            """
        )
    )

    def run_pytest(*arguments):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            # Installed plugins are left out: they take seconds to load and are not needed.
            env={**os.environ, "PYTHONPATH": str(TESTS_DIR), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )

    report = tmp_path / "docs" / "reliability.md"
    run_pytest("-k", "good")
    assert not report.exists(), "a run that left reliability tests out wrote the report"
    run_pytest("tests/test_sample.py")
    assert not report.exists(), "a run given paths wrote the report"
    result = run_pytest()
    assert result.returncode == 1, result.stdout + result.stderr
    text = report.read_text()
    assert "| Area | good input |  | accepted | passed |" in text
    assert "| Area | bad input |  | refused | **failed** |" in text
    assert "test_unmarked" not in text and "unmarked" not in text

    elsewhere = tmp_path / "elsewhere.md"
    run_pytest("-k", "good", f"--reliability-report={elsewhere}")
    assert "1 test in 1 row; none failed." in elsewhere.read_text()
