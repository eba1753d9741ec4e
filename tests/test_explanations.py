"""Grad-CAM: heatmaps of what the model looked at, on a real small model and real photos."""

import numpy as np
import pytest
from engine_fixtures import TEST_IMAGE_SIZE
from PIL import Image

from tlcore import errors
from tlcore.data import images
from tlcore.serving import explanations
from tlcore.training import types


def test_the_colour_map_runs_from_blue_to_red():
    colours = explanations.colour_map(np.array([0.0, 0.5, 1.0, 7.0]))
    assert colours.shape == (4, 3) and colours.dtype == np.uint8
    low, _, high, clipped = colours.tolist()
    assert low[2] > low[0] and high[0] > high[2]
    assert clipped == high


def test_the_overlay_keeps_the_picture_and_colours_the_heat():
    picture = Image.new("RGB", (64, 64), (128, 128, 128))
    heat = np.zeros((8, 8), dtype=np.float32)
    heat[:, 4:] = 1.0
    overlay = explanations.blend(picture, heat)
    assert overlay.size == (64, 64) and overlay.mode == "RGB"
    pixels = np.asarray(overlay, dtype=int)
    # The hot right half is tinted far more (towards red) than the cold left half.
    assert pixels[:, 48:, 0].mean() > pixels[:, :16, 0].mean() + 30
    assert np.abs(pixels[:, :16] - 128).max() < 60


def held_back_pixels(trained, folder, per_class=4):
    """The first photos of each class in a folder, resized for the model, with their labels."""
    rows, labels = [], []
    for index, class_name in enumerate(trained.class_names):
        for path in sorted((folder / class_name).glob("*.jpg"))[:per_class]:
            rows.append(images.load_pixels(path, trained.input_size))
            labels.append(index)
    return np.stack(rows), np.array(labels)


@pytest.mark.slow
def test_a_heatmap_covers_the_crop_and_is_not_constant(small_training, small_val_folder):
    from tlcore.nets import prediction

    trained = small_training.trained
    photo = sorted((small_val_folder / "Banana").glob("*.jpg"))[0]
    explanation = explanations.grad_cam(trained, photo, overlay_size=200)
    heatmap = explanation.heatmap
    assert heatmap.shape == (TEST_IMAGE_SIZE, TEST_IMAGE_SIZE)
    assert heatmap.dtype == np.float32
    assert heatmap.min() >= 0.0 and heatmap.max() == pytest.approx(1.0, abs=0.05)
    assert heatmap.std() > 0.05
    assert explanation.overlay.size == (200, 200)
    # The explanation's answer is the model's own.
    answer = prediction.predict(trained, [photo])[0]
    assert explanation.predicted_class == explanation.explained_class == answer.best_class
    assert explanation.probability == pytest.approx(answer.top[0][1], abs=1e-4)


@pytest.mark.slow
def test_another_class_can_be_explained_and_an_unknown_one_is_refused(
    small_training, small_val_folder
):
    trained = small_training.trained
    photo = sorted((small_val_folder / "Carrots").glob("*.jpg"))[0].read_bytes()
    explanation = explanations.grad_cam(trained, photo, class_name="Watermelon")
    assert explanation.explained_class == "Watermelon"
    assert explanation.heatmap.shape == (TEST_IMAGE_SIZE, TEST_IMAGE_SIZE)
    with pytest.raises(errors.ClassNameError, match="Pineapple"):
        explanations.grad_cam(trained, photo, class_name="Pineapple")
    with pytest.raises(errors.UnreadableImageError):
        explanations.grad_cam(trained, b"not a photo")


@pytest.mark.slow
def test_the_heat_stays_off_a_blanked_half(small_training, small_val_folder):
    trained = small_training.trained
    pixels, labels = held_back_pixels(trained, small_val_folder)
    half_input, half_crop = trained.input_size // 2, trained.image_size // 2
    kept_heat, blanked_heat = [], []
    for blanked_side in ("left", "right"):
        blanked = pixels.copy()
        if blanked_side == "left":
            blanked[:, :, :half_input] = 255
        else:
            blanked[:, :, half_input:] = 255
        # Each photo's own class is explained: where in what is left does the model see it?
        maps, _ = explanations.heatmaps(trained, blanked, labels)
        left = maps[:, :, :half_crop].mean(axis=(1, 2))
        right = maps[:, :, half_crop:].mean(axis=(1, 2))
        kept_heat.extend(right if blanked_side == "left" else left)
        blanked_heat.extend(left if blanked_side == "left" else right)
    kept_heat, blanked_heat = np.array(kept_heat), np.array(blanked_heat)
    # The map is coarse (3 x 3 at 96 pixels), so this is asked of the photos together: more
    # heat on the half that still shows the product, for most photos and on average.
    assert (kept_heat > blanked_heat).mean() >= 0.6
    assert kept_heat.mean() > blanked_heat.mean() + 0.05


@pytest.mark.slow
def test_a_saved_and_loaded_model_gives_the_same_heatmap(
    small_training, small_val_folder, tmp_path
):
    from tlcore.serving import project_file

    trained = small_training.trained
    path = project_file.save_project(trained, tmp_path / "project.zip")
    loaded = project_file.load_project(path)
    pixels, _ = held_back_pixels(trained, small_val_folder, per_class=1)
    fresh, fresh_probabilities = explanations.heatmaps(trained, pixels)
    reloaded, reloaded_probabilities = explanations.heatmaps(loaded, pixels)
    np.testing.assert_allclose(fresh_probabilities, reloaded_probabilities, atol=1e-5)
    np.testing.assert_allclose(fresh, reloaded, atol=1e-3)


def test_a_model_not_built_by_this_tool_is_refused():
    import keras

    pixels = keras.Input(shape=(8, 8, 3))
    flat = keras.layers.Flatten()(pixels)
    foreign = keras.Model(pixels, keras.layers.Dense(2, activation="softmax")(flat))
    trained = types.TrainedModel(
        model=foreign,
        class_names=["a", "b"],
        settings=types.TrainingSettings(image_size=96),
        history={},
        evaluation=None,
        backbone_id="",
        created_at="",
    )
    with pytest.raises(explanations.ExplanationError, match="cannot show what it looked at"):
        explanations.heatmaps(trained, np.zeros((1, 8, 8, 3)))
