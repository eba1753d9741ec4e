"""The quick paths of training: the head fitted an epoch a call learns as Keras' `fit` does,
and photos embedded before TensorFlow starts are the features training computes."""

import keras
import numpy as np
import pytest
from engine_fixtures import TEST_IMAGE_SIZE

from tlcore.data import loading
from tlcore.nets import model, runtimes
from tlcore.training import head_fitting, heads, types


def separable_features(count: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, classes, size=count)
    centres = generator.normal(size=(classes, 64))
    features = centres[labels] + generator.normal(size=(count, 64))
    return features.astype("float32"), labels


def compiled_head(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    head = model.build_head(64, 3, hidden_units=16, dropout=0.0, seed=seed, l2_regularization=0.01)
    model.compile_head(head, learning_rate=0.01)
    return head


@pytest.mark.slow
def test_a_head_fitted_an_epoch_a_call_learns_as_keras_fit_does():
    """With one batch an epoch and no dropout, the order of the photos cannot matter: the
    traced epochs and Keras' `fit` must give the same figures and weights."""
    features, labels = separable_features(48, 3, seed=0)
    training_data, validation_data = (features[:36], labels[:36]), (features[36:], labels[36:])
    settings = types.TrainingSettings(epochs=6, batch_size=64, seed=2)
    ours, theirs = compiled_head(5), compiled_head(5)
    np.testing.assert_array_equal(ours.get_weights()[0], theirs.get_weights()[0])
    epochs_seen = []
    reporter = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epochs_seen.append((epoch, sorted(logs)))
    )
    assert head_fitting.traced_fitting_available(ours)
    history = head_fitting.fit_head(ours, training_data, validation_data, settings, [reporter])
    expected = theirs.fit(
        *training_data,
        validation_data=validation_data,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        verbose=0,
    ).history
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history.history[name], expected[name], rtol=1e-4, atol=1e-6)
    for mine, keras_weights in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-3, atol=1e-5)
    assert [epoch for epoch, _ in epochs_seen] == list(range(settings.epochs))
    assert epochs_seen[0][1] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    # It learned: the loss fell.
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.slow
def test_a_head_fitted_twice_from_one_seed_is_the_same():
    features, labels = separable_features(90, 3, seed=1)
    data = ((features[:70], labels[:70]), (features[70:], labels[70:]))
    settings = types.TrainingSettings(epochs=3, batch_size=16, seed=4)
    first, second = compiled_head(1), compiled_head(1)
    head_fitting.fit_head(first, *data, settings, [])
    head_fitting.fit_head(second, *data, settings, [])
    for one, other in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(one, other)


@pytest.mark.slow
def test_a_head_fitted_with_dropout_ignores_the_global_seeds():
    """`training.heads.fit_head` leaves the global seeds alone on the traced path (setting them
    empties TensorFlow's kernel cache): the order and the dropout must come from their own seeds."""
    features, labels = separable_features(90, 3, seed=3)
    data = ((features[:70], labels[:70]), (features[70:], labels[70:]))
    settings = types.TrainingSettings(epochs=3, batch_size=16, seed=6)
    fitted = []
    for global_seed in (11, 12):
        head = model.build_head(64, 3, hidden_units=16, dropout=0.5, seed=7)
        model.compile_head(head, learning_rate=0.01)
        keras.utils.set_random_seed(global_seed)
        heads.fit_head(head, *data, settings, [])
        fitted.append(head.get_weights())
    for one, other in zip(*fitted, strict=True):
        np.testing.assert_array_equal(one, other)


@pytest.mark.slow
def test_the_traced_epoch_is_traced_once_for_every_photo_count():
    features, labels = separable_features(90, 3, seed=5)
    settings = types.TrainingSettings(epochs=2, batch_size=16, seed=1)
    head = compiled_head(3)
    for count in (70, 50):
        head_fitting.fit_head(
            head, (features[:count], labels[:count]), (features[70:], labels[70:]), settings, []
        )
    epoch = head_fitting._epoch_function(head, settings.batch_size, features.shape[1])
    assert epoch.experimental_get_tracing_count() == 1


@pytest.mark.slow
def test_photos_embedded_before_tensorflow_are_the_features_training_computes(
    small_photo_folder, tmp_path, monkeypatch
):
    from tlcore.features import early_embeddings, embeddings
    from tlcore.nets import onnx_base

    photos = loading.load_folder(small_photo_folder).photos[:12]
    shared_base = model.get_base(image_size=TEST_IMAGE_SIZE)
    # The base's ONNX form is converted and checked on its first use, as training does.
    expected = embeddings.embed_photos(photos, shared_base, cache=None)
    assert onnx_base.onnx_features(shared_base).checked

    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "keras")
    assert early_embeddings.embed_early(photos, TEST_IMAGE_SIZE, tmp_path / "off") == 0
    assert not (tmp_path / "off").exists()

    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "onnx")
    assert early_embeddings.embed_early(photos, TEST_IMAGE_SIZE, tmp_path / "cache") == 12
    cache = embeddings.EmbeddingCache(tmp_path / "cache")
    stored = np.stack([cache.get(photo.content_hash, shared_base.backbone_id) for photo in photos])
    np.testing.assert_allclose(stored, expected, atol=1e-6)
    # Training then finds every photo in the cache.
    counted = []
    embeddings.embed_photos(
        photos, shared_base, cache, on_progress=lambda *done: counted.append(done)
    )
    assert counted == [(12, 12)]
    # An image size the base does not take is left to training, which says so in words.
    assert early_embeddings.embed_early(photos, 97, tmp_path / "cache") == 0
    # Whether ONNX Runtime will compute the features is known before TensorFlow is in.
    assert early_embeddings.features_without_keras(TEST_IMAGE_SIZE)
    assert not early_embeddings.features_without_keras(97)
    monkeypatch.setenv(runtimes.RUNTIME_VARIABLE, "keras")
    assert not early_embeddings.features_without_keras(TEST_IMAGE_SIZE)
