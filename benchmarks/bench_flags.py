"""How trustworthy the "maybe in the wrong class" flags are, on photos mislabelled on purpose.

    python -m benchmarks.bench_flags --data ../shared/data/grocery-store

takes the grocery `train` photos, moves a share of them (10% by default) to a wrong class on
purpose, runs the out-of-fold check of `tlcore.checks.quality` and counts, for the flags as they
were (the regression alone, listed from 60%) and as they are (calibrated, listed from 60%, a move
offered from 80%):

- precision: the share of listed photos that were really moved on purpose;
- recall: the share of photos moved on purpose that were listed;
- moves right: the share of offered moves that name the photo's true class;
- stated against right: the mean "how sure" shown for the moves offered, against the share of
  them that were right (equal when the figure shown is honest).

"calibrated, look-alikes" is the check as it lists photos now: also only photos whose nearest
other photo is of another class (`checks.mislabelled.likely_mislabelled`).

Small projects (5 classes of 11 photos, drawn at random, many draws) and the whole `train`
split (2,640 photos, 81 classes, a few draws) are measured. Features come from the embedding
cache after the first run. The figures are recorded too (`benchmarks.results`).
"""

import argparse
import dataclasses
import pathlib
import time

import numpy as np

from benchmarks import bench, results
from tlcore.checks import mislabelled, quality
from tlcore.data import loading
from tlcore.features import cosine, embeddings
from tlcore.nets import backbones, model


@dataclasses.dataclass
class Tally:
    """Counts over all draws of one way of flagging."""

    listed: int = 0
    listed_right: int = 0
    moves: int = 0
    moves_right: int = 0
    moved_on_purpose: int = 0
    stated: float = 0.0

    def add(
        self, probabilities, labels, truth, listed_from: float, move_from: float, keep=None
    ) -> None:
        """Counts one draw's flags; `keep`, when given, is the mask of photos that may be
        listed at all (those whose nearest other photo is of another class)."""
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        listed = (predicted != labels) & (confidence >= listed_from)
        if keep is not None:
            listed &= keep
        moves = listed & (confidence >= move_from)
        wrong = labels != truth
        self.listed += int(listed.sum())
        self.listed_right += int((listed & wrong).sum())
        self.moves += int(moves.sum())
        self.moves_right += int((moves & (predicted == truth)).sum())
        self.moved_on_purpose += int(wrong.sum())
        self.stated += float(confidence[moves].sum())

    def figures(self, name: str) -> list[tuple]:
        """The tally's figures as `results.record` takes them (shares in percent)."""

        def percent(part: float, whole: float) -> float | str:
            return round(100 * part / whole, 1) if whole else "-"

        return [
            (f"{name}: listed", self.listed, "photos"),
            (f"{name}: precision", percent(self.listed_right, self.listed), "%"),
            (f"{name}: recall", percent(self.listed_right, self.moved_on_purpose), "%"),
            (f"{name}: moves offered", self.moves, "moves"),
            (f"{name}: moves right", percent(self.moves_right, self.moves), "%"),
            (f"{name}: stated how sure, mean of the moves", percent(self.stated, self.moves), "%"),
        ]

    def line(self, name: str) -> str:
        """One line of figures."""
        return (
            f"{name}: {self.listed} listed, precision {share(self.listed_right, self.listed)}, "
            f"recall {share(self.listed_right, self.moved_on_purpose)}; {self.moves} moves "
            f"offered, right {share(self.moves_right, self.moves)}, stated "
            f"{share(self.stated, self.moves)}"
        )


def share(part: float, whole: float) -> str:
    """Writes part / whole as a percentage, or a dash when there is nothing to divide."""
    return f"{part / whole:.0%}" if whole else "-"


