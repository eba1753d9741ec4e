"""Fixtures for tests that need the real pretrained weights and a real trained model.

The weights are copied from the shared folder into a temporary Keras cache (`KERAS_HOME`), the
way a user's machine holds them after Keras' first download, so the tests exercise the normal
lookup; the feature cache goes to a temporary folder too.
"""

import dataclasses
import fcntl
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tlcore.data import loading

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
SHARED_DIR = REPOSITORY.parent / "shared"
SHARED_WEIGHTS = SHARED_DIR / "weights" / "keras" / "models"
GROCERY_DIR = SHARED_DIR / "data" / "grocery-store"

# Five classes that look unlike each other, so a tiny subset must train far above chance.
TEST_CLASSES = ("Banana", "Carrots", "Oatly-Oat-Milk", "Red-Bell-Pepper", "Watermelon")
PHOTOS_PER_CLASS = 10
TEST_IMAGE_SIZE = 96


def run_folder(tmp_path_factory, name: str) -> pathlib.Path:
    """A temporary folder shared by every process of this test run: with pytest-xdist, each
    worker's base folder sits in the run's own, so the workers share what is made there."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def engine_environment(tmp_path_factory):
    """Points Keras' cache at a temporary copy of the shared weights, for the whole session.

    The copy, the pretrained network converted for ONNX Runtime beside it, and the photo
    features are shared by the test run's processes, so each is made once per run, as on a
    server whose workers share a machine.
    """
    if not SHARED_WEIGHTS.is_dir():
        pytest.skip(f"The shared weights are missing from {SHARED_WEIGHTS}.")
    keras_home = run_folder(tmp_path_factory, "keras_home")
    (keras_home / "models").mkdir(exist_ok=True)
    with open(keras_home / ".copying", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for weight_file in SHARED_WEIGHTS.glob("*.h5"):
            target = keras_home / "models" / weight_file.name
            if not target.is_file():
                shutil.copy(weight_file, target.with_suffix(".partial"))
                os.replace(target.with_suffix(".partial"), target)
    cache_dir = run_folder(tmp_path_factory, "feature_cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("KERAS_HOME", str(keras_home))
    patch.setenv("TLCORE_CACHE_DIR", str(cache_dir))
    patch.delenv("TLCORE_WEIGHTS_DIR", raising=False)
    patch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    yield keras_home
    patch.undo()


@pytest.fixture(scope="session")
def keras_home(engine_environment):
    """The temporary Keras home holding `models/<weight file>`."""
    return engine_environment


def copy_photos(target: pathlib.Path, split: str, classes, per_class: int | None) -> pathlib.Path:
    """Copies real grocery photos into `target/<class>/`, the first `per_class` of each."""
    for class_name in classes:
        sources = sorted((GROCERY_DIR / split / class_name).glob("*.jpg"))[:per_class]
        (target / class_name).mkdir(parents=True, exist_ok=True)
        for source in sources:
            shutil.copy(source, target / class_name / source.name)
    return target


@pytest.fixture(scope="session")
def small_photo_folder(tmp_path_factory):
    """A folder of 5 real classes x 10 real photos, laid out one sub-folder a class."""
    if not GROCERY_DIR.is_dir():
        pytest.skip(f"The grocery photos are missing from {GROCERY_DIR}.")
    return copy_photos(
        tmp_path_factory.mktemp("small_train"), "train", TEST_CLASSES, PHOTOS_PER_CLASS
    )


@pytest.fixture(scope="session")
def small_val_folder(tmp_path_factory):
    """The grocery `val` photos of the same 5 classes, never seen in training."""
    if not GROCERY_DIR.is_dir():
        pytest.skip(f"The grocery photos are missing from {GROCERY_DIR}.")
    return copy_photos(tmp_path_factory.mktemp("small_val"), "val", TEST_CLASSES, None)


@dataclasses.dataclass
class SmallTraining:
    """One real training on the small subset, with everything the tests look at."""

    dataset: object
    settings: object
    trained: object
    progress: list


@pytest.fixture(scope="session")
def small_training(small_photo_folder, engine_environment):
    """One real model trained on the small subset at 96 px, shared by the slower tests."""
    from tlcore.training import trainer, types

    dataset = loading.load_folder(small_photo_folder)
    settings = types.TrainingSettings(epochs=25, image_size=TEST_IMAGE_SIZE, seed=1)
    progress = []
    trained = trainer.train(dataset, settings, on_progress=progress.append)
    return SmallTraining(dataset, settings, trained, progress)


def run_tlcore(
    *arguments: str, timeout: float = 120, as_a_person: bool = False
) -> subprocess.CompletedProcess:
    """Runs `python -m tlcore ...` in a fresh process, as a person would.

    Args:
        arguments: The command line after `python -m tlcore`.
        timeout: The most seconds it may take.
        as_a_person: Whether to drop the log settings a person's shell does not have
            (`TF_CPP_MIN_LOG_LEVEL`, which the test session sets), to see what they would see.

    Returns:
        The finished process, its output captured as text.
    """
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    if as_a_person:
        environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "tlcore", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )
