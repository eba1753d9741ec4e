"""Scale: the estimated time left, the made-up large folder, uploads read photo by photo, and
the scale benchmark run end to end on a small scale, as jobs on a worker process."""

import os
import zipfile

import pytest

from benchmarks import bench_scale, scale_photos
from tlcore import store, time_left
from tlcore.data import images, loading
from tlcore.jobs import queue, records
from tlcore.training import types


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_time_left_follows_the_pace_since_the_first_report():
    clock = FakeClock()
    estimator = time_left.TimeLeftEstimator(clock)
    # 400 photos came from the cache at once: they say nothing of the pace.
    assert estimator.update(400, 1400) is None
    clock.now += 1.0
    assert estimator.update(410, 1400) is None  # Too early to say.
    clock.now += 9.0
    # 100 photos in 10 s since the first report leaves 900 photos: 90 s.
    assert estimator.update(500, 1400) == pytest.approx(90.0)
    clock.now += 10.0
    assert estimator.update(600, 1400) == pytest.approx(80.0)
    assert estimator.update(1400, 1400) == 0.0


def test_units_found_in_a_cache_midway_do_not_speed_up_the_pace():
    clock = FakeClock()
    estimator = time_left.TimeLeftEstimator(clock)
    estimator.update(0, 1000)
    clock.now += 10.0
    # 100 photos in 10 s, then their 500 views turn up in the cache at once.
    assert estimator.update(100, 1000) == pytest.approx(90.0)
    estimator.skip(500)
    assert estimator.update(600, 1000) == pytest.approx(40.0)
    clock.now += 10.0
    assert estimator.update(700, 1000) == pytest.approx(30.0)


def test_the_time_left_reads_as_words():
    assert time_left.describe(None) == ""
    assert time_left.describe(4) == "a few seconds left"
    assert time_left.describe(45) == "less than a minute left"
    assert time_left.describe(61) == "about 2 minutes left"
    assert time_left.describe(60) == "about 1 minute left"
    assert time_left.describe(3 * 3600) == "about 3 hours left"
    assert time_left.with_time_left("Working", 45) == "Working · less than a minute left"
    assert time_left.with_time_left("Working", None) == "Working"


def test_the_embedding_progress_names_the_time_left():
    progress = types.Progress(phase="embedding", done=1200, total=20000, seconds_left=250)
    assert progress.message == "Looking at your photos: 1,200 of 20,000 · about 5 minutes left"
    early = types.Progress(phase="embedding", done=3, total=20)
    assert early.message == "Looking at your photos: 3 of 20"


def test_a_scale_folder_has_distinct_classes_and_photos(small_photo_folder, tmp_path):
    # 5 source classes make 7 classes: the last two are colour-swapped copies of the first two.
    target = scale_photos.make_scale_folder(
        small_photo_folder, tmp_path / "scale", class_count=7, photos_per_class=12, workers=1
    )
    dataset = loading.load_folder(target)
    assert len(dataset.class_names) == 7
    assert set(dataset.counts().values()) == {12}
    assert not dataset.duplicates and not dataset.skipped
    assert sum(name.endswith("-BRG") for name in dataset.class_names) == 2
    # More photos than the source class holds: each is still a photo of its own.
    hashes = {images.content_hash(photo.read_bytes()) for photo in dataset.photos}
    assert len(hashes) == 7 * 12

    # A second run finds every photo made and changes nothing.
    times = {photo.path: photo.path.stat().st_mtime_ns for photo in dataset.photos}
    scale_photos.make_scale_folder(
        small_photo_folder, tmp_path / "scale", class_count=7, photos_per_class=12, workers=1
    )
    assert {path: path.stat().st_mtime_ns for path in times} == times


def test_a_scale_folder_cannot_have_more_classes_than_its_colour_changes_make(
    small_photo_folder, tmp_path
):
    with pytest.raises(ValueError, match="at most 30 classes"):
        scale_photos.make_scale_folder(small_photo_folder, tmp_path, class_count=31)


def test_a_folder_added_to_a_project_keeps_the_upload_limit_in_class_order(
    small_photo_folder, tmp_path
):
    dataset = loading.load_folder(small_photo_folder)
    first_class = dataset.photos_of(dataset.class_names[0])
    # Room for the first class's photos and a part of the second's.
    room = sum(photo.path.stat().st_size for photo in first_class) + 1
    limits = store.Limits(max_upload_bytes=room + 40_000)
    project = store.Workspace(tmp_path / "space", limits).create_project("Big", "owner-1")
    result = project.add_dataset(dataset)
    counts = project.photo_counts()
    assert counts[dataset.class_names[0]] == len(first_class)
    assert 0 < counts[dataset.class_names[1]] < len(dataset.photos_of(dataset.class_names[1]))
    assert all(counts[name] == 0 for name in dataset.class_names[2:])
    assert len(result.added) + len(result.left_out) == len(dataset.photos)
    assert "add these photos in another upload" in result.left_out[0].reason
    # Every class came in, even those whose photos did not fit.
    assert project.class_names == dataset.class_names


def test_zips_are_packed_by_whole_classes_under_the_upload_size(small_photo_folder, tmp_path):
    class_bytes = [
        sum(path.stat().st_size for path in folder.iterdir())
        for folder in sorted(small_photo_folder.iterdir())
    ]
    zips = bench_scale.pack_zips(small_photo_folder, tmp_path, int(max(class_bytes) * 2.2))
    assert 2 <= len(zips) <= 5
    seen = []
    for zip_path in zips:
        with zipfile.ZipFile(zip_path) as archive:
            classes = {name.split("/")[0] for name in archive.namelist()}
        assert not classes & set(seen)
        seen += classes
    assert sorted(seen) == sorted(folder.name for folder in small_photo_folder.iterdir())


@pytest.mark.slow
def test_the_scale_benchmark_runs_end_to_end_on_a_small_scale_through_jobs(
    small_photo_folder, keras_home, tmp_path, capsys, monkeypatch
):
    # The benchmark sets the variable for its process (and its worker's); here it must not
    # outlive the test.
    monkeypatch.setenv("TLCORE_WEIGHTS_DIR", str(keras_home / "models"))
    status = bench_scale.main(
        [
            "--data",
            str(small_photo_folder),
            "--photo-folder",
            str(tmp_path / "photos"),
            "--workspace",
            str(tmp_path / "space"),
            "--photos",
            "48",
            "--classes",
            "6",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "48 photos in 6 classes" in printed
    for step in (
        "training queued -> started",
        "embedding",
        "head trained and validated",
        "model saved",
        "trained again, features read back from disk, queued to finished",
        "data checked and its map drawn, queued to finished",
    ):
        assert f"{step}:" in printed
    assert "worker memory" in printed
    assert "worker peak memory:" in printed
    project = store.Workspace(tmp_path / "space").list_projects("bench")[0]
    assert project.has_trained_model
    # The work was done by a worker process, not by the benchmark's own.
    jobs = queue.QueueConfig.from_environment(tmp_path / "space").store()
    for kind in (queue.KIND_TRAINING, queue.KIND_DATA_CHECK):
        record = jobs.latest_for_project(project.id, kind)
        assert record.state == records.FINISHED
        assert not record.worker.endswith(f":{os.getpid()}")


def test_the_scale_benchmark_needs_two_photos_a_class(keras_home, monkeypatch):
    # The benchmark points the engine at its weights folder for its process: not beyond here.
    monkeypatch.setenv("TLCORE_WEIGHTS_DIR", str(keras_home / "models"))
    with pytest.raises(SystemExit):
        bench_scale.main(["--photos", "10", "--classes", "6"])
