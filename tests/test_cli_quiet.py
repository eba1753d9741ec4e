"""The command line shows its own lines only: TensorFlow's start-up log is hidden unless
`--verbose` asks for it."""

import re

import pytest
from engine_fixtures import run_tlcore

# The marks of TensorFlow's and absl's own log lines: "I0000 00:00:...", "E0000 ...", the absl
# warning, oneDNN and CUDA notices, the CPU instruction notice.
TENSORFLOW_LOG_LINE = re.compile(
    r"^[IWEF]\d{4} |absl::InitializeLog|oneDNN|cuInit|cuda|rebuild TensorFlow", re.IGNORECASE
)


def stderr_lines(result) -> list[str]:
    """The lines of standard error, a progress bar's redraws each counted as a line."""
    return [line for line in re.split(r"[\r\n]", result.stderr) if line.strip()]


def test_a_bad_project_gives_one_line_and_no_tensorflow_log(tmp_path):
    fake = tmp_path / "model.zip"
    fake.write_text("not a zip")
    result = run_tlcore(
        "predict", str(fake), str(tmp_path / "photo.jpg"), timeout=180, as_a_person=True
    )
    assert result.returncode == 2
    lines = stderr_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


def test_verbose_shows_tensorflow_log(tmp_path):
    # Training needs TensorFlow (predict through ONNX never loads it), so it shows its log.
    result = run_tlcore(
        "train",
        str(tmp_path / "no such folder"),
        "--out",
        str(tmp_path / "model.zip"),
        "--verbose",
        timeout=180,
        as_a_person=True,
    )
    assert result.returncode == 2
    assert any(TENSORFLOW_LOG_LINE.search(line) for line in stderr_lines(result)), result.stderr


@pytest.mark.slow
def test_training_shows_only_its_progress_bar(small_photo_folder, keras_home, tmp_path):
    result = run_tlcore(
        "train",
        str(small_photo_folder),
        "--out",
        str(tmp_path / "model.zip"),
        "--epochs",
        "2",
        "--image-size",
        "96",
        "--weights-dir",
        str(keras_home / "models"),
        timeout=180,
        as_a_person=True,
    )
    assert result.returncode == 0, result.stderr
    lines = stderr_lines(result)
    assert not [line for line in lines if TENSORFLOW_LOG_LINE.search(line)], result.stderr
    # Every line is a redraw of the one progress bar.
    assert lines and all(line.startswith("[") for line in lines), result.stderr
