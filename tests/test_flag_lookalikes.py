"""A "maybe in the wrong class" flag needs two voices: the out-of-fold model names another
class, and the photo's nearest other photo is not of its own class."""

import numpy as np

from tlcore.checks import mislabelled, photo_references
from tlcore.features import cosine


def photos_of(labels, names) -> list[photo_references.PhotoReference]:
    return [
        photo_references.PhotoReference(f"{row}.jpg", names[label], f"h{row}")
        for row, label in enumerate(labels)
    ]


def test_right_photos_with_look_alikes_in_their_class_are_not_flagged_but_a_misfiled_one_is():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 64)) * 3
    # Class 0 ("mushroom"): 10 photos near its centre, and 3 near class 1's look but close to
    # each other (held in a hand, like the cartons). Class 1 ("milk"): 10 photos, one of which
    # is really a mushroom photo filed under milk.
    features = np.vstack(
        [
            centres[0] + rng.normal(size=(10, 64)),
            centres[1] + 0.3 * rng.normal(size=(1, 64)) + 0.1 * rng.normal(size=(3, 64)),
            centres[1] + rng.normal(size=(9, 64)),
            centres[0] + rng.normal(size=(1, 64)),
        ]
    ).astype(np.float32)
    labels = np.array([0] * 13 + [1] * 10)
    names = ["mushroom", "milk"]
    photos = photos_of(labels, names)
    # The out-of-fold model calls all four of them the other class, 90% sure.
    out_of_fold = np.eye(2)[labels] * 0.9 + 0.05
    out_of_fold[[10, 11, 12]] = [0.1, 0.9]
    out_of_fold[22] = [0.9, 0.1]

    without = mislabelled.likely_mislabelled(out_of_fold, labels, photos, names)
    assert {item.photo.content_hash for item in without} == {"h10", "h11", "h12", "h22"}
    found = mislabelled.likely_mislabelled(
        out_of_fold, labels, photos, names, normalised=cosine.normalise(features)
    )
    assert [item.photo.content_hash for item in found] == ["h22"]
    assert found[0].suggested_class == "mushroom"
