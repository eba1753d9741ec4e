"""A project's data check, run by a worker and saved in the project for every web server.

The Check data page queues a data check as a job (`jobs.queue.KIND_DATA_CHECK`); a worker runs
`run_check` (the same quality, health and test-photo checks the page once ran itself) and
`save`s the result into the project's folder (`REPORT_FILE`, written atomically). Any page of
any web server `load`s it, after a reload too. A check made before the project's photos last
changed is out of date (`is_out_of_date`); the page's own one-click fixes are written into the
saved check (`without_photo`), so they do not make it so.

The file is a NumPy archive read without pickle: the out-of-fold predictions as arrays, and
everything else as one JSON document. The photos' features are left out (megabytes at 20,000
photos); the data map made from them is saved instead.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tlcore import errors, files, time_left
from tlcore.checks import (
    datamap,
    health,
    look_cache,
    mislabelled,
    near_duplicates,
    outliers,
    photo_references,
    quality,
)
from tlcore.data import datasets
from tlcore.evaluation import testing_photos
from tlcore.nets import backbones

REPORT_FILE = "data_check.npz"
FORMAT_VERSION = 1

# What a check reports, as (phase, done, total, words for people).
ProgressCallback = Callable[[str, int, int, str], None]


@dataclasses.dataclass
class DataCheck:
    """A finished data check of a project, as saved.

    Args:
        report: The quality report (its `features` are empty once saved).
        data_map: The map of the photos.
        health: The data health findings.
        test_near_copies: Test photos nearly the same as a training photo.
        photos_changed_at: The project's `changed_at` when it was checked (or fixed here).
        changed: How many photos were moved or removed from the check's lists since.
    """

    report: quality.QualityReport
    data_map: datamap.DataMap
    health: list[health.Finding]
    test_near_copies: list[testing_photos.NearCopy]
    photos_changed_at: str
    changed: int = 0


def report_path(project) -> Path:
    """Where a project keeps its last data check."""
    return Path(project.folder) / REPORT_FILE


def check_network(project) -> tuple[str, int]:
    """The network and image size a check uses: the last training's, whose features are cached."""
    record = project.training_record()
    settings = record.settings if record is not None else {}
    backbone_name = str(settings.get("backbone") or backbones.DEFAULT_BACKBONE)
    image_size = int(
        settings.get("image_size") or backbones.get_backbone(backbone_name).default_image_size
    )
    return backbone_name, image_size


class _PhaseReporter:
    """A (done, total) callback for one phase that adds the words and the time left.

    Args:
        on_progress: Where the reports go.
        phase: The phase's name.
        words: What is done, with `{done}`, `{total}` and `{photos}` (the project's photos).
        photo_count: The project's photos.
    """

    def __init__(self, on_progress: ProgressCallback, phase: str, words: str, photo_count: int):
        self.on_progress = on_progress
        self.phase = phase
        self.words = words
        self.photo_count = photo_count
        self.estimator = time_left.TimeLeftEstimator()

    def __call__(self, done: int, total: int) -> None:
        words = self.words.format(
            done=f"{done:,}", total=f"{total:,}", photos=f"{self.photo_count:,}"
        )
        text = time_left.with_time_left(words, self.estimator.update(done, total))
        self.on_progress(self.phase, done, total, text)


def run_check(project, cache_dir, on_progress: ProgressCallback) -> DataCheck:
    """Checks a project's photos: quality, health, and the test photos' near-copies.

    Args:
        project: The `store.Project`.
        cache_dir: The workspace's photo features cache.
        on_progress: Called with each report; may raise to stop the check.

    Returns:
        The check, not yet saved.

    Raises:
        DatasetError: Fewer than two classes have photos.
        UnreadableImageError: A photo can no longer be read.
    """
    from tlcore.features import embeddings
    from tlcore.nets import model

    backbone_name, image_size = check_network(project)
    photo_count = project.photo_count()
    on_progress("loading", 0, 1, "Loading the pretrained network…")
    shared_base = model.get_base(backbone_name, image_size)
    cache = embeddings.EmbeddingCache(cache_dir)
    dataset = project.to_dataset()
    report = quality.check_dataset(
        dataset,
        shared_base,
        cache,
        on_progress=_PhaseReporter(
            on_progress, "embedding", "Looking at your photos: {done} of {total}", photo_count
        ),
        # A second pass over the bar: for 20,000 photos the comparisons take tens of seconds.
        on_comparing=_PhaseReporter(
            on_progress, "comparing", "Comparing your {photos} photos with each other", photo_count
        ),
    )
    looks = health.look_at_photos(
        dataset.photos,
        on_progress=_PhaseReporter(
            on_progress,
            "measuring",
            "Measuring sharpness and light: {done} of {total} photos",
            photo_count,
        ),
        cache=look_cache.LookCache.beside(cache_dir),
    )
    test_set = project.to_dataset(test=True)
    near_copies = []
    if test_set.photos:
        test_features = embeddings.embed_photos(
            test_set.photos,
            shared_base,
            cache,
            on_progress=_PhaseReporter(
                on_progress,
                "test photos",
                "Looking at your test photos: {done} of {total}",
                photo_count,
            ),
        )
        near_copies = testing_photos.near_copies_of_training(
            test_set.photos, test_features, report.photos, report.features
        )
    return DataCheck(
        report=report,
        data_map=datamap.build_data_map(report),
        health=health.check_health(report, looks, image_size),
        test_near_copies=near_copies,
        photos_changed_at=project.changed_at,
    )


def _reference(photo) -> list[str]:
    return [photo.file_name, photo.class_name, photo.content_hash]


