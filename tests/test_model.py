"""The builders: a frozen base, the classic head, and one model from pixels to classes."""

import numpy as np
import pytest

from tlcore import errors
from tlcore.nets import backbones, model

BACKBONE = backbones.get_backbone("mobilenet_v2")


@pytest.fixture(scope="module")
def shared_base():
    return model.get_base("mobilenet_v2", 96)


def test_the_base_is_frozen_and_shared(shared_base):
    assert shared_base.base.trainable is False
    assert shared_base.base.trainable_weights == []
    assert model.get_base("mobilenet_v2", 96) is shared_base
    assert shared_base.backbone_id == "mobilenet_v2_1.0-96"


def test_the_model_crops_the_centre_of_photos_resized_a_little_larger(shared_base):
    # As in ImageNet's own evaluation, the base sees the central 87.5% of the photo.
    assert shared_base.input_size == 110
    assert BACKBONE.input_size(224) == 256
    extractor_layers = [layer.name for layer in shared_base.feature_extractor.layers]
    assert extractor_layers[1:3] == ["crop_centre", "scale_pixels"]
    assert shared_base.feature_extractor.input_shape == (None, 110, 110, 3)


def test_the_head_is_the_classic_one():
    head = model.build_head(1280, 4, hidden_units=128, dropout=0.2, seed=0)
    dense_layers = [layer for layer in head.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense_layers] == [128, 4]
    assert dense_layers[0].activation.__name__ == "relu"
    assert dense_layers[1].activation.__name__ == "softmax"
    assert any(layer.__class__.__name__ == "Dropout" for layer in head.layers)
    assert head.output_shape == (None, 4)


def test_the_classifier_takes_raw_pixels_and_outputs_probabilities(shared_base):
    head = model.build_head(BACKBONE.feature_count, 3, seed=0)
    classifier = model.build_classifier(shared_base.base, head, BACKBONE, 96)
    size = shared_base.input_size
    pixels = np.random.default_rng(0).integers(0, 256, (2, size, size, 3)).astype("float32")
    probabilities = np.asarray(classifier.predict_on_batch(pixels))
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # The classifier's output equals the head on the extractor's features: one recipe.
    features = shared_base.embed_batch(pixels)
    np.testing.assert_allclose(
        probabilities, np.asarray(head.predict_on_batch(features)), rtol=1e-4, atol=1e-6
    )


def test_fitting_the_classifier_moves_the_head_but_not_the_base(shared_base):
    head = model.build_head(BACKBONE.feature_count, 2, seed=0)
    classifier = model.build_classifier(shared_base.base, head, BACKBONE, 96)
    model.compile_head(classifier, 0.01)
    base_before = [weight.copy() for weight in shared_base.base.get_weights()]
    head_before = [weight.copy() for weight in head.get_weights()]
    size = shared_base.input_size
    pixels = np.random.default_rng(1).integers(0, 256, (8, size, size, 3)).astype("float32")
    classifier.fit(pixels, np.array([0, 1] * 4), epochs=1, batch_size=4, verbose=0)
    for before, after in zip(base_before, shared_base.base.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert any(
        not np.array_equal(before, after)
        for before, after in zip(head_before, head.get_weights(), strict=True)
    )


def test_unknown_sizes_and_backbones_are_refused():
    with pytest.raises(errors.SettingsError, match="96, 128, 160, 192, 224"):
        model.get_base("mobilenet_v2", 100)
    with pytest.raises(errors.SettingsError, match="mobilenet_v2"):
        model.get_base("resnet9000", 224)
