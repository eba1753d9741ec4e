"""The benchmark, run end to end on a few real photos: every figure it promises is printed."""

import json

import pytest

from benchmarks import bench


@pytest.mark.slow
def test_the_benchmark_prints_every_figure_on_a_small_data_set(
    small_photo_folder,
    small_val_folder,
    keras_home,
    tmp_path,
    capsys,
    monkeypatch,
    benchmark_results_folder,
):
    # The benchmark sets the variable for its process; here it must not outlive the test.
    monkeypatch.setenv("TLCORE_WEIGHTS_DIR", str(keras_home / "models"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "train").symlink_to(small_photo_folder)
    (data / "val").symlink_to(small_val_folder)
    figures_file = tmp_path / "figures.json"
    status = bench.main(
        [
            "--data",
            str(data),
            "--classes",
            "2",
            "--photos-per-class",
            "6",
            "--epochs",
            "3",
            "--image-size",
            "96",
            "--predictions",
            "3",
            "--skip-plain",
            "--augmentation-views",
            "1",
            "--head-count",
            "1",
            "--augmented-seeds",
            "0",
            "1",
            "--feature-photos",
            "8",
            "--train-photos",
            "400",
            "--cli-runs",
            "1",
            "--train-runs",
            "1",
            "--repeats",
            "1",
            "--json",
            str(figures_file),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    figures = json.loads(figures_file.read_text())
    for key in (
        "tlcore_end_to_end_seconds",
        "tlcore_cached_seconds",
        "prediction_median_ms",
        "prediction_with_tta_median_ms",
        "full_train_seconds",
        "embedding_photos_per_second",
        "augmented_train_seconds",
        "peak_memory_mib",
    ):
        assert figures[key] > 0, key
    assert figures["augmented_seeds"] == [0, 1]
    # Keras against ONNX Runtime, side by side, with the machine's load.
    for runtime in ("keras", "onnx"):
        # Each figure is the list of its repetitions (one each here).
        for key in (
            "features_per_second",
            "features_per_cpu_second",
            "base_alone_per_second",
            "hundred_seconds",
            "predict_ms",
            "train_photos_per_second",
        ):
            values = figures["runtimes"][runtime][key]
            assert len(values) == 1 and values[0] > 0, (runtime, key)
        assert figures["runtimes"][runtime]["train_peak_mib"][0] > 100
    assert figures["runtimes"]["features_max_difference"] <= 1e-4
    assert "ONNX Runtime" in printed and "load average" in printed
    assert "the base alone, photos decoded before" in printed
    # Five unlike classes, ten photos each: far above the chance of one in five.
    assert figures["full_val_accuracy"] > 0.6
    assert 0.4 < figures["augmented_val_accuracy"] <= 1
    assert "seed 0:" in printed and "seed 1:" in printed
    assert "target >= 74%" in printed
    # The run is recorded with its machine and command (in the tests' temporary folder).
    (run, *_) = json.loads((benchmark_results_folder / "bench.json").read_text())["runs"]
    assert run["command"].startswith("python -m benchmarks.bench --data ")
    assert run["machine"]["cpus"] and run["source"] == "measured"
    names = {item["name"] for item in run["figures"]}
    assert "ONNX Runtime: JPEG files to features" in names
    assert "peak memory of the process" in names