def _document(check: DataCheck) -> dict:
    """Everything of a check but its arrays, as JSON-able values."""
    report = check.report
    return {
        "version": FORMAT_VERSION,
        "photos_changed_at": check.photos_changed_at,
        "changed": check.changed,
        "class_names": report.class_names,
        "photos": [_reference(photo) for photo in report.photos],
        "mislabelled": [
            [_reference(item.photo), item.suggested_class, item.confidence]
            + [item.label_probability, item.offer_move]
            for item in report.mislabelled
        ],
        "near_duplicates": [
            [_reference(pair.first), _reference(pair.second), pair.similarity]
            for pair in report.near_duplicates
        ],
        "outliers": [
            [_reference(item.photo), item.similarity, item.typical_similarity, item.deviations]
            for item in report.outliers
        ],
        "settings": dataclasses.asdict(report.settings),
        "calibration_method": report.calibration_method,
        "temperature": report.temperature,
        "map": {
            "class_names": check.data_map.class_names,
            "variance_shares": list(check.data_map.variance_shares),
            "points": [
                [point.x, point.y, point.predicted_class, point.confidence]
                for point in check.data_map.points
            ],
        },
        "health": [
            {**dataclasses.asdict(finding), "photos": [_reference(p) for p in finding.photos]}
            for finding in check.health
        ],
        "test_near_copies": [
            [_reference(near.test_photo), _reference(near.training_photo), near.similarity]
            for near in check.test_near_copies
        ],
    }


def save(project, check: DataCheck) -> Path:
    """Writes a check into the project's folder, atomically.

    Raises:
        DiskFullError: The disk has no room; the previous check is left as it was.
    """
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        document=np.array(json.dumps(_document(check))),
        labels=np.asarray(check.report.labels, dtype=np.int32),
        out_of_fold=np.asarray(check.report.out_of_fold, dtype=np.float32),
    )
    return files.write_atomically(report_path(project), buffer.getvalue(), "the data check")


def file_stamp(project) -> int | None:
    """The saved check's modification time in nanoseconds, or None when there is none."""
    try:
        return report_path(project).stat().st_mtime_ns
    except OSError:
        return None


def load(project) -> DataCheck | None:
    """Reads a project's last data check; None when there is none or it cannot be read."""
    try:
        with np.load(report_path(project), allow_pickle=False) as archive:
            document = json.loads(str(archive["document"]))
            labels, out_of_fold = archive["labels"], archive["out_of_fold"]
    except (OSError, ValueError, KeyError):
        return None
    if document.get("version") != FORMAT_VERSION:
        return None
    return _from_document(project, document, labels, out_of_fold)


def _from_document(project, document: dict, labels, out_of_fold) -> DataCheck:
    """Builds a check back from its saved document and arrays."""
    photos = [photo_references.PhotoReference(*row) for row in document["photos"]]
    report = quality.QualityReport(
        class_names=document["class_names"],
        photos=photos,
        labels=labels,
        features=np.zeros((len(photos), 0), dtype=np.float32),
        out_of_fold=out_of_fold,
        mislabelled=[
            mislabelled.MislabelledPhoto(photo_references.PhotoReference(*row[0]), *row[1:])
            for row in document["mislabelled"]
        ],
        near_duplicates=[
            near_duplicates.NearDuplicate(
                photo_references.PhotoReference(*row[0]),
                photo_references.PhotoReference(*row[1]),
                row[2],
            )
            for row in document["near_duplicates"]
        ],
        outliers=[
            outliers.Outlier(photo_references.PhotoReference(*row[0]), *row[1:])
            for row in document["outliers"]
        ],
        settings=quality.QualitySettings(**document["settings"]),
        calibration_method=document["calibration_method"],
        temperature=document["temperature"],
    )
    saved_map = document["map"]
    data_map = datamap.DataMap(
        points=[
            datamap.MapPoint(x, y, photo, predicted, confidence)
            for (x, y, predicted, confidence), photo in zip(
                saved_map["points"], photos, strict=True
            )
        ],
        class_names=saved_map["class_names"],
        variance_shares=tuple(saved_map["variance_shares"]),
    )
    findings = [
        health.Finding(
            **{
                **finding,
                "photos": tuple(photo_references.PhotoReference(*row) for row in finding["photos"]),
            }
        )
        for finding in document["health"]
    ]
    # A test photo comes back with its file, for its thumbnail; one removed since keeps none.
    test_files = {photo.content_hash: photo for photo in project.to_dataset(test=True).photos}
    near_copies = [
        testing_photos.NearCopy(
            test_files.get(row[0][2]) or datasets.Photo(*row[0]),
            photo_references.PhotoReference(*row[1]),
            row[2],
        )
        for row in document["test_near_copies"]
    ]
    return DataCheck(
        report, data_map, findings, near_copies, document["photos_changed_at"], document["changed"]
    )


def is_out_of_date(project, check: DataCheck) -> bool:
    """Whether the project's photos changed since the check (other than by its own fixes)."""
    return project.changed_at > check.photos_changed_at


def without_photo(project, check: DataCheck, content_hash: str) -> DataCheck:
    """Leaves a photo that was just moved or removed out of the check, and saves it.

    The project's change is the check's own fix, so the check stays up to date. A full disk
    only keeps the fix out of the saved file.

    Returns:
        The check without the photo.
    """
    fixed = dataclasses.replace(
        check,
        report=check.report.without_photo(content_hash),
        health=health.without_photo(check.health, content_hash),
        photos_changed_at=project.refresh().changed_at,
        changed=check.changed + 1,
    )
    try:
        save(project, fixed)
    except errors.DiskFullError:
        pass
    return fixed
