"""Exports to TensorFlow Lite (float and int8) and SavedModel, each loaded back and compared."""

import io
import warnings
import zipfile

import numpy as np
import pytest

from tlcore.serving import export


def test_a_sample_takes_every_class_in_turn():
    sample = export.sample_photos({"a": [1, 2, 3], "b": [4], "c": [5, 6]}, 5)
    assert sample == [1, 4, 5, 2, 6]
    assert export.sample_photos({"a": [1]}, 10) == [1]


def test_float_exports_must_match_and_int8_must_agree():
    expected = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    close = export.compare("tflite-float", expected, expected + 1e-6)
    assert close.passed and close.photo_count == 3 and close.agreement == 1.0
    assert not export.compare("saved-model", expected, expected + 1e-3).passed
    swapped = expected.copy()
    swapped[2] = [0.4, 0.6]
    int8 = export.compare("tflite-int8", expected, swapped)
    assert int8.agreement == pytest.approx(2 / 3) and not int8.passed
    assert "67%" in int8.summary
    assert export.compare("tflite-int8", expected, expected + 0.01).passed
    nothing = export.compare("tflite-float", np.zeros((0, 2)), np.zeros((0, 2)))
    assert nothing.passed and "Not checked" in nothing.summary


def test_int8_needs_photos_and_an_unknown_quantisation_is_refused():
    with pytest.raises(export.ExportError, match="calibrated on your own photos"):
        export.tflite_bytes(None, "int8", representative_pixels=np.zeros((0, 8, 8, 3)))
    with pytest.raises(export.ExportError, match="float, int8"):
        export.tflite_bytes(None, "int4")


def photo_paths(folder, per_class):
    by_class = {
        child.name: sorted(child.glob("*.jpg"))
        for child in sorted(folder.iterdir())
        if child.is_dir()
    }
    return export.sample_photos(by_class, per_class * len(by_class))


@pytest.mark.slow
def test_the_float_tflite_model_gives_the_keras_answers(small_training, small_val_folder, tmp_path):
    trained = small_training.trained
    path = tmp_path / "model.tflite"
    check = export.export_tflite(trained, path, "float", photo_paths(small_val_folder, 4))
    assert check.passed and check.photo_count == 20
    assert check.max_difference < export.FLOAT_TOLERANCE and check.agreement == 1.0
    # Loaded back from the file, on photos it was not checked on.
    pixels = export.load_photo_pixels(trained, photo_paths(small_val_folder, 5)[-5:])
    from tlcore.nets import prediction

    np.testing.assert_allclose(
        export.tflite_probabilities(path.read_bytes(), pixels),
        prediction.predict_pixels(trained, pixels),
        atol=export.FLOAT_TOLERANCE,
    )


@pytest.mark.slow
def test_the_int8_tflite_model_is_smaller_and_names_the_same_classes(
    small_training, small_photo_folder, small_val_folder
):
    trained = small_training.trained
    # Calibrated on training photos, checked on the held-back ones (the first 20 photos given
    # are both; the calibration takes the rest too).
    photos = photo_paths(small_val_folder, 4) + photo_paths(small_photo_folder, 4)
    model_bytes, check = export.tflite_export_bytes(trained, "int8", photos)
    assert check.format_name == "tflite-int8" and check.photo_count == 20
    assert check.passed and check.agreement >= export.INT8_AGREEMENT
    # MobileNetV2's 2.3 million weights take 9 MB as floats; a third of that at most as int8.
    assert len(model_bytes) < 3_500_000
    interpreter_input = _input_details(model_bytes)
    assert interpreter_input["dtype"] == np.float32
    assert list(interpreter_input["shape"]) == [1, trained.input_size, trained.input_size, 3]


def _input_details(model_bytes: bytes) -> dict:
    import tensorflow as tf

    with warnings.catch_warnings():
        # The interpreter warns that it moves to the LiteRT package; it reads the same files.
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=model_bytes)
    return interpreter.get_input_details()[0]


@pytest.mark.slow
def test_the_saved_model_loads_back_and_serves_the_keras_answers(
    small_training, small_val_folder, tmp_path
):
    import tensorflow as tf

    trained = small_training.trained
    photos = photo_paths(small_val_folder, 2)
    archive_bytes, check = export.saved_model_zip(trained, photos, "Groceries model")
    assert check.format_name == "saved-model" and check.photo_count == 10
    assert check.passed and check.max_difference < export.FLOAT_TOLERANCE
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    assert "Groceries model/saved_model.pb" in names
    assert any(name.startswith("Groceries model/variables/") for name in names)
    # Unzipped elsewhere, it serves the Keras model's answers.
    loaded = tf.saved_model.load(str(tmp_path / "Groceries model"))
    pixels = export.load_photo_pixels(trained, photos[:2])
    np.testing.assert_allclose(
        np.asarray(loaded.serve(tf.constant(pixels.astype(np.float32)))),
        np.asarray(trained.model.predict_on_batch(pixels)),
        atol=export.FLOAT_TOLERANCE,
    )
    with pytest.raises(export.ExportError, match="not empty"):
        export.export_saved_model(trained, tmp_path / "Groceries model", photos)
