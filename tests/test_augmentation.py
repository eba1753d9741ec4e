"""Augmentation: reproducible views, cached view features, test-time augmentation, the page."""

import dataclasses
import io

import numpy as np
import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
)
from PIL import Image

from tlcore import errors
from tlcore.data import augmentation, images
from tlcore.features import embeddings
from tlcore.training import types

NO_CHANGE = augmentation.AugmentationSettings(
    flip=False, rotation_degrees=0, zoom=0, brightness=0, contrast=0
)


def photo_bytes(colour_at=None, size=(120, 90)) -> bytes:
    """A small photo with a left-right asymmetric pattern, so mirroring shows."""
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[:, : size[0] // 3] = (200, 30, 30)
    pixels[:, size[0] // 3 :] = (20, 160, 220)
    pixels[size[1] // 2 :, :, 1] += 60
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_view_is_the_same_picture_every_time_and_views_differ():
    data = photo_bytes()
    seeds = [augmentation.view_seed(images.content_hash(data), view) for view in range(4)]
    first = augmentation.augmented_pixels(data, augmentation.AugmentationSettings(), seeds, 64)
    again = augmentation.augmented_pixels(data, augmentation.AugmentationSettings(), seeds, 64)
    assert all(view.shape == (64, 64, 3) and view.dtype == np.uint8 for view in first)
    for one, other in zip(first, again, strict=True):
        np.testing.assert_array_equal(one, other)
    assert len({view.tobytes() for view in first}) == 4
    assert augmentation.view_seed("abc", 1) != augmentation.view_seed("abc", 2)
    assert augmentation.view_seed("abc", 1) != augmentation.view_seed("abd", 1)


def test_no_change_is_the_plain_resize_and_a_flip_is_a_mirror_image():
    data = photo_bytes()
    plain = images.load_pixels(data, 64).astype(int)
    unchanged = augmentation.augmented_pixels(data, NO_CHANGE, [7], 64)[0].astype(int)
    # The same squash to a square, sampled a little differently: near-identical pixels.
    assert np.abs(unchanged - plain).mean() < 3
    flip_only = dataclasses.replace(NO_CHANGE, flip=True)
    views = augmentation.augmented_pixels(data, flip_only, list(range(20)), 64)
    mirrored = [view for view in views if np.abs(view.astype(int) - plain).mean() > 20]
    # About half of the seeds mirror the photo; each of those is the plain photo mirrored.
    assert 3 <= len(mirrored) <= 17
    for view in mirrored:
        assert np.abs(view.astype(int) - plain[:, ::-1]).mean() < 3


def test_turned_corners_are_filled_with_the_photo_not_black():
    white = io.BytesIO()
    Image.new("RGB", (80, 120), (255, 255, 255)).save(white, format="PNG")
    turned = dataclasses.replace(NO_CHANGE, rotation_degrees=30, zoom=0.3)
    for view in augmentation.augmented_pixels(white.getvalue(), turned, list(range(6)), 48):
        assert view.min() >= 250


def test_brightness_and_contrast_stay_within_their_strength():
    data = photo_bytes()
    plain = images.load_pixels(data, 48).astype(float)
    lighter = dataclasses.replace(NO_CHANGE, brightness=0.2)
    for view in augmentation.augmented_pixels(data, lighter, list(range(8)), 48):
        shift = view.astype(float).mean() - plain.mean()
        assert abs(shift) <= 0.2 * 255 + 1


def test_big_photos_are_shrunk_before_they_are_changed():
    big = Image.new("RGB", (3000, 2000), (10, 20, 30))
    small = augmentation.working_copy(big, 96)
    assert max(small.size) <= 1.5 * 96 and small.size[0] > small.size[1]
    tiny = Image.new("RGB", (50, 40))
    assert augmentation.working_copy(tiny, 96) is tiny


def test_the_preview_shows_the_views_the_model_learns_from():
    data = photo_bytes()
    settings = augmentation.AugmentationSettings(rotation_degrees=25)
    shown = augmentation.preview(data, settings, count=3, size=64)
    seeds = [augmentation.view_seed(images.content_hash(data), view) for view in range(3)]
    learned = augmentation.augmented_pixels(data, settings, seeds, 64)
    for one, other in zip(shown, learned, strict=True):
        np.testing.assert_array_equal(one, other)


def test_settings_are_checked_saved_and_named_in_the_cache():
    defaults = augmentation.AugmentationSettings()
    assert augmentation.AugmentationSettings.from_dict(defaults.to_dict()) == defaults
    assert defaults.cache_key() == augmentation.AugmentationSettings().cache_key()
    assert defaults.cache_key() != dataclasses.replace(defaults, zoom=0.1).cache_key()
    assert defaults.cache_key().isalnum()
    assert not NO_CHANGE.changes_anything and defaults.changes_anything
    with pytest.raises(errors.SettingsError, match="turn"):
        augmentation.AugmentationSettings(rotation_degrees=90).validate()
    with pytest.raises(errors.SettingsError, match="zoom"):
        augmentation.AugmentationSettings(zoom="a lot").validate()


def test_each_variant_has_its_own_place_in_the_cache(tmp_path):
    cache = embeddings.EmbeddingCache(tmp_path)
    content_hash = "ab" * 32
    view = embeddings.augmented_view(augmentation.AugmentationSettings(), 3)
    test_time_view = embeddings.test_time_view(augmentation.AugmentationSettings(), 3)
    paths = {
        cache.path_for(content_hash, "base-96", variant.key)
        for variant in (embeddings.ORIGINAL, test_time_view, view)
    }
    assert len(paths) == 3
    # Test-time views are augmented views without mirroring: settings that differ only in
    # mirroring share them.
    unmirrored = augmentation.AugmentationSettings(flip=False)
    assert test_time_view == embeddings.augmented_view(unmirrored, 3)
    assert embeddings.test_time_view(unmirrored, 3).key == test_time_view.key
    assert cache.path_for(content_hash, "base-96") == cache.path_for(content_hash, "base-96", "")
    assert view.key.endswith("-view3")
    cache.put(content_hash, "base-96", np.ones(4), view.key)
    np.testing.assert_array_equal(cache.get(content_hash, "base-96", view.key), np.ones(4))
    assert cache.get(content_hash, "base-96") is None
    with pytest.raises(ValueError):
        cache.path_for(content_hash, "base-96", "../escape")


def test_decoding_a_photo_s_views_gives_the_same_pixels_as_augmenting_it(tmp_path):
    from tlcore.data import datasets

    data = photo_bytes()
    photo = datasets.Photo("a.png", "A", images.content_hash(data), data=data)
    settings = augmentation.AugmentationSettings()
    variants = [embeddings.ORIGINAL, embeddings.test_time_view(settings, 2)] + [
        embeddings.augmented_view(settings, view) for view in range(3)
    ]
    batch = embeddings.decode_batch([photo] * 5, 64, variants)
    plain = images.load_pixels(data, 64)
    np.testing.assert_array_equal(batch[0], plain)
    # A test-time view is embedded from the same pixels as prediction makes it from.
    np.testing.assert_array_equal(batch[1], augmentation.test_time_pixels(data, settings, 64)[2])
    seeds = [augmentation.view_seed(photo.content_hash, view) for view in range(3)]
    views = augmentation.augmented_pixels(data, settings, seeds, 64)
    for row, view in zip(batch[2:], views, strict=True):
        np.testing.assert_array_equal(row, view)


def test_test_time_views_are_unmirrored_views_of_the_photo_the_same_every_time():
    data = photo_bytes()
    settings = augmentation.AugmentationSettings()
    views = augmentation.test_time_pixels(data, settings, 64)
    assert views.shape == (augmentation.TEST_TIME_VIEW_COUNT, 64, 64, 3)
    assert views.dtype == np.uint8
    np.testing.assert_array_equal(views, augmentation.test_time_pixels(data, settings, 64))
    assert len({view.tobytes() for view in views}) == len(views)
    # No view is the photo mirrored: its left third, red, stays on the left.
    for view in views:
        assert view[32, 3, 0] > view[32, 3, 2]
    # Settings that change nothing but the mirroring give no views at all.
    only_mirroring = dataclasses.replace(NO_CHANGE, flip=True)
    assert augmentation.test_time_pixels(data, only_mirroring, 64).shape == (0, 64, 64, 3)


def test_predicting_with_views_averages_the_photo_with_its_views():
    import keras

    from tlcore.nets import prediction

    # A "model" that says how bright the middle of a picture is, against how dark.
    pixels_in = keras.Input((8, 8, 3))
    brightness = keras.layers.Lambda(lambda x: keras.ops.mean(x[:, 3:5, 3:5, :], axis=(1, 2, 3)))(
        pixels_in
    )
    share = keras.layers.Lambda(lambda b: keras.ops.stack([b / 255.0, 1 - b / 255.0], axis=1))(
        brightness
    )
    classifier = keras.Model(pixels_in, share)
    photos = np.stack([np.full((8, 8, 3), 255, np.uint8), np.zeros((8, 8, 3), np.uint8)])
    views = np.zeros((2, 3, 8, 8, 3), np.uint8)  # Three black views of each photo.
    plain = prediction.model_probabilities(classifier, photos, batch_size=4)
    np.testing.assert_allclose(plain, [[1, 0], [0, 1]], atol=1e-6)
    averaged = prediction.model_probabilities(classifier, photos, batch_size=4, views=views)
    np.testing.assert_allclose(averaged, [[0.25, 0.75], [0, 1]], atol=1e-6)


def test_training_settings_keep_augmentation_and_old_files_load_without_it():

    settings = types.TrainingSettings(
        augmentation_views=3,
        augmentation=augmentation.AugmentationSettings(zoom=0.1),
        test_time_augmentation=True,
    )
    assert types.TrainingSettings.from_dict(settings.to_dict()) == settings
    old = {"epochs": 20, "image_size": 160, "dropout": 0.2}
    loaded = types.TrainingSettings.from_dict(old)
    assert loaded.augmentation_views == 0 and loaded.test_time_augmentation is False
    assert loaded.augmentation == augmentation.AugmentationSettings()
    with pytest.raises(ValueError):
        types.TrainingSettings.from_dict({"test_time_augmentation": "yes"})
    with pytest.raises(ValueError):
        types.TrainingSettings.from_dict({"augmentation": [1, 2]})
    with pytest.raises(errors.SettingsError, match="augmented views"):
        types.TrainingSettings(augmentation_views=50).validate()
    with pytest.raises(errors.SettingsError, match="turn"):
        types.TrainingSettings(
            augmentation=augmentation.AugmentationSettings(rotation_degrees=45)
        ).validate()


@pytest.mark.slow
def test_augmented_views_are_embedded_once_and_tta_scores_like_prediction(small_training, tmp_path):
    from tlcore.data import datasets
    from tlcore.evaluation import headline, metrics
    from tlcore.features import embeddings, splitting
    from tlcore.nets import model
    from tlcore.training import trainer

    dataset = small_training.dataset
    settings = dataclasses.replace(
        small_training.settings,
        epochs=10,
        augmentation_views=2,
        test_time_augmentation=True,
        head_count=2,
    )
    reports = []
    trained = trainer.train(dataset, settings, on_progress=reports.append, cache_dir=tmp_path)
    photo_count = len(dataset.photos)
    # Two heads learn: the model's, from the training photos, and the headline's, from every
    # photo but the least alike. Each learns from views; the photos that check them (the
    # validation photos and the least alike) get test-time views instead.
    labels = np.array([dataset.class_names.index(photo.class_name) for photo in dataset.photos])
    features = embeddings.embed_photos(
        dataset.photos,
        model.get_base(settings.backbone, settings.image_size),
        embeddings.EmbeddingCache(tmp_path),
    )
    groups = splitting.near_copy_groups(features, labels)
    training_rows, validation_rows = splitting.grouped_split(
        labels, groups, settings.validation_split, settings.seed, dataset.class_names
    )
    counts = splitting.validation_counts(labels, settings.validation_split, dataset.class_names)
    least_alike = headline.least_alike_rows(features, labels, groups, counts)
    learning_count = len(
        np.union1d(training_rows, np.setdiff1d(np.arange(photo_count), least_alike))
    )
    checked_count = len(np.union1d(validation_rows, least_alike))
    assert checked_count >= trained.evaluation.photo_count
    embedding = [report for report in reports if report.phase == "embedding"]
    test_time_views = augmentation.TEST_TIME_VIEW_COUNT
    assert embedding[-1].total == (
        photo_count + 2 * learning_count + test_time_views * checked_count
    )
    training_key = settings.augmentation.cache_key()
    test_time_key = augmentation.test_time_settings(settings.augmentation).cache_key()
    assert training_key != test_time_key
    # Views are made of the photos learned from only; the checking photos get test-time views.
    assert len(list(tmp_path.rglob(f"*-{training_key}-view1.npy"))) == learning_count
    last_view = f"*-{test_time_key}-view{test_time_views - 1}.npy"
    assert len(list(tmp_path.rglob(last_view))) == checked_count

    again = []
    trainer.train(dataset, settings, on_progress=again.append, cache_dir=tmp_path)
    # Everything came from the cache: the photos were all done at once, then their views.
    # Until the split is known every photo's views are counted, an upper bound; then the
    # total is exact.
    total = embedding[-1].total
    upper_bound = photo_count * (1 + 2 + test_time_views)
    assert [(report.done, report.total) for report in again if report.phase == "embedding"] == [
        (photo_count, upper_bound),
        (total, total),
    ]
    # Two heads, one after the other, averaged into one: the bar goes over both.
    learning = [report for report in reports if report.phase == "training"]
    assert [report.done for report in learning] == list(range(1, 21))
    assert [report.epoch for report in learning] == list(range(1, 11)) * 2
    assert len(trained.history["val_loss"]) == 10
    head = trained.model.get_layer("head")
    assert [layer.name for layer in head.layers][-1] == "average"

    # The validation figures used the cached test-time views; predicting the same photos through
    # the saved model with test-time augmentation gives the same answers.
    validation_hashes = {answer.content_hash for answer in trained.evaluation.predictions}
    validation_set = datasets.Dataset(
        class_names=dataset.class_names,
        photos=[photo for photo in dataset.photos if photo.content_hash in validation_hashes],
        skipped=[],
        duplicates=[],
    )
    through_model = metrics.evaluate_dataset(trained, validation_set)
    assert through_model.accuracy == pytest.approx(trained.evaluation.accuracy)
    stored = {answer.file_name: answer.confidence for answer in trained.evaluation.predictions}
    for answer in through_model.predictions:
        assert answer.confidence == pytest.approx(stored[answer.file_name], abs=1e-3)


@pytest.mark.slow
def test_the_train_page_previews_augmentation_and_passes_the_settings_on(
    app_workspace, engine_environment, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from tlapp.jobs import trainings
    from tlcore import store

    project = store.Workspace(app_workspace).create_project(
        "Augmented", "owner-token-for-augmentation"
    )
    for class_name in ("Banana", "Carrots"):
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 3))
    started = []
    monkeypatch.setattr(
        trainings, "start_training", lambda project, settings: started.append(settings)
    )

    app = AppTest.from_file(str(APP_FILE), default_timeout=SLOW_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    app.switch_page("pages/2_Train.py").run()
    assert not app.exception
    # The preview grid: eight augmented views of the first photo.
    assert len(app.get("image")) == 8
    app.slider(key="setting_augmentation_views").set_value(3)
    app.slider(key="setting_augment_rotation").set_value(25)
    app.checkbox(key="setting_fine_tune").check()
    app.checkbox(key="setting_test_time_augmentation").check()
    app.slider(key="setting_head_count").set_value(3)
    app.run()
    assert not app.exception
    app.button(key="train_button").click().run()
    assert not app.exception
    assert len(started) == 1
    settings = started[0]
    assert settings.augmentation_views == 3
    assert settings.augmentation.rotation_degrees == 25
    assert settings.fine_tune and settings.test_time_augmentation
    assert settings.head_count == 3
