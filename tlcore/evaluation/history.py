"""Did it help? Every training of a project kept with its figures, and two compared.

Each training saved into a project (`store.Project.save_trained`) is also kept in
`<project>/history/<entry id>/`: its project file (`model.zip`) and its record
(`training.json`: settings, photo counts, headline, per-class figures). The newest
`KEPT_TRAININGS` are kept; a model file is about 10 MB. `compare` says what changed between
two trainings and which classes did better or worse, each with its range, so a change within
the noise says so. The callers hold the project's lock; this module only reads and writes the
folder.
"""

import dataclasses
import json
import os
import pathlib
import re
import secrets
import shutil

from tlcore.evaluation import headline

HISTORY_FOLDER = "history"
MODEL_FILE = "model.zip"
RECORD_FILE = "training.json"
#: The most trainings kept per project: the oldest beyond it are removed.
KEPT_TRAININGS = 10

_ENTRY_ID = re.compile(r"^[0-9T]{15}-[0-9a-f]{6}$")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One kept training.

    Args:
        entry_id: Its folder's name: when it was kept, then a random suffix.
        record: Its `training.json`: created_at, settings, evaluation, headline,
            photo_counts.
        model_path: Its project file.
    """

    entry_id: str
    record: dict
    model_path: pathlib.Path

    @property
    def created_at(self) -> str:
        """When the model was trained, ISO 8601."""
        return str(self.record.get("created_at", ""))

    @property
    def headline(self) -> headline.Headline | None:
        """Its headline, or None for a training before it was measured."""
        try:
            return headline.Headline.from_dict(self.record.get("headline"))
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def photo_count(self) -> int:
        """How many photos it was trained and checked on."""
        return int(sum((self.record.get("photo_counts") or {}).values()))


def keep(project_folder: pathlib.Path, model_path: pathlib.Path, record: dict) -> Entry:
    """Keeps a copy of the training just saved, and removes the oldest beyond the limit.

    Args:
        project_folder: The project's folder.
        model_path: The project file just written.
        record: Its training record, with `photo_counts` (class -> photos).

    Returns:
        The new entry.
    """
    stamp = re.sub(r"[^0-9T]", "", str(record.get("created_at", "")))[:15].ljust(15, "0")
    entry_id = f"{stamp}-{secrets.token_hex(3)}"
    folder = pathlib.Path(project_folder) / HISTORY_FOLDER / entry_id
    folder.mkdir(parents=True)
    try:
        # A hard link costs no space while the current model is the same file.
        os.link(model_path, folder / MODEL_FILE)
    except OSError:
        shutil.copyfile(model_path, folder / MODEL_FILE)
    (folder / RECORD_FILE).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    for old in entries(project_folder)[KEPT_TRAININGS:]:
        shutil.rmtree(old.model_path.parent, ignore_errors=True)
    return Entry(entry_id, record, folder / MODEL_FILE)


def entries(project_folder: pathlib.Path) -> list[Entry]:
    """Returns the kept trainings, newest first; an unreadable one is passed over."""
    root = pathlib.Path(project_folder) / HISTORY_FOLDER
    found = []
    for folder in sorted(root.glob("*"), reverse=True) if root.is_dir() else []:
        if not _ENTRY_ID.match(folder.name) or not (folder / MODEL_FILE).is_file():
            continue
        try:
            record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found.append(Entry(folder.name, record, folder / MODEL_FILE))
    return found


def find(project_folder: pathlib.Path, entry_id: str) -> Entry | None:
    """Returns one kept training by its id, or None."""
    return next((entry for entry in entries(project_folder) if entry.entry_id == entry_id), None)


@dataclasses.dataclass(frozen=True)
class Change:
    """One figure in two trainings.

    Args:
        name: What it is (a class, or "Headline").
        before: Its share in the earlier training, with its range: (share, low, high).
        after: The same in the later training.
        verdict: "better", "worse" or "within the noise" (the two ranges overlap).
    """

    name: str
    before: tuple[float, float, float]
    after: tuple[float, float, float]
    verdict: str


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What changed from one training to another.

    Args:
        settings: (setting, before, after) for each setting that differs.
        photos: (photos before, photos after).
        headline: The headline's change, or None when either has none.
        classes: Each class both know, the biggest change first.
    """

    settings: list[tuple[str, object, object]]
    photos: tuple[int, int]
    headline: Change | None
    classes: list[Change]


def compare(earlier: Entry, later: Entry) -> Comparison:
    """Compares two trainings: settings, photos, headline and each class's figure."""
    before_settings = earlier.record.get("settings") or {}
    after_settings = later.record.get("settings") or {}
    changed = [
        (key, before_settings.get(key), after_settings.get(key))
        for key in sorted(set(before_settings) | set(after_settings))
        if before_settings.get(key) != after_settings.get(key)
    ]
    headline_change = None
    if earlier.headline is not None and later.headline is not None:
        headline_change = _change("Headline", _headline_triple(earlier), _headline_triple(later))
    before_classes = _class_triples(earlier)
    after_classes = _class_triples(later)
    classes = [
        _change(name, before_classes[name], after_classes[name])
        for name in after_classes
        if name in before_classes
    ]
    classes.sort(key=lambda change: -abs(change.after[0] - change.before[0]))
    return Comparison(changed, (earlier.photo_count, later.photo_count), headline_change, classes)


def _headline_triple(entry: Entry) -> tuple[float, float, float]:
    measured = entry.headline
    return measured.accuracy, measured.low, measured.high


def _class_triples(entry: Entry) -> dict[str, tuple[float, float, float]]:
    triples = {}
    for metrics in (entry.record.get("evaluation") or {}).get("per_class", []):
        support = int(metrics.get("support", 0))
        right = round(float(metrics.get("recall", 0.0)) * support)
        low, high = headline.wilson_interval(right, support)
        triples[str(metrics.get("class_name"))] = (float(metrics.get("recall", 0.0)), low, high)
    return triples


def _change(name: str, before: tuple, after: tuple) -> Change:
    if after[1] > before[2]:
        verdict = "better"
    elif after[2] < before[1]:
        verdict = "worse"
    else:
        verdict = "within the noise"
    return Change(name, before, after, verdict)
