"""ONNX Runtime against Keras: the same features, the same probabilities, predict without
TensorFlow, and Keras whenever the ONNX form is missing, damaged or turned off."""

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from engine_fixtures import TEST_IMAGE_SIZE

from tlcore import cli, errors
from tlcore.data import images
from tlcore.nets import runtimes

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def run_python(code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Runs Python code in a fresh process with this environment (weights, caches)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )


# What the command line's `predict` must not import: TensorFlow and Keras (seconds), the
# worker's Huey, job records and queue (a fifth of a second).
NOT_FOR_PREDICT = ("tensorflow", "keras", "huey", "tlcore.jobs.worker", "tlcore.jobs.queue")


def test_the_predict_path_imports_no_tensorflow_and_no_worker():
    result = run_python(
        "import sys\n"
        "from tlcore import cli\n"
        "from tlcore.data import images\n"
        "from tlcore.nets import prediction, runtimes\n"
        "from tlcore.serving import onnx_project, project_file\n"
        "cli.build_parser()\n"
        f"print(sorted(name for name in {NOT_FOR_PREDICT!r} if name in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_unknown_runtime_is_refused_in_words(monkeypatch):
    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "tensorrt")
    with pytest.raises(errors.SettingsError, match="'keras' or 'onnx'"):
        runtimes.requested_runtime()
    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "Keras")
    assert runtimes.requested_runtime() == "keras" and not runtimes.onnx_wanted()


