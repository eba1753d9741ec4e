"""The headline: an accuracy on new photos with a range that holds the accuracy measured on
photos taken on another day, on made-up shifted data and on real photos."""

import numpy as np
import pytest

from tlcore.data import loading
from tlcore.evaluation import headline, metrics
from tlcore.features import splitting
from tlcore.training import heads, types


def test_wilson_interval_is_sensible_for_few_and_many_photos():
    low, high = headline.wilson_interval(3, 3)
    assert 0.4 < low < 0.5 and high == 1.0
    low, high = headline.wilson_interval(450, 529)
    assert 0.81 < low < 0.82 and 0.87 < high < 0.88
    assert headline.wilson_interval(0, 0) == (0.0, 1.0)


def test_a_bootstrap_over_groups_is_wider_than_over_photos():
    # 40 groups of 10 photos each, right or wrong together: only 40 independent answers.
    correct = np.repeat(np.arange(40) % 4 != 0, 10)
    groups = np.repeat(np.arange(40), 10)
    low, high = headline.group_bootstrap_interval(correct, groups)
    by_photo = headline.group_bootstrap_interval(correct, np.arange(400))
    assert low < 0.75 < high
    assert high - low > 1.8 * (by_photo[1] - by_photo[0])
    # Every photo right: a few groups do not prove 100%.
    low, high = headline.group_bootstrap_interval([True] * 16, np.arange(16) // 2)
    assert high == 1.0 and 0.6 < low < 0.7


def test_the_headline_round_trips_and_refuses_a_range_without_its_accuracy():
    made = headline.least_alike_headline([True, False], [5, 6], [True, True, False])
    assert headline.Headline.from_dict(made.to_dict()) == made
    assert made.accuracy == 0.5 and made.photo_count == 2
    assert made.parts["like_learned"] == {"accuracy": pytest.approx(2 / 3), "photos": 3}
    # With no least alike photo, the validation photos stand in, and the sentence says so.
    stand_in = headline.least_alike_headline([], [], [True, True, False])
    assert stand_in.accuracy == pytest.approx(2 / 3) and "another day" in stand_in.basis
    assert headline.Headline.from_dict(None) is None
    with pytest.raises(ValueError):
        headline.Headline.from_dict({"accuracy": 0.9, "low": 0.5, "high": 0.8, "basis": ""})


def test_least_alike_rows_take_whole_groups_that_fit_and_never_split_one():
    rng = np.random.default_rng(0)
    axes = np.eye(16)

    def near_copies(centre, count):
        return centre + 0.05 * rng.normal(size=(count, 16))

    # Class 0: 8 near-copies, and 2 more near-copies of a different look; class 1: two groups
    # of 5, each too big for its count of 3.
    features = np.vstack(
        [
            near_copies(axes[0], 8),
            near_copies(0.6 * axes[0] + axes[1], 2),
            near_copies(axes[2], 5),
            near_copies(axes[2] + 0.8 * axes[3], 5),
        ]
    )
    labels = np.repeat([0, 1], 10)
    groups = splitting.near_copy_groups(features, labels)
    assert len(set(groups[:8])) == 1 and groups[8] == groups[9] != groups[0]
    assert list(headline.least_alike_rows(features, labels, groups, [2, 3])) == [8, 9]


def made_up_shifted_photos(day: int, sittings: int, photos_per_sitting: int = 4):
    """Features of 8 classes photographed in sittings on a day. A class's photos of one
    sitting are near-copies; each sitting moves the whole class (the light, the background),
    some far, and the day moves all of them, as on the grocery photos, where photos of another
    day are less like the training photos than those are like each other."""
    class_centres = 0.3 * np.random.default_rng(0).normal(size=(8, 64))
    rng = np.random.default_rng(1 + day)
    features, labels = [], []
    for class_index, class_centre in enumerate(class_centres):
        day_centre = class_centre + 0.2 * rng.normal(size=64)
        for _ in range(sittings):
            sitting = day_centre + 0.8 * rng.normal(size=64)
            features.append(sitting + 0.3 * rng.normal(size=(photos_per_sitting, 64)))
            labels += [class_index] * photos_per_sitting
    return np.vstack(features).astype(np.float32), np.array(labels)


@pytest.mark.slow
def test_the_range_holds_the_accuracy_on_another_days_photos_of_made_up_data():
    features, labels = made_up_shifted_photos(day=0, sittings=12)
    new_features, new_labels = made_up_shifted_photos(day=1, sittings=8)
    settings = types.TrainingSettings(epochs=30, hidden_units=32)

    def fit(rows):
        head, _ = heads.train_heads(
            64,
            8,
            (features[rows], labels[rows]),
            (features[rows], labels[rows]),
            settings,
            lambda progress: None,
        )
        return head

    def right(head, inputs, truth):
        return np.asarray(head(inputs, training=False)).argmax(axis=1) == truth

    groups = splitting.near_copy_groups(features, labels)
    training_rows, validation_rows = splitting.grouped_split(labels, groups, 0.2, 0)
    least = headline.least_alike_rows(
        features, labels, groups, splitting.validation_counts(labels, 0.2)
    )
    model = fit(training_rows)
    validation_right = right(model, features[validation_rows], labels[validation_rows])
    made = headline.least_alike_headline(
        right(fit(np.setdiff1d(np.arange(len(labels)), least)), features[least], labels[least]),
        groups[least],
        validation_right,
    )
    another_day = right(model, new_features, new_labels).mean()
    assert made.low <= another_day <= made.high, (made, another_day)
    # The model's own validation photos alone promise far more than another day gives.
    assert validation_right.mean() > another_day + 0.1


@pytest.mark.slow
def test_a_real_training_has_a_headline_whose_range_holds_its_val_accuracy(
    small_training, small_val_folder
):
    trained = small_training.trained
    measured = trained.headline
    assert measured is not None and measured.method == headline.BASIS_LEAST
    # The model's 10 validation photos and, in each class, up to 2 least alike photos.
    assert measured.parts["like_learned"]["photos"] == 10
    assert 0 < measured.photo_count == measured.parts["least_alike"]["photos"] <= 10
    assert measured.parts["like_learned"]["accuracy"] == trained.evaluation.accuracy
    another_day = metrics.evaluate_dataset(trained, loading.load_folder(small_val_folder))
    assert measured.low <= another_day.accuracy <= measured.high, (measured, another_day.accuracy)


def test_all_right_or_all_wrong_gives_a_range_that_loads_again():
    # 16 of 16 once gave a top of 0.9999999999999999, below the accuracy of 1.0, and the
    # saved model would not load again.
    for total in range(1, 200):
        for right in (0, total):
            low, high = headline.wilson_interval(right, total)
            data = {"accuracy": right / total, "low": low, "high": high}
            assert headline.Headline.from_dict(data).accuracy == right / total
