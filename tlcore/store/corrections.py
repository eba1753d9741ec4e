"""A photo a person names the class of, kept in that class: the web server's part of teaching.

A person tells the app that a photo shows a class (a wrong answer corrected, or a right one
confirmed). `store_photo` checks the photo and keeps it in that class, making the class when it
is new, with the same checks as an upload: a write to the project's store, without TensorFlow,
so the web server does it at once. The retraining that follows runs on a worker
(`jobs.teaching.retrain`, as a job: `jobs.model_work`), with the project's last settings
(`last_settings`).
"""

import dataclasses

from tlcore import store
from tlcore.data import images
from tlcore.training import types


@dataclasses.dataclass(frozen=True)
class StoredCorrection:
    """A photo kept in the class a person named.

    Args:
        class_name: The class it is now in, as stored.
        created_class: Whether that class was made for it.
        file_name: The photo's name.
    """

    class_name: str
    created_class: bool
    file_name: str


def last_settings(project: store.Project) -> types.TrainingSettings:
    """Returns the settings of the project's last training, or the defaults if it had none."""
    record = project.training_record()
    if record is None or not record.settings:
        return types.TrainingSettings()
    try:
        return types.TrainingSettings.from_dict(record.settings).validate()
    except (TypeError, ValueError):
        # A record written by another version: the defaults train a sound model too.
        return types.TrainingSettings()


def store_photo(
    project: store.Project,
    class_name: str,
    file_name: str,
    data: bytes,
    new_class: bool = False,
) -> StoredCorrection:
    """Keeps a photo in the class a person named, making the class when it is new.

    The photo is checked before anything changes, so an unreadable photo or one the project
    holds already never leaves an empty new class behind.

    Args:
        project: The project.
        class_name: The class the photo shows: an existing class, or the name of a new one.
        file_name: The photo's name.
        data: The photo's bytes.
        new_class: Whether `class_name` is a class to make.

    Returns:
        Where the photo was kept.

    Raises:
        UnreadableImageError: The file is not a photo that can be used.
        ClassNameError: The new class's name is empty, unusable or taken, or the class named
            does not exist.
        WorkspaceError: The project holds this photo already, or a limit stops it.
    """
    images.load_image(data, file_name=file_name)
    known = project.find_photo(images.content_hash(data))
    if known is not None:
        raise store.WorkspaceError(
            f"This photo is in the project already, in the class '{known.class_name}' (as "
            f"'{known.file_name}'). To move it, use Check your data; to teach with another "
            "photo, take or choose a new one."
        )
    created = False
    if new_class:
        class_name = project.add_class(class_name)
        created = True
    result = project.add_photos(class_name, [(file_name, data)])
    if not result.added:
        problems = [item.reason for item in result.skipped + result.left_out]
        problems += [f"it is in the project already ({item})" for item in result.duplicates]
        raise store.WorkspaceError(
            f"The photo was not kept: {'; '.join(str(problem) for problem in problems)}."
        )
    return StoredCorrection(class_name=class_name, created_class=created, file_name=file_name)
