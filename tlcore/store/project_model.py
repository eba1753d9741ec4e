"""A project's trained model kept or restored, under the project's lock and its caller's rights.

`Project.save_trained` and `Project.restore_training` are these functions. The files are written
by `tlcore.store.model_files`, the history of trainings by `tlcore.history`.
"""

from __future__ import annotations

import contextlib
import typing

from tlcore import access, errors, history
from tlcore.store import locks, model_files, records

if typing.TYPE_CHECKING:
    from tlcore.store.project import Project


def save_trained(project: Project, trained) -> None:
    """Saves a trained model as the project's model; see `Project.save_trained`."""
    with locks.lock_for(project.folder):
        try:
            current = project.read_summary()
        except errors.WorkspaceError:
            # Deleted while it was training: writing now would bring back half a project.
            raise errors.WorkspaceError(
                "This project was deleted while it was training, so the model was not kept."
            ) from None
        access.check_can_change(project.access, current)
        record = model_files.training_summary(trained)
        model_files.write_model(project.folder, trained, record)
        with contextlib.suppress(OSError):
            # A full disk costs only the copy kept for the history of trainings.
            history.keep(
                project.folder,
                project.model_path,
                {**record, "photo_counts": project.photo_counts()},
            )
        with project.editing(changes_photos=False) as metadata:
            metadata["trained_at"] = records.now()


def restore_training(project: Project, entry_id: str) -> None:
    """Makes an earlier training's model current again; see `Project.restore_training`."""
    with locks.lock_for(project.folder):
        access.check_can_change(project.access, project.read_summary())
        entry = history.find(project.folder, entry_id)
        if entry is None:
            raise errors.WorkspaceError("That training is no longer kept; choose another one.")
        model_files.restore_model(project.folder, entry)
        with project.editing(changes_photos=False) as metadata:
            # Photos changed after that training show as changes since training.
            metadata["trained_at"] = entry.created_at
