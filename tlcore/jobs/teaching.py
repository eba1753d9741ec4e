"""Teaching by correction, on a worker: the head retrained at once on the cached features.

A person tells the app that a photo shows a class; the web server keeps it in that class
(`store.corrections.store_photo`). `retrain`, run by a worker as a job (`jobs.model_work`), then
trains a new head with the project's last settings on the cached features of every photo, saves it
as the project's model, and returns the new model's answer for the photo. The features of the
photos added before are on disk already (embedded on arrival), so only the new photo goes
through the pretrained network and the retrain takes seconds. Fine-tuning is left out of this
quick retrain: it would take minutes; the caller is told when the model it replaces was fine-tuned.
"""

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from tlcore import store
from tlcore.evaluation import testing_photos
from tlcore.nets import device, model, prediction
from tlcore.store import corrections
from tlcore.training import trainer, types


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

    trained: types.TrainedModel
    answer: prediction.Prediction
    seconds: float
    dropped_fine_tuning: bool


def warm_up(settings: types.TrainingSettings | None = None, weights_dir=None) -> None:
    """Loads the pretrained network a quick retrain uses, and runs it once.

    A worker does this as it starts (default settings): its first correction would otherwise
    wait for both, on a 2-core CPU seconds to build MobileNetV2 and seconds more to trace its
    predict step. The run waits for its turn behind trainings, like any other use of the
    network.

    Args:
        settings: The settings that name the network and size; the defaults when None.
        weights_dir: An explicit folder holding the pretrained weights.

    Raises:
        WeightsNotFoundError: If the pretrained weights cannot be found.
    """
    settings = settings or types.TrainingSettings()
    shared_base = model.get_base(settings.backbone, settings.image_size, weights_dir)
    size = shared_base.input_size
    with device.training_queue.turn():
        shared_base.embed_batch(np.zeros((1, size, size, 3), dtype=np.uint8))


def retrain(
    project: store.Project,
    file_name: str,
    data: bytes,
    on_progress: Callable[[types.Progress], None] | None = None,
    weights_dir=None,
) -> TeachResult:
    """Trains a new head on every photo of the project and saves it as the project's model.

    The project's last settings are used, with fine-tuning off; the features come from the
    cache, so only photos not embedded yet go through the pretrained network. The training
    waits for its turn behind other trainings of the server (`nets.device.training_queue`).

    Args:
        project: The project, with the photo taught already stored
            (`store.corrections.store_photo`).
        file_name: The photo's name, for its answer.
        data: The photo's bytes, for its answer.
        on_progress: Called with each `training.types.Progress`.
        weights_dir: An explicit folder holding the pretrained weights.

    Returns:
        The new model and its answer for the photo.

    Raises:
        DatasetError: A class has too few photos to learn from (a class just made holds one).
        WorkspaceError: The project was deleted meanwhile.
    """
    started = time.perf_counter()
    project.refresh()
    settings = corrections.last_settings(project)
    dropped_fine_tuning = settings.fine_tune
    settings = dataclasses.replace(settings, fine_tune=False)
    trained = trainer.train(
        project.to_dataset(),
        settings,
        on_progress=on_progress,
        cache_dir=project.workspace.embedding_cache_dir,
        weights_dir=weights_dir,
        test_dataset=testing_photos.test_dataset(project),
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
