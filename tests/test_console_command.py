"""The package's metadata: the `tlcore` console command, its version and its requirements.

`pip install .` reads `pyproject.toml`; `make run` and `make test` read the requirements files.
These tests keep the two in step and run the console command the way its installed script
does, without installing anything.
"""

import pathlib
import subprocess
import sys
import textwrap
import tomllib

import tlcore

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def project_table() -> dict:
    """Returns the `[project]` table of `pyproject.toml`."""
    return tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]


def requirement_lines(file_name: str) -> list[str]:
    """Returns the requirements of a requirements file, comments and blank lines left out."""
    lines = (REPOSITORY / file_name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_console_command_runs_the_command_line(tmp_path):
    module_name, function_name = project_table()["scripts"]["tlcore"].split(":")
    # What pip writes for a console script: a file named after the command that imports the
    # entry function, calls it with no arguments and exits with what it returns.
    script = tmp_path / "tlcore"
    script.write_text(
        textwrap.dedent(
            f"""\
            import sys
            from {module_name} import {function_name}
            sys.exit({function_name}())
            """
        )
    )
    finished = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("usage: tlcore ")
    for command in ("train", "evaluate", "predict", "worker"):
        assert command in finished.stdout


def test_the_package_version_is_the_engine_version():
    assert project_table()["version"] == tlcore.__version__


def test_the_package_needs_what_the_requirements_files_list():
    project = project_table()
    assert project["dependencies"] == requirement_lines("requirements.txt")
    assert project["optional-dependencies"]["test"] == requirement_lines("requirements-test.txt")
