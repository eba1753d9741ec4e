"""Fine-tuning: a copy of the base learns, BatchNorm stays frozen, the best weights are kept."""

import dataclasses

import keras
import numpy as np
import pytest
from engine_fixtures import TEST_IMAGE_SIZE

from tlcore.data import augmentation
from tlcore.nets import model
from tlcore.training import finetuning, trainer

pytestmark = pytest.mark.slow

HEAD_EPOCHS = 8


@pytest.fixture(scope="module")
def fine_tuned(small_training):
    """One short real fine-tuning of the small subset at 96 px: two epochs of two blocks."""
    settings = dataclasses.replace(
        small_training.settings,
        epochs=HEAD_EPOCHS,
        fine_tune=True,
        fine_tune_epochs=2,
        fine_tune_blocks=2,
        fine_tune_patience=2,
    )
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    base_weights = [weight.copy() for weight in shared_base.base.get_weights()]
    reports = []
    trained = trainer.train(small_training.dataset, settings, on_progress=reports.append)
    return trained, reports, base_weights


def test_the_copy_of_the_base_is_independent_and_only_its_top_learns():
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    copy = finetuning.copy_base(shared_base.base)
    assert copy is not shared_base.base
    for mine, shared in zip(copy.weights, shared_base.base.weights, strict=True):
        assert mine is not shared
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(shared))
    learning = finetuning.unfreeze_top_blocks(copy, 3, shared_base.backbone)
    assert learning > 0
    assert shared_base.base.trainable is False and not shared_base.base.trainable_weights
    trainable = {layer.name for layer in copy.layers if layer.trainable and layer.weights}
    assert trainable
    assert all(
        name.startswith(("block_14_", "block_15_", "block_16_", "Conv_1")) for name in trainable
    )
    assert "Conv_1" in trainable and "block_14_depthwise" in trainable
    assert not any(
        layer.trainable
        for layer in copy.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    assert not any(layer.trainable for layer in copy.layers if layer.name.startswith("block_13_"))
    assert learning == sum(int(np.prod(weight.shape)) for weight in copy.trainable_weights)


def test_augmentation_acts_only_while_learning(small_training):
    shared_base = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE)
    head = model.build_head(shared_base.backbone.feature_count, 5, seed=0)
    fitting = finetuning.build_fine_tuning_model(
        shared_base.base,
        head,
        shared_base.backbone,
        TEST_IMAGE_SIZE,
        augmentation.AugmentationSettings(),
        seed=0,
    )
    names = [layer.name for layer in fitting.layers]
    assert names[1:6] == [
        "random_flip",
        "random_rotation",
        "random_zoom",
        "random_brightness",
        "random_contrast",
    ]
    classifier = model.build_classifier(
        shared_base.base, head, shared_base.backbone, TEST_IMAGE_SIZE
    )
    pixels = (
        np.random.default_rng(0)
        .uniform(0, 255, (2, shared_base.input_size, shared_base.input_size, 3))
        .astype("float32")
    )
    np.testing.assert_allclose(
        np.asarray(fitting(pixels, training=False)), np.asarray(classifier(pixels)), atol=1e-5
    )


def test_fine_tuning_reports_progress_after_the_head(fine_tuned):
    trained, reports, _ = fine_tuned
    phases = list(dict.fromkeys(report.phase for report in reports))
    assert phases == [
        "loading",
        "embedding",
        "training",
        "measuring",
        "fine-tuning",
        "finished",
    ]
    assert all(report.fine_tuning for report in reports)
    fractions = [report.fraction for report in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    epoch_ends = [report.epoch for report in reports if report.epoch is not None]
    # Fine-tuning's epochs count on from the head's, so the chart goes on where it ended.
    runs = trained.fine_tuning["epochs_run"]
    assert epoch_ends == list(range(1, HEAD_EPOCHS + runs + 1))
    assert len(trained.history["val_loss"]) == HEAD_EPOCHS + runs
    within = [
        report for report in reports if report.phase == "fine-tuning" and report.epoch is None
    ]
    assert within and all(0 < report.within_epoch <= 1 for report in within)


def test_the_shared_base_never_changes(fine_tuned):
    _, _, before = fine_tuned
    after = model.get_base("mobilenet_v2", TEST_IMAGE_SIZE).base.get_weights()
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)


def test_the_best_weights_are_kept(fine_tuned):
    trained, _, _ = fine_tuned
    summary = trained.fine_tuning
    assert summary["blocks"] == 2 and summary["trainable_weights"] > 0
    fine_losses = trained.history["val_loss"][HEAD_EPOCHS:]
    assert summary["best_val_loss"] == pytest.approx(min(fine_losses))
    assert summary["baseline_val_loss"] == pytest.approx(
        trained.history["val_loss"][HEAD_EPOCHS - 1]
    )
    if summary["kept"]:
        assert summary["best_val_loss"] < summary["baseline_val_loss"]
        best = HEAD_EPOCHS - 1 + summary["best_epoch"]
    else:
        # No epoch beat the head alone: the head's weights were put back.
        assert summary["best_epoch"] == 0
        best = HEAD_EPOCHS - 1
    # The kept weights score the validation photos as they did at that epoch.
    assert trained.evaluation.accuracy == pytest.approx(trained.history["val_accuracy"][best])


def test_the_saved_model_has_no_augmentation_and_loads_safely(fine_tuned, tmp_path):
    from tlcore.nets import prediction
    from tlcore.serving import project_file

    trained, _, _ = fine_tuned
    names = [layer.name for layer in trained.model.layers]
    assert not [name for name in names if name.startswith("random_")]
    assert trained.model.get_layer(names[3]).trainable is False
    path = project_file.save_project(trained, tmp_path / "fine.zip")
    loaded = project_file.load_project(path)
    assert loaded.fine_tuning == trained.fine_tuning
    pixels = (
        np.random.default_rng(1)
        .uniform(0, 255, (3, loaded.input_size, loaded.input_size, 3))
        .astype("float32")
    )
    np.testing.assert_allclose(
        prediction.predict_pixels(loaded, pixels),
        prediction.predict_pixels(trained, pixels),
        atol=1e-5,
    )
