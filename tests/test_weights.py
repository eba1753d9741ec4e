"""Finding the weights: an explicit folder, then Keras' cache; a clear message when absent."""

import pytest

from tlcore import errors
from tlcore.nets import backbones, weights

BACKBONE = backbones.get_backbone("mobilenet_v2")


def test_keras_cache_is_found(keras_home):
    found = weights.find_weights(BACKBONE, allow_download=False)
    assert found == keras_home / "models" / BACKBONE.weights_file


def test_an_explicit_folder_comes_first(tmp_path, keras_home, monkeypatch):
    (tmp_path / BACKBONE.weights_file).write_bytes(b"weights")
    monkeypatch.setenv(weights.WEIGHTS_DIR_VARIABLE, str(tmp_path))
    assert weights.find_weights(BACKBONE, allow_download=False).parent == tmp_path


def test_a_folder_laid_out_like_keras_cache_works(tmp_path, keras_home):
    (tmp_path / "keras" / "models").mkdir(parents=True)
    (tmp_path / "keras" / "models" / BACKBONE.weights_file).write_bytes(b"weights")
    found = weights.find_weights(BACKBONE, weights_dir=tmp_path, allow_download=False)
    assert found.parent == tmp_path / "keras" / "models"


def test_missing_weights_name_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    with pytest.raises(errors.WeightsNotFoundError) as raised:
        weights.find_weights(BACKBONE, allow_download=False)
    message = str(raised.value)
    assert BACKBONE.weights_file in message
    assert weights.WEIGHTS_DIR_VARIABLE in message
    assert str(tmp_path / "empty" / "models") in message
