"""The hold-out split: stratified, reproducible, and never empties a class."""

import numpy as np
import pytest

from tlcore import errors, splitting


def test_every_class_keeps_a_training_photo_and_gives_one_to_validation():
    labels = [0] * 10 + [1] * 2 + [2] * 5
    training, validation = splitting.stratified_split(labels, 0.2, seed=0)
    labels = np.asarray(labels)
    for class_index in range(3):
        assert (labels[training] == class_index).sum() >= 1
        assert (labels[validation] == class_index).sum() >= 1
    assert sorted(np.concatenate([training, validation]).tolist()) == list(range(17))
    assert (labels[validation] == 0).sum() == 2


def test_the_same_seed_gives_the_same_split_and_another_seed_another():
    labels = [0] * 20 + [1] * 20
    first = splitting.stratified_split(labels, 0.25, seed=3)
    again = splitting.stratified_split(labels, 0.25, seed=3)
    other = splitting.stratified_split(labels, 0.25, seed=4)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_a_class_with_one_photo_is_refused_by_name():
    with pytest.raises(errors.DatasetError, match="Kiwi"):
        splitting.stratified_split([0, 0, 1], 0.2, class_names=["Apple", "Kiwi"])


def test_a_class_with_no_photo_is_refused():
    with pytest.raises(errors.DatasetError, match="no photos"):
        splitting.stratified_split([0, 0, 2, 2], 0.2, class_names=["a", "b", "c"])


def test_a_share_out_of_range_is_refused():
    with pytest.raises(errors.SettingsError):
        splitting.stratified_split([0, 0, 1, 1], 1.5)
