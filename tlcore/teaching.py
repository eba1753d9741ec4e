"""Teaching by correction: a photo stored in the class it shows, and the head retrained at once.

A person tells the app that a photo shows a class (a wrong answer corrected, or a right one
confirmed). `store_photo` checks the photo and keeps it in that class, making the class when it
is new, with the same checks as an upload; `retrain` then trains a new head with the project's
last settings on the cached features of every photo, saves it as the project's model, and
returns the new model's answer for the photo. The features of the photos added before are on
disk already (embedded on arrival), so only the new photo goes through the pretrained network
and the retrain takes seconds. Fine-tuning is left out of this quick retrain: it would take
minutes; the caller is told when the model it replaces was fine-tuned.
"""

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from tlcore import device, images, model, prediction, store, test_photos, training, training_types


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


@dataclasses.dataclass(frozen=True)
class TeachResult:
    """What a quick retrain gave.

    Args:
        trained: The new model, saved as the project's model.
        answer: The new model's answer for the photo taught.
        seconds: The time the retrain took, waiting for a turn included.
        dropped_fine_tuning: Whether the model it replaced was fine-tuned: the quick retrain
            trains the head only.
    """

    trained: training_types.TrainedModel
    answer: prediction.Prediction
    seconds: float
    dropped_fine_tuning: bool


def last_settings(project: store.Project) -> training_types.TrainingSettings:
    """Returns the settings of the project's last training, or the defaults if it had none."""
    record = project.training_record()
    if record is None or not record.settings:
        return training_types.TrainingSettings()
    try:
        return training_types.TrainingSettings.from_dict(record.settings).validate()
    except (TypeError, ValueError):
        # A record written by another version: the defaults train a sound model too.
        return training_types.TrainingSettings()


def warm_up(project: store.Project, weights_dir=None) -> None:
    """Loads the pretrained network a quick retrain of the project uses, and runs it once.

    The first correction in a server process would otherwise wait for both: on a 2-core CPU,
    seconds to build MobileNetV2 and seconds more to trace its predict step. The run waits for
    its turn behind trainings, like any other use of the network.

    Args:
        project: The project whose last settings name the network and size.
        weights_dir: An explicit folder holding the pretrained weights.

    Raises:
        WeightsNotFoundError: If the pretrained weights cannot be found.
    """
    settings = last_settings(project)
    shared_base = model.get_base(settings.backbone, settings.image_size, weights_dir)
    size = shared_base.input_size
    with device.training_queue.turn():
        shared_base.embed_batch(np.zeros((1, size, size, 3), dtype=np.uint8))


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


def retrain(
    project: store.Project,
    file_name: str,
    data: bytes,
    on_progress: Callable[[training_types.Progress], None] | None = None,
    weights_dir=None,
) -> TeachResult:
    """Trains a new head on every photo of the project and saves it as the project's model.

    The project's last settings are used, with fine-tuning off; the features come from the
    cache, so only photos not embedded yet go through the pretrained network. The training
    waits for its turn behind other trainings of the server (`device.training_queue`).

    Args:
        project: The project, with the photo taught already stored (`store_photo`).
        file_name: The photo's name, for its answer.
        data: The photo's bytes, for its answer.
        on_progress: Called with each `training_types.Progress`.
        weights_dir: An explicit folder holding the pretrained weights.

    Returns:
        The new model and its answer for the photo.

    Raises:
        DatasetError: A class has too few photos to learn from (a class just made holds one).
        WorkspaceError: The project was deleted meanwhile.
    """
    started = time.perf_counter()
    project.refresh()
    settings = last_settings(project)
    dropped_fine_tuning = settings.fine_tune
    settings = dataclasses.replace(settings, fine_tune=False)
    trained = training.train(
        project.to_dataset(),
        settings,
        on_progress=on_progress,
        cache_dir=project.workspace.embedding_cache_dir,
        weights_dir=weights_dir,
        test_dataset=test_photos.test_dataset(project),
    )
    project.save_trained(trained)
    answer = prediction.predict(
        trained,
        [data],
        top_k=min(3, len(trained.class_names)),
        file_names=[file_name],
        test_time_augmentation=settings.test_time_augmentation,
    )[0]
    return TeachResult(
        trained=trained,
        answer=answer,
        seconds=time.perf_counter() - started,
        dropped_fine_tuning=dropped_fine_tuning,
    )