def real_pixels(folder: pathlib.Path, input_size: int, count: int) -> np.ndarray:
    paths = sorted(folder.glob("*/*.jpg"))[:: max(1, len(list(folder.glob("*/*.jpg"))) // count)]
    return np.stack([images.load_pixels(path, input_size) for path in paths[:count]])


@pytest.fixture(scope="module")
def onnx_base_features(engine_environment):
    """The shared base at the tests' size and its ONNX form, converted once per session."""
    from tlcore.nets import model, onnx_base

    shared_base = model.get_base(image_size=TEST_IMAGE_SIZE)
    features = onnx_base.onnx_features(shared_base)
    assert features is not None, "the base could not be converted"
    return shared_base, features


def test_onnx_features_agree_with_keras_on_real_photos(onnx_base_features, small_val_folder):
    from tlcore.nets import onnx_base

    shared_base, features = onnx_base_features
    pixels = real_pixels(small_val_folder, shared_base.input_size, 12)
    # Its first use compares it with Keras on these photos, and keeps the result on disk.
    onnx_features = features.embed_batch(pixels)
    assert features.checked and not features.use_keras
    keras_features = np.asarray(shared_base.embed_batch(pixels))
    assert onnx_features.shape == keras_features.shape == (12, 1280)
    assert np.abs(onnx_features - keras_features).max() <= runtimes.TOLERANCE
    # The converted file sits beside Keras' weight cache, with its checksum and first check.
    assert features.path.parent.parent == pathlib.Path(os.environ["KERAS_HOME"])
    record = json.loads(features.path.with_suffix(".json").read_text())
    assert record["check"]["passed"] and record["check"]["max_difference"] <= runtimes.TOLERANCE
    assert record["sha256"] == onnx_base.file_sha256(features.path)


def test_a_base_that_failed_its_check_is_computed_with_keras(onnx_base_features, monkeypatch):
    from tlcore.nets import onnx_base

    shared_base, features = onnx_base_features
    monkeypatch.setattr(features, "use_keras", True)
    assert onnx_base.feature_extractor(shared_base) is shared_base
    monkeypatch.setattr(features, "use_keras", False)
    assert onnx_base.feature_extractor(shared_base) is features
    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "keras")
    assert onnx_base.feature_extractor(shared_base) is shared_base


def test_batches_embedded_side_by_side_are_the_features_of_one_batch_at_a_time(
    onnx_base_features, small_photo_folder, tmp_path, monkeypatch
):
    import threading

    from tlcore.data import loading
    from tlcore.features import embeddings

    shared_base, features = onnx_base_features
    photos = loading.load_folder(small_photo_folder).photos[:14]
    pixels = embeddings.decode_batch(photos, shared_base.input_size)
    one_batch = features.embed_batch(pixels)
    # Three calls at once, one thread each, in batches of 3 (the base was checked: no batch
    # has to go first); progress is reported from the calling thread only.
    monkeypatch.setattr(embeddings, "parallel_layout", lambda: (3, 1))
    reports = []
    side_by_side = embeddings.embed_photos(
        photos,
        shared_base,
        embeddings.EmbeddingCache(tmp_path),
        on_progress=lambda done, total: reports.append((done, total, threading.get_ident())),
        batch_size=3,
        extractor=features,
    )
    assert features.parallel_model(1) is not None
    np.testing.assert_allclose(side_by_side, one_batch, atol=1e-5)
    # The batches end in any order: each report counts one more batch, the last all 14.
    counts = [done for done, _, _ in reports]
    assert counts[0] == 0 and counts[-1] == 14 and len(counts) == 6 and counts == sorted(counts)
    assert {thread for _, _, thread in reports} == {threading.get_ident()}
    cached = embeddings.EmbeddingCache(tmp_path).get(
        photos[-1].content_hash, shared_base.backbone_id
    )
    np.testing.assert_allclose(cached, one_batch[-1], atol=1e-5)


def test_an_unreadable_photo_among_batches_side_by_side_is_said_in_words(
    onnx_base_features, small_photo_folder, monkeypatch
):
    from tlcore.data import datasets, loading
    from tlcore.features import embeddings

    shared_base, features = onnx_base_features
    photos = loading.load_folder(small_photo_folder).photos[:8]
    data = b"not a photo at all"
    broken = datasets.Photo(
        "broken.jpg", photos[0].class_name, images.content_hash(data), data=data
    )
    monkeypatch.setattr(embeddings, "parallel_layout", lambda: (2, 1))
    with pytest.raises(errors.UnreadableImageError, match="broken.jpg"):
        embeddings.embed_photos(
            [*photos, broken], shared_base, None, batch_size=2, extractor=features
        )


@pytest.fixture(scope="module")
def project_file(small_training, tmp_path_factory):
    """The small training's project file, with its model.onnx."""
    from tlcore.serving import project_file as projects

    path = tmp_path_factory.mktemp("onnx_project") / "project.zip"
    projects.save_project(small_training.trained, path)
    return path


def rewrite_project(source: pathlib.Path, target: pathlib.Path, onnx_data: bytes | None):
    """Copies a project file with its model.onnx replaced, or left out when None."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as copy:
        for name in archive.namelist():
            if name != "model.onnx":
                copy.writestr(name, archive.read(name))
        if onnx_data is not None:
            copy.writestr("model.onnx", onnx_data)
    return target


@pytest.mark.slow
def test_the_project_files_onnx_model_gives_the_keras_probabilities(
    project_file, small_training, small_val_folder
):
    from tlcore.nets import prediction
    from tlcore.serving import onnx_project
    from tlcore.serving import project_file as projects

    trained = small_training.trained
    assert trained.onnx is not None and trained.onnx.photos_checked > 0
    with zipfile.ZipFile(project_file) as archive:
        assert "model.onnx" in archive.namelist()
    onnx_model, reason = onnx_project.load_for_prediction(project_file)
    assert reason is None and onnx_model.input_size == trained.input_size
    pixels = real_pixels(small_val_folder, trained.input_size, 10)
    keras_probabilities = prediction.model_probabilities(trained.model, pixels)
    onnx_probabilities = prediction.predict_pixels(onnx_model, pixels)
    assert np.abs(onnx_probabilities - keras_probabilities).max() <= runtimes.TOLERANCE
    # Loaded back with Keras, the project keeps its ONNX form, which then answers.
    loaded = projects.load_project(project_file)
    assert isinstance(runtimes.classifier_for(loaded), runtimes.OnnxModel)


@pytest.mark.slow
def test_command_line_predict_runs_without_tensorflow(project_file, small_val_folder):
    photo = sorted(small_val_folder.glob("*/*.jpg"))[0]
    result = run_python(
        "import sys\n"
        "from tlcore import cli\n"
        f"status = cli.main(['predict', {str(project_file)!r}, {str(photo)!r}, '--quiet'])\n"
        f"print([name for name in {NOT_FOR_PREDICT!r} if name in sys.modules], status)"
    )
    assert result.returncode == 0, result.stderr
    *answers, imported = result.stdout.strip().splitlines()
    assert imported == "[] 0"
    assert json.loads(answers[0])["top"][0]["class"] == photo.parent.name


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["missing", "damaged", "another model's"])
def test_a_missing_or_damaged_onnx_model_falls_back_to_keras_with_a_message(
    damage, project_file, small_training, small_val_folder, tmp_path, capsys
):
    from tlcore.nets import prediction

    onnx_data = {
        "missing": None,
        "damaged": small_training.trained.onnx.data[:-1000],
        # A valid ONNX file whose checksum is not the one recorded.
        "another model's": small_training.trained.onnx.data.replace(
            b"probabilities", b"Probabilities"
        ),
    }[damage]
    edited = rewrite_project(project_file, tmp_path / "edited.zip", onnx_data)
    photos = [str(path) for path in sorted(small_val_folder.glob("*/*.jpg"))[:3]]
    status = cli.main(["predict", str(edited), *photos, "--quiet"])
    captured = capsys.readouterr()
    assert status == 0
    assert "Predicting with Keras instead" in captured.err
    assert ("no ONNX model" if damage == "missing" else "cannot be used") in captured.err
    answers = [json.loads(line) for line in captured.out.strip().splitlines()]
    expected = prediction.predict(small_training.trained, photos)
    assert [answer["top"][0]["class"] for answer in answers] == [p.best_class for p in expected]


@pytest.mark.slow
def test_an_onnx_form_of_other_weights_never_answers(small_training):
    trained = small_training.trained
    stale = dataclasses.replace(
        trained, onnx=dataclasses.replace(trained.onnx, keras_fingerprint="0" * 16)
    )
    assert runtimes.classifier_for(stale) is trained.model
    assert isinstance(runtimes.classifier_for(trained), runtimes.OnnxModel)


def test_the_head_written_from_its_weights_gives_the_keras_probabilities(engine_environment):
    import keras

    from tlcore.nets import model, onnx_head
    from tlcore.training import heads

    features = np.random.default_rng(0).random((16, 1280), dtype=np.float32) * 3
    built = [model.build_head(1280, 4, dropout=0.5, seed=seed) for seed in range(3)]
    for head in (built[0], heads.average_heads(built, 1280)):
        written = runtimes.OnnxModel(onnx_head.head_onnx(head))
        expected = np.asarray(head(features, training=False))
        assert np.abs(written.predict_on_batch(features) - expected).max() < 1e-6
    unknown = keras.Sequential([keras.Input((1280,)), keras.layers.Normalization()])
    with pytest.raises(onnx_head.UnsupportedHeadError, match="Normalization"):
        onnx_head.head_onnx(unknown)


def test_one_process_at_a_time_converts_a_base(tmp_path):
    from tlcore.nets import onnx_base

    path = tmp_path / "cache" / "base.onnx"
    probe = (
        "import fcntl, sys\n"
        f"handle = open({str(path.with_suffix('.lock'))!r}, 'a')\n"
        "try:\n"
        "    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
    )
    with onnx_base._conversion_turn(path):
        # Another process finds the turn taken while this one converts.
        assert run_python(probe).returncode == 3
    assert run_python(probe).returncode == 0
