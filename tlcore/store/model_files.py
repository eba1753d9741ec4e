"""A project's trained model on disk: `model.zip` and `training.json`, replaced
together.

`model.zip` is a tlcore project file (`tlcore.serving.project_file`); `training.json`
is its summary (classes, settings, history, evaluation, headline), readable without Keras. Both are
written in full before either replaces its old version, so a full disk or a kill leaves the
previous model with its own record.
"""

import dataclasses
import os
from pathlib import Path

from tlcore import files
from tlcore.evaluation import history
from tlcore.serving import project_file
from tlcore.store import records


def training_summary(trained) -> dict:
    """Returns what `training.json` holds for a trained model.

    Args:
        trained: The `tlcore.training.types.TrainedModel`.

    Returns:
        The summary, as plain JSON values.
    """
    evaluation = trained.evaluation.to_dict() if trained.evaluation is not None else None
    return {
        "created_at": str(trained.created_at),
        "class_names": list(trained.class_names),
        "settings": _settings_dict(trained.settings),
        "history": {
            key: [float(value) for value in values] for key, values in trained.history.items()
        },
        "evaluation": evaluation,
        "backbone_id": trained.backbone_id,
        "headline": trained.headline.to_dict() if trained.headline is not None else None,
        "one_sitting": list(getattr(trained, "one_sitting", None) or []),
    }


def write_model(folder: Path, trained, summary: dict) -> None:
    """Writes a trained model and its summary into a project folder, replacing the old ones.

    Args:
        folder: The project's folder.
        trained: The `tlcore.training.types.TrainedModel`.
        summary: Its summary, as `training_summary` gives it.

    Raises:
        DiskFullError: If the disk has no room; the previous model and record stay.
    """
    model_path = folder / records.MODEL_FILE
    model_temporary = files.temporary_path(model_path)
    record_temporary = files.temporary_path(folder / records.TRAINING_FILE)
    try:
        with files.disk_errors("the trained model"):
            files.write_new_file(model_temporary, project_file.project_bytes(trained))
            files.write_new_file(record_temporary, files.json_bytes(summary))
        os.replace(model_temporary, model_path)
        os.replace(record_temporary, folder / records.TRAINING_FILE)
    finally:
        model_temporary.unlink(missing_ok=True)
        record_temporary.unlink(missing_ok=True)


def restore_model(folder: Path, entry: history.Entry) -> None:
    """Makes a kept training's model and summary the project's again.

    Args:
        folder: The project's folder.
        entry: The kept training (`tlcore.evaluation.history`).

    Raises:
        DiskFullError: If the disk has no room; the current model stays.
    """
    summary = {key: value for key, value in entry.record.items() if key != "photo_counts"}
    files.write_atomically(folder / records.MODEL_FILE, entry.model_path.read_bytes(), "the model")
    files.write_json(folder / records.TRAINING_FILE, summary, "the model")


def read_summary(folder: Path) -> records.TrainingRecord | None:
    """Reads `training.json`, without loading the model.

    Args:
        folder: The project's folder.

    Returns:
        The summary, or None if there is none.
    """
    path = folder / records.TRAINING_FILE
    if not path.is_file():
        return None
    data = files.read_json(path)
    return records.TrainingRecord(
        created_at=data["created_at"],
        class_names=list(data["class_names"]),
        settings=dict(data.get("settings") or {}),
        history={key: list(values) for key, values in (data.get("history") or {}).items()},
        evaluation=data.get("evaluation"),
        backbone_id=data.get("backbone_id", ""),
        headline=data.get("headline"),
        one_sitting=list(data.get("one_sitting") or []),
    )


def _settings_dict(settings) -> dict:
    """Returns training settings as a plain dictionary for JSON."""
    if hasattr(settings, "to_dict"):
        return settings.to_dict()
    return dataclasses.asdict(settings)
