"""Test photos (Create ML's "testing data"): the headline is measured on them, and they never
reach training."""

import json
import shutil

import numpy as np
import pytest
from engine_fixtures import TEST_IMAGE_SIZE

from tlcore import cli, errors
from tlcore.data import loading
from tlcore.evaluation import headline
from tlcore.features import embeddings
from tlcore.nets import model
from tlcore.training import heads, trainer, types

pytestmark = pytest.mark.slow


def test_test_photos_measure_the_headline_and_never_reach_training(
    small_photo_folder, small_val_folder, tmp_path, monkeypatch
):
    dataset = loading.load_folder(small_photo_folder)
    test_folder = tmp_path / "test"
    shutil.copytree(small_val_folder, test_folder)
    # One test photo that is also a training photo: it must be left out, not scored.
    banana = sorted((small_photo_folder / "Banana").glob("*.jpg"))[0]
    shutil.copy(banana, test_folder / "Banana" / "also-a-training-photo.jpg")
    test_set = loading.load_folder(test_folder)

    fitted = []
    original_fit = heads.fit_head

    def recording_fit(head, training_data, validation_data, settings, callbacks):
        fitted.append(np.asarray(training_data[0]))
        return original_fit(head, training_data, validation_data, settings, callbacks)

    monkeypatch.setattr(heads, "fit_head", recording_fit)
    settings = types.TrainingSettings(epochs=10, image_size=TEST_IMAGE_SIZE)
    trained = trainer.train(dataset, settings, test_dataset=test_set)

    measured = trained.headline
    assert measured.method == headline.BASIS_TEST
    assert measured.photo_count == len(test_set.photos) - 1
    assert "1 test photos were also training photos" in measured.basis
    assert measured.low <= measured.accuracy <= measured.high
    # The least alike figure is still there, beside the test photos'.
    assert {"test_photos", "least_alike", "like_learned"} <= set(measured.parts)

    # No row any head learned from is the features of a test photo.
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    only_test = [
        photo
        for photo in test_set.photos
        if photo.content_hash not in {known.content_hash for known in dataset.photos}
    ]
    test_features = embeddings.embed_photos(only_test, shared_base, embeddings.EmbeddingCache())
    assert len(fitted) == 2
    for rows in fitted:
        distances = np.abs(rows[:, None, :] - test_features[None, :, :]).max(axis=2)
        assert distances.min() > 1e-4


def test_test_photos_of_no_trained_class_are_refused(small_photo_folder, tmp_path):
    other = tmp_path / "other" / "Pineapple"
    other.mkdir(parents=True)
    shutil.copy(sorted((small_photo_folder / "Banana").glob("*.jpg"))[0], other / "p.jpg")
    with pytest.raises(errors.DatasetError, match="None of the test photos"):
        trainer.train(
            loading.load_folder(small_photo_folder),
            types.TrainingSettings(epochs=1, image_size=TEST_IMAGE_SIZE),
            test_dataset=loading.load_folder(tmp_path / "other"),
        )


def test_the_command_line_takes_test_photos(small_photo_folder, small_val_folder, tmp_path, capsys):
    project = tmp_path / "model.zip"
    status = cli.main(
        [
            "train",
            str(small_photo_folder),
            "--out",
            str(project),
            "--epochs",
            "5",
            "--image-size",
            str(TEST_IMAGE_SIZE),
            "--test",
            str(small_val_folder),
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["headline"]["method"] == headline.BASIS_TEST
    assert summary["headline"]["photo_count"] == len(loading.load_folder(small_val_folder).photos)
