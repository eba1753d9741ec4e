"""A project's trained model: where it is, kept or restored, loaded, and its trainings' record.

`ProjectModel` is mixed into `tlcore.store.project.Project`, whose `editing()`, `folder`,
`access` and summary its methods use. A model is kept or restored under the project's lock
and its caller's rights; the files are written by `tlcore.store.model_files`, the history of
trainings by `tlcore.evaluation.history`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from tlcore import errors
from tlcore.evaluation import history
from tlcore.serving import project_file
from tlcore.store import access, locks, model_files, records


class ProjectModel:
    """A project's trained model and the record of its trainings; mixed into `Project`."""

    # Where the model is, and whether a training is due or was cut.

    @property
    def model_path(self) -> Path:
        """Where the trained model is saved (it may not exist yet)."""
        return self.folder / records.MODEL_FILE

    @property
    def has_trained_model(self) -> bool:
        """Whether the project has a trained model."""
        return self.model_path.is_file()

    @property
    def changed_since_training(self) -> bool:
        """Whether classes or photos changed after the last training."""
        trained_at = self._summary.get("trained_at")
        return bool(trained_at) and (self._summary.get("changed_at") or "") > trained_at

    @property
    def training_interrupted(self) -> bool:
        """Whether a training was started but neither finished nor failed (a server restart).

        `tlcore` records the start and the end of a training in `project.json` through
        `mark_training_started` and `mark_training_ended`; the app asks this only when no
        training of the project runs in its process.
        """
        return bool(self._summary.get("training_started_at"))

    def mark_training_started(self) -> None:
        """Records that a training of the project started, so a restart can tell it was cut."""
        with self.editing(changes_photos=False) as metadata:
            metadata["training_started_at"] = records.now()

    def mark_training_ended(self) -> None:
        """Records that the training started last has ended (finished, failed or abandoned)."""
        # Bookkeeping, allowed even when the share link it was started through was withdrawn
        # meanwhile: the record would otherwise tell of a server restart that never happened.
        with self.editing(changes_photos=False, checked=False) as metadata:
            metadata.pop("training_started_at", None)

    # The trained model.

    def save_trained(self, trained) -> None:
        """Saves a trained model as the project's model, replacing the previous one.

        Args:
            trained: The `tlcore.training.types.TrainedModel` to keep.
        """
        with locks.lock_for(self.folder):
            try:
                current = self.read_summary()
            except errors.WorkspaceError:
                # Deleted while it was training: writing now would bring back half a project.
                raise errors.WorkspaceError(
                    "This project was deleted while it was training, so the model was not kept."
                ) from None
            access.check_can_change(self.access, current)
            record = model_files.training_summary(trained)
            model_files.write_model(self.folder, trained, record)
            with contextlib.suppress(OSError):
                # A full disk costs only the copy kept for the history of trainings.
                history.keep(
                    self.folder,
                    self.model_path,
                    {**record, "photo_counts": self.photo_counts()},
                )
            with self.editing(changes_photos=False) as metadata:
                metadata["trained_at"] = records.now()

    def trainings(self) -> list[history.Entry]:
        """Returns the trainings kept for this project, newest first
        (`tlcore.evaluation.history`)."""
        return history.entries(self.folder)

    def restore_training(self, entry_id: str) -> None:
        """Makes an earlier training's model the project's model again.

        Args:
            entry_id: The kept training's id (`evaluation.history.Entry.entry_id`).

        Raises:
            WorkspaceError: If that training is no longer kept.
            DiskFullError: If the disk has no room; the current model stays.
        """
        with locks.lock_for(self.folder):
            access.check_can_change(self.access, self.read_summary())
            entry = history.find(self.folder, entry_id)
            if entry is None:
                raise errors.WorkspaceError("That training is no longer kept; choose another one.")
            model_files.restore_model(self.folder, entry)
            with self.editing(changes_photos=False) as metadata:
                # Photos changed after that training show as changes since training.
                metadata["trained_at"] = entry.created_at

    def load_trained(self):
        """Loads the project's trained model.

        Returns:
            The `tlcore.training.types.TrainedModel`, or None if the project was never trained.

        Raises:
            ProjectFileError: If the saved model cannot be read.
        """
        if not self.has_trained_model:
            return None
        return project_file.load_project(self.model_path)

    def training_record(self) -> records.TrainingRecord | None:
        """Returns the summary of the last training, without loading the model.

        Returns:
            The summary, or None if the project was never trained.
        """
        if not self.has_trained_model:
            return None
        return model_files.read_summary(self.folder)
