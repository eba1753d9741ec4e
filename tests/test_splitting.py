"""The hold-out split: stratified, reproducible, and never empties a class."""

import numpy as np
import pytest

from tlcore import errors
from tlcore.data import loading
from tlcore.features import splitting


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


def near_copies(rng, direction, count, noise=0.05):
    """Returns `count` feature vectors that all point nearly along `direction`."""
    return direction + noise * rng.standard_normal((count, direction.size))


def made_up_features(group_sizes_by_class, seed=0):
    """Returns features and labels where each group is a bunch of near-copies and groups point
    in unrelated directions; photos of a group are spread through the data set."""
    rng = np.random.default_rng(seed)
    features, labels, groups = [], [], []
    group_number = 0
    for class_index, group_sizes in enumerate(group_sizes_by_class):
        for size in group_sizes:
            direction = rng.standard_normal(64)
            features.append(near_copies(rng, direction, size))
            labels.extend([class_index] * size)
            groups.extend([group_number] * size)
            group_number += 1
    order = rng.permutation(len(labels))
    return np.concatenate(features)[order], np.asarray(labels)[order], np.asarray(groups)[order]


def same_partition(first, second):
    """Whether two group numberings put the same photos together."""
    pairs = set(zip(first.tolist(), second.tolist(), strict=True))
    return len(pairs) == len(set(first.tolist())) == len(set(second.tolist()))


def test_near_copies_of_a_class_form_one_group_and_classes_never_share_one():
    features, labels, true_groups = made_up_features([[4, 3, 1, 1], [5, 2, 2]])
    groups = splitting.near_copy_groups(features, labels)
    assert same_partition(groups, true_groups)
    # The same picture in two classes is two groups: a group never crosses classes.
    twins = np.concatenate([features[:1], features[:1]])
    twin_groups = splitting.near_copy_groups(np.concatenate([features, twins]), [*labels, 0, 1])
    assert twin_groups[-1] != twin_groups[-2]


def test_a_chain_of_photos_each_close_to_the_next_is_one_group():
    rng = np.random.default_rng(1)
    start, end = rng.standard_normal(64), rng.standard_normal(64)
    # Ten steps from one direction to an unrelated one: each photo is a near-copy of the next,
    # the first is nothing like the last.
    chain = np.stack([start + (end - start) * step / 9 for step in range(10)])
    others = rng.standard_normal((10, 64)) * 3
    features = np.concatenate([chain, others])
    groups = splitting.near_copy_groups(features, [0] * 20)
    assert len(set(groups[:10].tolist())) == 1
    assert len(set(groups.tolist())) == 11


def test_the_grouped_split_holds_out_whole_groups_and_as_many_photos_as_the_plain_one():
    features, labels, _ = made_up_features([[3, 2, 2, 1, 1, 1], [4, 4, 2], [2, 1, 1, 1, 1]])
    groups = splitting.near_copy_groups(features, labels)
    for seed in range(5):
        training, validation = splitting.grouped_split(labels, groups, 0.2, seed)
        plain_training, plain_validation = splitting.stratified_split(labels, 0.2, seed)
        assert sorted([*training, *validation]) == list(range(len(labels)))
        for class_index in range(3):
            assert (labels[validation] == class_index).sum() == (
                labels[plain_validation] == class_index
            ).sum()
        # Every class here has groups small enough to hold out whole: none straddles.
        assert not set(groups[training].tolist()) & set(groups[validation].tolist())


def test_a_class_taken_in_one_sitting_still_gives_photos_to_validation():
    # Class 0 is one big group (every photo alike); class 1 one group of 8 and two single
    # photos, so only the singles can be held out whole.
    features, labels, _ = made_up_features([[10], [8, 1, 1]])
    groups = splitting.near_copy_groups(features, labels)
    training, validation = splitting.grouped_split(labels, groups, 0.3, seed=0)
    assert (labels[validation] == 0).sum() == 3
    assert (labels[validation] == 1).sum() == 3
    # Both singles are held out, then the one more needed comes from the big group.
    singles = [group for group in set(groups[labels == 1].tolist()) if (groups == group).sum() == 1]
    assert set(singles) <= set(groups[validation].tolist())


def test_the_grouped_split_is_reproducible_and_checks_like_the_plain_one():
    features, labels, _ = made_up_features([[2, 1, 1, 1, 1, 1, 1], [1] * 8])
    groups = splitting.near_copy_groups(features, labels)
    first = splitting.grouped_split(labels, groups, 0.25, seed=3)
    again = splitting.grouped_split(labels, groups, 0.25, seed=3)
    other = splitting.grouped_split(labels, groups, 0.25, seed=4)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    with pytest.raises(errors.DatasetError, match="Kiwi"):
        splitting.grouped_split([0, 0, 1], [0, 0, 1], 0.2, class_names=["Apple", "Kiwi"])
    with pytest.raises(errors.SettingsError):
        splitting.grouped_split([0, 0, 1, 1], [0, 1, 2, 3], 1.5)
    with pytest.raises(ValueError, match="one group"):
        splitting.grouped_split([0, 0, 1, 1], [0, 1], 0.2)


@pytest.mark.slow
def test_on_real_photos_no_validation_photo_has_a_near_copy_in_training(tmp_path):
    from engine_fixtures import copy_photos

    from tlcore.features import cosine, embeddings
    from tlcore.nets import model

    # The grocery photos of a class were taken a few at a time: the first 30 of these classes
    # hold runs of near-copies, which the random split scatters on both sides.
    folder = copy_photos(tmp_path, "train", ("Banana", "Red-Bell-Pepper", "Watermelon"), 30)
    dataset = loading.load_folder(folder)
    features = embeddings.embed_photos(dataset.photos, model.get_base("mobilenet_v2", 224), None)
    labels = np.asarray(dataset.labels)
    groups = splitting.near_copy_groups(features, labels)
    vectors = cosine.normalise(features)

    def nearest_training_similarities(split):
        training, validation = split
        return [
            max(vectors[row] @ vectors[other] for other in training if labels[other] == labels[row])
            for row in validation
        ]

    plain = nearest_training_similarities(splitting.stratified_split(labels, 0.2, seed=1))
    grouped = nearest_training_similarities(splitting.grouped_split(labels, groups, 0.2, seed=1))
    assert len(plain) == len(grouped) == 18
    assert max(plain) >= splitting.NEAR_COPY_SIMILARITY
    assert max(grouped) < splitting.NEAR_COPY_SIMILARITY
    assert np.mean(grouped) < np.mean(plain) - 0.03
