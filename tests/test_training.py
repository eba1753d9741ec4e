"""Real training on real photos: far above chance, base untouched, progress reported."""

import numpy as np
import pytest
from engine_fixtures import TEST_CLASSES, TEST_IMAGE_SIZE

from tlcore import errors
from tlcore.data import datasets, loading
from tlcore.evaluation import metrics as evaluation
from tlcore.features import embeddings, splitting
from tlcore.nets import model
from tlcore.training import trainer, types

pytestmark = pytest.mark.slow


def test_five_real_classes_train_far_above_chance(small_training, small_val_folder):
    trained = small_training.trained
    assert trained.class_names == sorted(TEST_CLASSES)
    held_out = loading.load_folder(small_val_folder)
    scores = evaluation.evaluate_dataset(trained, held_out)
    # Chance is 20%; photos the model never saw must be recognised far better than that.
    assert scores.photo_count == len(held_out.photos) > 20
    assert scores.accuracy >= 0.7
    assert np.asarray(scores.confusion_matrix).sum() == scores.photo_count


def test_history_and_validation_figures_are_kept(small_training):
    trained = small_training.trained
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(trained.history[key]) == small_training.settings.epochs
    assert trained.history["loss"][-1] < trained.history["loss"][0]
    # Two of each class's ten photos were held out for validation.
    assert trained.evaluation.photo_count == 2 * len(TEST_CLASSES)
    assert [metrics.support for metrics in trained.evaluation.per_class] == [2] * 5
    assert trained.backbone_id == f"mobilenet_v2_1.0-{TEST_IMAGE_SIZE}"


def test_the_validation_photos_are_the_grouped_split_of_the_photos_features(small_training):
    dataset, settings = small_training.dataset, small_training.settings
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    features = embeddings.embed_photos(dataset.photos, shared_base, embeddings.EmbeddingCache())
    labels = np.asarray(dataset.labels)
    _, validation_rows = splitting.grouped_split(
        labels,
        splitting.near_copy_groups(features, labels),
        settings.validation_split,
        settings.seed,
    )
    held_out = {answer.content_hash for answer in small_training.trained.evaluation.predictions}
    assert held_out == {dataset.photos[row].content_hash for row in validation_rows}


def test_progress_goes_through_every_phase_in_order(small_training):
    phases = [report.phase for report in small_training.progress]
    first_seen = list(dict.fromkeys(phases))
    assert first_seen == ["loading", "embedding", "training", "measuring", "finished"]
    embedding = [report for report in small_training.progress if report.phase == "embedding"]
    assert embedding[-1].done == embedding[-1].total == len(small_training.dataset.photos)
    epochs = [report for report in small_training.progress if report.phase == "training"]
    assert [report.epoch for report in epochs] == list(range(1, 26))
    assert all(report.val_accuracy is not None for report in epochs)
    fractions = [report.fraction for report in small_training.progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_training_leaves_the_base_weights_unchanged(small_training):
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    before = [weight.copy() for weight in shared_base.base.get_weights()]
    settings = types.TrainingSettings(epochs=3, image_size=TEST_IMAGE_SIZE)
    trainer.train(small_training.dataset, settings)
    for old, new in zip(before, shared_base.base.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_retraining_reuses_cached_features_and_is_reproducible(small_training):
    reports = []
    again = trainer.train(
        small_training.dataset, small_training.settings, on_progress=reports.append
    )
    embedding = [report for report in reports if report.phase == "embedding"]
    # Every photo's features came from the cache: the first report already says all done.
    assert embedding[0].done == embedding[0].total
    np.testing.assert_allclose(
        again.history["loss"], small_training.trained.history["loss"], rtol=1e-4
    )


def test_bad_settings_and_too_few_photos_are_refused(small_training):
    with pytest.raises(errors.SettingsError, match="epochs"):
        trainer.train(small_training.dataset, types.TrainingSettings(epochs=0))
    with pytest.raises(errors.SettingsError, match="image size"):
        trainer.train(small_training.dataset, types.TrainingSettings(image_size=100))
    one_class = datasets.Dataset(
        class_names=["Banana"],
        photos=small_training.dataset.photos_of("Banana"),
        skipped=[],
        duplicates=[],
    )
    with pytest.raises(errors.DatasetError):
        trainer.train(one_class, types.TrainingSettings(image_size=TEST_IMAGE_SIZE))
