"""Training a new head on the frozen base's cached features, and optionally fine-tuning.

`train` runs the whole recipe: wait for this process's training turn, load the shared base,
embed each photo once (cached on disk), split off validation photos class by class keeping
near-copies together (`features.splitting.grouped_split`), embed the training photos' augmented
views, fit the head with Keras on the features, join base and head into one model, optionally
fine-tune the top of the base on pixels (`finetuning`), score it, and set the confidence
below which its answers read "not sure". Progress goes to a callback the caller supplies, so
the same function drives a Streamlit progress bar, a terminal bar, or nothing.

Each step is a function here; what a step needs from elsewhere lives in its own module: the
views of photos in `training.views`, the progress reports in `training.reporting`, and the
"not sure" threshold, the one-sitting classes and the test photos' headline in
`training.scores`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os

import keras
import numpy as np

from tlcore.data import datasets
from tlcore.evaluation import headline, metrics
from tlcore.features import embeddings, splitting
from tlcore.nets import device, model, onnx_base
from tlcore.training import finetuning, head_pairs, heads, reporting, types
from tlcore.training import scores as training_scores
from tlcore.training import views as training_views


@dataclasses.dataclass
class _Split:
    """Which photos a training learns from and which check it, by row of the dataset.

    Args:
        groups: Each photo's group of near-copies (`features.splitting.near_copy_groups`).
        training_rows: The photos the head learns from.
        validation_rows: The photos held out to check it.
        least_alike: The photos least like the rest, which check a second head for the
            headline (`evaluation.headline.least_alike_rows`).
        learning_rows: The photos either head learns from (their augmented views are needed).
        checked_rows: The photos either head is checked on (their test-time views are needed).
    """

    groups: np.ndarray
    training_rows: np.ndarray
    validation_rows: np.ndarray
    least_alike: np.ndarray
    learning_rows: np.ndarray
    checked_rows: np.ndarray


def _split(features, labels, validation_counts, settings, class_names) -> _Split:
    """Holds out validation photos, keeping near-copies of a photo on its side of the split,
    so the photos that check the model are unlike those it learns from (see `splitting`)."""
    groups = splitting.near_copy_groups(features, labels)
    training_rows, validation_rows = splitting.grouped_split(
        labels, groups, settings.validation_split, settings.seed, class_names
    )
    least_alike = headline.least_alike_rows(features, labels, groups, validation_counts)
    return _Split(
        groups=groups,
        training_rows=training_rows,
        validation_rows=validation_rows,
        least_alike=least_alike,
        learning_rows=np.union1d(training_rows, np.setdiff1d(np.arange(len(labels)), least_alike)),
        checked_rows=np.union1d(validation_rows, least_alike),
    )


def _embed_views(
    dataset, split: _Split, shared_base, cache, settings, reporter
) -> training_views.ViewFeatures:
    """Embeds the augmented and test-time views the split needs (`training.views.view_plan`)."""
    view_photos, view_variants = training_views.view_plan(
        dataset, split.learning_rows, split.checked_rows, settings
    )
    reporter.embedding_total = len(dataset.photos) + len(view_photos)
    view_features = embeddings.embed_photos(
        view_photos,
        shared_base,
        cache,
        on_progress=reporter.views_embedded,
        variants=view_variants,
    )
    return training_views.ViewFeatures.split(
        view_features, split.learning_rows, split.checked_rows, settings
    )


@dataclasses.dataclass
class _Fitted:
    """What fitting gave: the head, its history and probabilities, then the whole model.

    Args:
        head: The trained head (one, or several averaged).
        history: Per-epoch figures, fine-tuning's epochs appended after the head's.
        validation_probabilities: The model's probabilities for the validation photos.
        least_alike_probabilities: The second head's for the photos least like the rest.
        classifier: Base and head joined (or fine-tuned), raw pixels in.
        fine_tuning: What fine-tuning did, or None when it did not run.
    """

    head: keras.Model
    history: dict[str, list[float]]
    validation_probabilities: np.ndarray
    least_alike_probabilities: np.ndarray
    classifier: keras.Model | None = None
    fine_tuning: dict | None = None


def _least_alike_probabilities(
    features,
    labels,
    class_count,
    least_alike,
    views,
    settings,
    report: types.ProgressCallback,
) -> np.ndarray:
    """Trains a second head the same way, without the photos least like the rest, and returns
    its probabilities for them (each averaged with its test-time views when there are any).

    Its epochs go to `report` (the "measuring" phase), so the live chart of the model's own
    learning is left alone.
    """
    if not len(least_alike):
        # Every class is one group of near-copies: there is nothing unlike the rest to check.
        return np.zeros((0, class_count), dtype=np.float32)
    learning = np.setdiff1d(np.arange(len(labels)), least_alike)
    second_head, _ = heads.train_heads(
        features.shape[1],
        class_count,
        views.learning_data(features, labels, learning),
        (features[least_alike], labels[least_alike]),
        settings,
        report,
    )
    return views.probabilities(second_head, features, least_alike)


def _fit_heads(
    features, labels, class_count, split: _Split, views, shared_base, settings, reporter
) -> _Fitted:
    """Fits the head on the training photos (and their views) and, beside it, the headline's
    second head without the photos least like the rest (`training.head_pairs`)."""
    (head, history), least_alike_probabilities = head_pairs.HeadPair(
        reporter, reporter.measuring
    ).run(
        functools.partial(
            heads.train_heads,
            shared_base.backbone.feature_count,
            class_count,
            views.learning_data(features, labels, split.training_rows),
            (features[split.validation_rows], labels[split.validation_rows]),
            settings,
        ),
        functools.partial(
            _least_alike_probabilities,
            features,
            labels,
            class_count,
            split.least_alike,
            views,
            settings,
        ),
    )
    return _Fitted(
        head=head,
        history=history,
        validation_probabilities=views.probabilities(head, features, split.validation_rows),
        least_alike_probabilities=least_alike_probabilities,
    )


def _fine_tune_or_join(shared_base, fitted: _Fitted, dataset, split, settings, reporter) -> None:
    """Fine-tunes the top of the base with the head when asked, else joins base and head;
    sets `fitted.classifier` (and the fine-tuning's history and probabilities when kept)."""
    if not settings.fine_tune:
        with shared_base.lock:
            fitted.classifier = model.build_classifier(
                shared_base.base, fitted.head, shared_base.backbone, settings.image_size
            )
        return
    result = finetuning.fine_tune(
        shared_base,
        fitted.head,
        dataset,
        split.training_rows,
        split.validation_rows,
        settings,
        on_progress=reporter,
        first_epoch=len(fitted.history.get("loss", [])),
        # The averaged heads' loss is not the average of their losses: it is measured.
        baseline_val_loss=fitted.history["val_loss"][-1] if settings.head_count == 1 else None,
    )
    fitted.classifier = result.classifier
    for key, values in result.history.items():
        fitted.history.setdefault(key, []).extend(values)
    if result.summary.kept:
        fitted.validation_probabilities = result.validation_probabilities
    fitted.fine_tuning = result.summary.to_dict()


def _score(
    dataset, labels, split: _Split, fitted: _Fitted, settings, backbone_id, onnx_form
) -> types.TrainedModel:
    """Scores the model on the validation photos, measures the headline on the photos least
    like the rest, and sets the "not sure" threshold."""
    validation_labels = labels[split.validation_rows]
    validation_photos = [dataset.photos[row] for row in split.validation_rows]
    validation_probabilities = fitted.validation_probabilities
    measured_headline = headline.least_alike_headline(
        fitted.least_alike_probabilities.argmax(axis=1) == labels[split.least_alike],
        split.groups[split.least_alike],
        validation_probabilities.argmax(axis=1) == validation_labels,
        fine_tuned=bool(fitted.fine_tuning and fitted.fine_tuning.get("kept")),
    )
    scores = metrics.evaluate(
        validation_probabilities,
        validation_labels,
        dataset.class_names,
        file_names=[photo.file_name for photo in validation_photos],
        content_hashes=[photo.content_hash for photo in validation_photos],
    )
    return types.TrainedModel(
        model=fitted.classifier,
        class_names=list(dataset.class_names),
        settings=settings,
        history=fitted.history,
        evaluation=scores,
        backbone_id=backbone_id,
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        photo_count=len(dataset.photos),
        unknown_threshold=training_scores.unknown_threshold(
            validation_probabilities, validation_labels
        ),
        fine_tuning=fitted.fine_tuning,
        headline=measured_headline,
        onnx=onnx_form,
        one_sitting=training_scores.one_sitting_classes(
            labels, split.groups, list(dataset.class_names)
        ),
    )


def train(
    dataset: datasets.Dataset,
    settings: types.TrainingSettings | None = None,
    on_progress: types.ProgressCallback | None = None,
    cache_dir: str | os.PathLike | None = None,
    weights_dir: str | os.PathLike | None = None,
    test_dataset: datasets.Dataset | None = None,
) -> types.TrainedModel:
    """Trains a classifier for the dataset's classes on the frozen pretrained base.

    The head learns from each training photo's features and, with `augmentation_views`, from
    as many augmented views of it; with `fine_tune`, the top of the base then learns too, on
    the photos' pixels (`training.finetuning.fine_tune`). The validation photos are never augmented;
    with `test_time_augmentation`, they are scored the way predictions are made, averaging
    each photo with its test-time views.

    Args:
        dataset: The labelled photos.
        settings: How to train; the defaults when None.
        on_progress: Called with a `training.types.Progress` at each step of the way.
        cache_dir: Where photo features are cached; when None,
            `features.embeddings.default_cache_dir()`.
        weights_dir: An explicit folder holding the pretrained weights.
        test_dataset: Labelled test photos that training never sees (Create ML's "testing
            data"): when given, the headline is measured on them
            (`evaluation.headline.test_headline`). Test photos that are also training photos are
            left out of it.

    Returns:
        The trained model with its history, validation figures and "not sure" threshold.

    Raises:
        SettingsError: If a setting is out of range.
        DatasetError: If there are fewer than two classes or too few photos in one.
        WeightsNotFoundError: If the pretrained weights cannot be found.
        UnreadableImageError: If a photo can no longer be read.
    """
    settings = (settings or types.TrainingSettings()).validate()
    datasets.check_trainable(dataset)
    test_photos, test_left_out = training_scores.usable_test_photos(dataset, test_dataset)
    labels = np.asarray(dataset.labels, dtype=np.int64)
    # The counts are checked before waiting for a turn, so a class too small to split is
    # reported at once; which photos are held out is decided once their features are known.
    validation_counts = splitting.validation_counts(
        labels, settings.validation_split, dataset.class_names
    )
    reporter = reporting.Reporter(on_progress, settings, len(dataset.photos))
    with device.training_queue.turn(on_wait=reporter.waiting):
        reporter(types.Progress(phase="loading"))
        shared_base = model.get_base(settings.backbone, settings.image_size, weights_dir)
        cache = embeddings.EmbeddingCache(cache_dir)
        # First the photos themselves, one bar for them and their views.
        features = embeddings.embed_photos(
            dataset.photos, shared_base, cache, on_progress=reporter.photos_embedded
        )
        split = _split(features, labels, validation_counts, settings, dataset.class_names)
        views = _embed_views(dataset, split, shared_base, cache, settings, reporter)
        fitted = _fit_heads(
            features,
            labels,
            len(dataset.class_names),
            split,
            views,
            shared_base,
            settings,
            reporter,
        )
        _fine_tune_or_join(shared_base, fitted, dataset, split, settings, reporter)
        # The project file carries the classifier in ONNX form too, checked on validation photos.
        checked_rows = split.validation_rows[: onnx_base.CHECK_PHOTOS]
        onnx_form = onnx_base.project_classifier(
            fitted.classifier,
            shared_base,
            [dataset.photos[row] for row in checked_rows],
            head=None if settings.fine_tune else fitted.head,
            head_features=features[checked_rows],
        )
    trained = _score(dataset, labels, split, fitted, settings, shared_base.backbone_id, onnx_form)
    if test_photos:
        trained.headline = training_scores.test_photos_headline(
            trained, test_photos, test_left_out, shared_base, cache
        )
    reporter(types.Progress(phase="finished", done=1, total=1))
    return trained
