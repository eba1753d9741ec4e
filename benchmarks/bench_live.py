"""The live camera's figures: answers a second and picture-to-answer latency, for N viewers.

    python -m benchmarks.bench_live --data ../shared/data/grocery-store --viewers 1 5

trains a model with the default settings (MobileNetV2 at 224 px) on a few grocery classes, then
simulates each number of viewers: one thread a viewer offers a camera-sized picture (a real `val`
photo at 320 x 240) at the camera's rate to its own `serving.live_frames.LiveViewer`, and the
process's one `serving.live_frames.LiveClassifier` answers them, exactly as on the server. It
prints, for each viewer count, the answers a second of each viewer and the latency from a picture's
arrival to its answer (median and 95th percentile, over every answer after a warm-up), with the
machine and its load average. It leaves out the WebRTC part (decoding the browser's video and
sending it back); `benchmarks.bench_live_browser` measures the whole path through Chromium. The
figures are recorded too (`benchmarks.results`).
"""

import argparse
import os
import pathlib
import platform
import statistics
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks import bench, results  # noqa: E402
from tlcore import errors  # noqa: E402
from tlcore.data import loading  # noqa: E402
from tlcore.nets import prediction  # noqa: E402
from tlcore.serving import live_frames  # noqa: E402
from tlcore.training import trainer, types  # noqa: E402

WARM_UP_SECONDS = 2.0


def camera_pictures(folder: pathlib.Path, count: int) -> list[np.ndarray]:
    """Returns the first photos of a folder as 320 x 240 RGB pictures, as a camera sends."""
    pictures = []
    for path in sorted(folder.glob("*.jpg"))[:count]:
        with Image.open(path) as image:
            pictures.append(np.asarray(image.convert("RGB").resize((320, 240))))
    return pictures


def stream(viewer: live_frames.LiveViewer, pictures, rate: float, stop: threading.Event) -> None:
    """Offers pictures to a viewer at a camera's rate until told to stop."""
    index = 0
    while not stop.is_set():
        viewer.offer(pictures[index % len(pictures)])
        index += 1
        stop.wait(1.0 / rate)


def measure(trained, pictures_by_viewer, seconds: float, rate: float) -> list[dict]:
    """Runs one viewer count for `seconds` and returns each viewer's figures."""
    classifier = live_frames.LiveClassifier()
    viewers = [
        classifier.watch(live_frames.LiveViewer(trained)) for _ in range(len(pictures_by_viewer))
    ]
    stop = threading.Event()
    threads = [
        threading.Thread(target=stream, args=(viewer, pictures, rate, stop))
        for viewer, pictures in zip(viewers, pictures_by_viewer, strict=True)
    ]
    for thread in threads:
        thread.start()
    time.sleep(WARM_UP_SECONDS)
    started = time.monotonic()
    time.sleep(seconds)
    ended = time.monotonic()
    stop.set()
    for thread in threads:
        thread.join()
    classifier.stop()
    per_viewer = []
    for viewer in viewers:
        answers = [a for a in viewer.recent_answers() if started <= a.answered_at <= ended]
        latencies = [answer.latency for answer in answers]
        per_viewer.append(
            {
                "answers_per_second": len(answers) / (ended - started),
                "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
                "p95_ms": live_frames.percentile(latencies, 0.95) * 1000,
                "dropped": viewer.frames_dropped,
                "received": viewer.frames_received,
            }
        )
    return per_viewer


def main(argv=None) -> int:
    """Parses the arguments, then measures and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a folder with train/ and val/")
    parser.add_argument("--classes", type=int, default=5, help="classes to train on")
    parser.add_argument("--photos-per-class", type=int, default=10)
    parser.add_argument("--image-size", type=int, default=types.TrainingSettings.image_size)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured per viewer count")
    parser.add_argument("--rate", type=float, default=15.0, help="camera pictures a second")
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    load_before = results.load_average()
    try:
        figures = run(arguments)
    except errors.TlcoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results.record(
        "bench_live",
        figures,
        argv=argv,
        load_before=load_before,
        notes=f"pictures offered at {arguments.rate:g} a second to each viewer",
    )
    return 0


def run(arguments) -> list[tuple]:
    """Trains the model, then measures each viewer count; returns the figures to record."""
    data = pathlib.Path(arguments.data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    train_set = bench.subset(
        loading.load_folder(data / "train"), arguments.classes, arguments.photos_per_class
    )
    settings = types.TrainingSettings(image_size=arguments.image_size, seed=1)
    trained = trainer.train(train_set, settings)
    print(
        f"model: {trained.backbone_id}, input {trained.input_size} px, classes "
        f"{', '.join(trained.class_names)}"
    )
    # Photos it was not trained on: the class's `val` photos, else its later `train` photos.
    pictures_by_class = [
        camera_pictures(data / "val" / name, 5)
        or camera_pictures(data / "train" / name, arguments.photos_per_class + 5)[-5:]
        for name in trained.class_names
    ]
    # The first answer of a model builds Keras' prediction function, once per process.
    prediction.classify_frames(trained, pictures_by_class[0][:1])
    recorded = []
    for count in arguments.viewers:
        pictures_by_viewer = [
            pictures_by_class[index % len(pictures_by_class)] for index in range(count)
        ]
        load_before = os.getloadavg()[0]
        results_of_count = measure(trained, pictures_by_viewer, arguments.seconds, arguments.rate)
        load_after = os.getloadavg()[0]
        for index, figures in enumerate(results_of_count, start=1):
            print(
                f"{count} viewer(s), viewer {index}: {figures['answers_per_second']:.1f} "
                f"answers/s, latency median {figures['median_ms']:.0f} ms, p95 "
                f"{figures['p95_ms']:.0f} ms, {figures['dropped']} of {figures['received']} "
                "pictures dropped"
            )
        rates = [figures["answers_per_second"] for figures in results_of_count]
        print(
            f"{count} viewer(s): {statistics.mean(rates):.1f} answers/s each (lowest "
            f"{min(rates):.1f}), {sum(rates):.1f} in all; load average {load_before:.1f} before, "
            f"{load_after:.1f} after"
        )
        medians = [figures["median_ms"] for figures in results_of_count]
        recorded += [
            (
                f"{count} viewer(s): answers a second, each (mean)",
                statistics.mean(rates),
                "answers/s",
            ),
            (f"{count} viewer(s): answers a second, the lowest viewer", min(rates), "answers/s"),
            (f"{count} viewer(s): answers a second in all", sum(rates), "answers/s"),
            (f"{count} viewer(s): picture to answer, median (highest viewer)", max(medians), "ms"),
            (
                f"{count} viewer(s): picture to answer, 95th percentile (highest viewer)",
                max(figures["p95_ms"] for figures in results_of_count),
                "ms",
            ),
            (
                f"{count} viewer(s): pictures dropped",
                sum(figures["dropped"] for figures in results_of_count),
                f"of {sum(figures['received'] for figures in results_of_count)}",
            ),
        ]
    return recorded


if __name__ == "__main__":
    sys.exit(main())
