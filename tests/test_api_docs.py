"""The API reference (`make docs`): pdoc renders the engine's modules from their docstrings, with
no GPU and no network, and writes nothing but its own output."""

import os
import pathlib
import re
import subprocess
import sys

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def pdoc_environment() -> dict[str, str]:
    """The variables `make docs` runs pdoc with, read from the Makefile."""
    makefile = (REPOSITORY / "Makefile").read_text()
    line = re.search(r"^PDOC_ENVIRONMENT := (.*)$", makefile, re.MULTILINE)
    assert line, "the Makefile names pdoc's environment in PDOC_ENVIRONMENT"
    return dict(item.split("=", 1) for item in line.group(1).split())


def test_pdoc_renders_modules_without_writing_anything_else(tmp_path):
    home, temporary, output = tmp_path / "home", tmp_path / "temporary", tmp_path / "api"
    home.mkdir()
    temporary.mkdir()
    environment = {
        **os.environ,
        **pdoc_environment(),
        "HOME": str(home),
        "TMPDIR": str(temporary),
        "PYTHONPATH": str(REPOSITORY),
    }
    assert environment["CUDA_VISIBLE_DEVICES"] == ""
    # A module without TensorFlow, a package's index, and one that imports Keras.
    modules = ["tlcore.wording", "tlcore.store", "tlcore.nets.model"]
    finished = subprocess.run(
        [sys.executable, "-m", "pdoc", "-o", str(output), *modules],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    wording = (output / "tlcore" / "wording.html").read_text()
    assert "<html" in wording and "plural" in wording
    store_page = (output / "tlcore" / "store.html").read_text()
    assert "Workspace" in store_page
    assert "build_head" in (output / "tlcore" / "nets" / "model.html").read_text()
    # Keras writes no keras.json, TensorFlow leaves no file behind.
    assert not [path for path in home.rglob("*") if path.is_file()]
    assert not [path for path in temporary.rglob("*") if path.is_file()]