def mislabel(labels: np.ndarray, mislabelled_share: float, generator) -> np.ndarray:
    """Returns the labels with a share of them changed to another class at random."""
    labels = labels.copy()
    class_count = int(labels.max()) + 1
    count = max(1, round(mislabelled_share * len(labels)))
    for row in generator.choice(len(labels), count, replace=False):
        labels[row] = generator.choice([c for c in range(class_count) if c != labels[row]])
    return labels


def draw_small(features, labels, generator, class_count: int, per_class: int):
    """Picks `class_count` classes and `per_class` photos of each, at random."""
    classes = generator.choice(int(labels.max()) + 1, class_count, replace=False)
    rows = np.concatenate(
        [generator.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes]
    )
    relabelled = np.searchsorted(np.sort(classes), labels[rows])
    return features[rows], relabelled


def measure(features, truth, draws: int, mislabelled_share: float, seed: int, small: bool) -> dict:
    """Runs the draws and returns the tallies of the flags before and after calibration."""
    generator = np.random.default_rng(seed)
    tallies = {"before": Tally(), "calibrated": Tally(), "calibrated, look-alikes": Tally()}
    methods: dict[str, int] = {}
    for _ in range(draws):
        draw_features, draw_truth = (
            draw_small(features, truth, generator, 5, 11) if small else (features, truth)
        )
        labels = mislabel(draw_truth, mislabelled_share, generator)
        class_count = int(draw_truth.max()) + 1
        # Before: the regression's own probabilities, a move offered with every flag.
        raw = mislabelled.out_of_fold_probabilities(draw_features, labels, class_count)
        tallies["before"].add(raw, labels, draw_truth, 0.6, 0.6)
        calibrated = mislabelled.calibrated_out_of_fold(draw_features, labels, class_count)
        settings = quality.QualitySettings()
        thresholds = (settings.mislabelled_confidence, settings.move_confidence)
        tallies["calibrated"].add(calibrated.probabilities, labels, draw_truth, *thresholds)
        # As the check lists them now: only photos whose nearest other photo is of another
        # class (`checks.mislabelled.likely_mislabelled`).
        nearest = cosine.nearest_other_rows(cosine.normalise(draw_features), np.arange(len(labels)))
        tallies["calibrated, look-alikes"].add(
            calibrated.probabilities,
            labels,
            draw_truth,
            *thresholds,
            keep=labels[nearest] != labels,
        )
        methods[calibrated.method] = methods.get(calibrated.method, 0) + 1
    return {"tallies": tallies, "methods": methods}


def main(argv=None) -> int:
    """Measures the flags on small and large projects and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=pathlib.Path, required=True)
    parser.add_argument("--small-draws", type=int, default=40)
    parser.add_argument("--large-draws", type=int, default=2)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-dir", default=None)
    bench.add_weights_dir_argument(parser)
    arguments = parser.parse_args(argv)
    bench.use_weights_dir(arguments)
    load_before = results.load_average()
    dataset = loading.load_folder(arguments.data / "train")
    shared_base = model.get_base(backbones.DEFAULT_BACKBONE, 224)
    features = embeddings.embed_photos(
        dataset.photos, shared_base, embeddings.EmbeddingCache(arguments.cache_dir)
    )
    truth = np.asarray(dataset.labels, dtype=np.int64)
    recorded = []
    for name, small, draws in (
        ("small: 5 classes x 11 photos", True, arguments.small_draws),
        (f"large: {len(truth):,} photos", False, arguments.large_draws),
    ):
        started = time.perf_counter()
        result = measure(features, truth, draws, arguments.share, arguments.seed, small)
        print(f"{name}, {draws} draws, {arguments.share:.0%} mislabelled on purpose")
        for key, tally in result["tallies"].items():
            print("  " + tally.line(key))
            recorded += tally.figures(f"{name}, {draws} draws, {key}")
        print(f"  model kept: {result['methods']}; {time.perf_counter() - started:.1f} s")
    results.record(
        "bench_flags",
        recorded,
        argv=argv,
        load_before=load_before,
        notes=f"{arguments.share:.0%} of the photos moved to a wrong class on purpose",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
