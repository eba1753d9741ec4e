"""The command line: train, evaluate and predict, with JSON out and status 2 for bad input."""

import json
import os

import pytest
from engine_fixtures import run_tlcore

from tlcore import cli


def test_each_command_has_help(capsys):
    for command in ("train", "evaluate", "predict"):
        with pytest.raises(SystemExit) as exited:
            cli.main([command, "--help"])
        assert exited.value.code == 0
        assert "--weights-dir" in capsys.readouterr().out


def test_the_worker_command_runs_the_worker_which_only_it_imports():
    from tlcore.jobs import worker

    assert cli.command_function("worker") is worker.run
    assert cli.command_function("predict") is cli.run_predict


@pytest.mark.parametrize(
    ("onnx_ready", "options", "threads"),
    [(True, [], "1"), (False, [], None), (True, ["--fine-tune"], None)],
)
def test_train_gives_tensorflow_one_thread_only_when_it_runs_just_the_head(
    onnx_ready, options, threads, monkeypatch, tmp_path
):
    from tlcore.features import early_embeddings

    for variable in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(early_embeddings, "features_without_keras", lambda *given: onnx_ready)
    status = cli.main(
        ["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m.zip"), *options]
    )
    assert status == 2
    assert os.environ.get("TF_NUM_INTRAOP_THREADS") == threads
    assert os.environ.get("TF_NUM_INTEROP_THREADS") == threads


def test_a_usage_error_is_one_line_and_status_2(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["train", "photos"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip()
    assert "--out" in error and len(error.splitlines()) == 1


def test_a_missing_folder_is_status_2_without_traceback(tmp_path, capsys):
    status = cli.main(["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m.zip")])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("error: ") and "Traceback" not in error
    assert not (tmp_path / "m.zip").exists()


def test_a_file_that_is_not_a_project_exits_2_in_a_real_process(tmp_path):
    fake = tmp_path / "model.zip"
    fake.write_text("not a zip")
    result = run_tlcore("predict", str(fake), str(tmp_path / "photo.jpg"), "--quiet")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "not a project" in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_train_evaluate_and_predict_end_to_end(
    small_photo_folder, small_val_folder, tmp_path, capsys
):
    project = tmp_path / "groceries.zip"
    status = cli.main(
        [
            "train",
            str(small_photo_folder),
            "--out",
            str(project),
            "--epochs",
            "15",
            "--image-size",
            "96",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["classes"] == sorted(summary["classes"]) and len(summary["classes"]) == 5
    assert "100.0%" in captured.err and "\r[" in captured.err
    assert project.is_file()

    assert cli.main(["evaluate", str(project), str(small_val_folder), "--quiet"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["accuracy"] >= 0.6
    assert figures["class_names"] == summary["classes"]
    assert len(figures["confusion_matrix"]) == 5
    assert {"precision", "recall", "f1", "support"} <= set(figures["per_class"][0])

    banana = sorted((small_val_folder / "Banana").glob("*.jpg"))[0]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    status = cli.main(["predict", str(project), str(banana), str(broken), "--top", "2"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # The broken photo gets an error line; the good one is still predicted.
    assert status == 2
    assert lines[0]["file"] == str(banana)
    assert lines[0]["top"][0]["class"] == "Banana"
    assert len(lines[0]["top"]) == 2
    assert "error" in lines[1] and lines[1]["top"] == []
