"""The views of photos a training embeds besides the photos themselves, found by photo row.

A head learns from each training photo and from its augmented views; with test-time
augmentation, the photos that check a head are scored averaged with their test-time views.
`view_plan` lists the views the base must see, and `ViewFeatures` cuts their embedded
features back into one row a photo, so a head's data and probabilities are found by row.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tlcore.data import augmentation, datasets
from tlcore.features import embeddings
from tlcore.training import types


def test_time_view_count(settings: types.TrainingSettings) -> int:
    """Returns how many test-time views of each photo predictions average with it: none when
    test-time augmentation is off or its changes change nothing."""
    if not settings.test_time_augmentation:
        return 0
    return augmentation.test_time_view_count(settings.augmentation)


def view_plan(
    dataset: datasets.Dataset,
    learning_rows: np.ndarray,
    checked_rows: np.ndarray,
    settings: types.TrainingSettings,
) -> tuple[list[datasets.Photo], list[embeddings.Variant]]:
    """Lists the views the base must see after the photos themselves: the augmented views of
    the photos a head learns from, then the test-time views of the photos a head is checked
    on, when test-time augmentation is on. A photo's views come one after another, so it is
    decoded once for them all.
    """
    photos: list[datasets.Photo] = []
    variants: list[embeddings.Variant] = []
    for row in learning_rows:
        for view in range(settings.augmentation_views):
            photos.append(dataset.photos[row])
            variants.append(embeddings.augmented_view(settings.augmentation, view))
    for row in checked_rows:
        for view in range(test_time_view_count(settings)):
            photos.append(dataset.photos[row])
            variants.append(embeddings.test_time_view(settings.augmentation, view))
    return photos, variants


@dataclasses.dataclass
class ViewFeatures:
    """The features of the photos' views, found by photo row.

    Args:
        learning_rows: The sorted rows whose augmented views were embedded.
        checked_rows: The sorted rows whose test-time views were embedded.
        augmented: `(len(learning_rows), augmented views, feature_count)`.
        test_time: `(len(checked_rows), test-time views, feature_count)`.
    """

    learning_rows: np.ndarray
    checked_rows: np.ndarray
    augmented: np.ndarray
    test_time: np.ndarray

    @classmethod
    def split(cls, view_features, learning_rows, checked_rows, settings) -> ViewFeatures:
        """Cuts `view_plan`'s embedded views into the two kinds, one row a photo."""
        feature_count = view_features.shape[1]
        augmented_count = len(learning_rows) * settings.augmentation_views
        return cls(
            learning_rows,
            checked_rows,
            view_features[:augmented_count].reshape(
                len(learning_rows), settings.augmentation_views, feature_count
            ),
            view_features[augmented_count:].reshape(
                len(checked_rows), test_time_view_count(settings), feature_count
            ),
        )

    def learning_data(self, features, labels, rows) -> tuple[np.ndarray, np.ndarray]:
        """Returns `(features, labels)` of the photos of `rows`, then of their augmented views."""
        views = self.augmented[np.searchsorted(self.learning_rows, rows)]
        return (
            np.concatenate([features[rows], views.reshape(-1, features.shape[1])]),
            np.concatenate([labels[rows], np.repeat(labels[rows], views.shape[1])]),
        )

    def probabilities(self, head, features, rows) -> np.ndarray:
        """Returns the head's probabilities for the photos of `rows`, each averaged with its
        test-time views when there are any."""
        # A direct call: a small head needs no compiled predict function of its own.
        probabilities = np.asarray(head(features[rows], training=False))
        views = self.test_time[np.searchsorted(self.checked_rows, rows)]
        if not views.shape[1]:
            return probabilities
        view_probabilities = np.asarray(
            head(views.reshape(-1, features.shape[1]), training=False)
        ).reshape(len(rows), views.shape[1], -1)
        return (probabilities + view_probabilities.sum(axis=1)) / (1 + views.shape[1])
