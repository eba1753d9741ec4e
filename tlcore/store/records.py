"""What the store keeps, by name: its files, its limits and the records it hands out.

A project folder holds `PHOTOS_FOLDER` (the original bytes of each photo), `MODEL_FILE` (the
last trained model, a tlcore project file) and `TRAINING_FILE` (its history and evaluation,
readable without Keras); its metadata is in the workspace's database (`tlcore.store.database`).
"""

import dataclasses
import datetime
import logging
import os
import re
from pathlib import Path

from tlcore.data import datasets

#: Where a project's metadata was kept before the database; imported by `migration`.
PROJECT_FILE = "project.json"
MODEL_FILE = "model.zip"
TRAINING_FILE = "training.json"
PHOTOS_FOLDER = "photos"

#: The version of `PROJECT_FILE`'s layout.
FORMAT_VERSION = 1
_PROJECT_ID_PATTERN = re.compile(r"^[0-9a-f]{16,64}$")

#: The most photos one project may hold: room for the 20,000 photos in 200 classes that the
#: scale benchmark (`benchmarks.bench_scale`) imports, embeds, trains and checks.
MAX_PHOTOS_PER_PROJECT = 25_000

#: The most bytes one batch of uploaded photos (or one zip's photos) may hold: 200 MB, the
#: `maxUploadSize` of `.streamlit/config.toml`, which Streamlit applies to each file.
MAX_UPLOAD_BYTES = 200 * 1024**2

#: The most projects the workspace may hold, whoever made them.
MAX_PROJECTS_PER_WORKSPACE = 500

#: The most projects one owner (one browser's token) may hold.
MAX_PROJECTS_PER_OWNER = 50

_logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Limits:
    """The bounds a shared server puts on what people store.

    Args:
        max_photos_per_project: The most photos one project may hold.
        max_upload_bytes: The most bytes one batch of added photos may hold.
        max_projects_per_workspace: The most projects the workspace may hold.
        max_projects_per_owner: The most projects one owner may hold.
    """

    max_photos_per_project: int = MAX_PHOTOS_PER_PROJECT
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_projects_per_workspace: int = MAX_PROJECTS_PER_WORKSPACE
    max_projects_per_owner: int = MAX_PROJECTS_PER_OWNER

    #: The environment variable that sets each limit.
    ENVIRONMENT_VARIABLES = {
        "max_photos_per_project": "TLCORE_MAX_PHOTOS_PER_PROJECT",
        "max_upload_bytes": "TLCORE_MAX_UPLOAD_BYTES",
        "max_projects_per_workspace": "TLCORE_MAX_PROJECTS_PER_WORKSPACE",
        "max_projects_per_owner": "TLCORE_MAX_PROJECTS_PER_OWNER",
    }

    @classmethod
    def from_environment(cls, environment: dict[str, str] | None = None) -> "Limits":
        """Reads the limits from the environment; an unset variable keeps the default.

        A value that is not a whole number of at least 1 is ignored with a logged warning,
        so a typing mistake in the server's settings never stops the app.

        Args:
            environment: The variables to read; `os.environ` when None.

        Returns:
            The limits.
        """
        environment = os.environ if environment is None else environment
        values = {}
        for field_name, variable in cls.ENVIRONMENT_VARIABLES.items():
            text = environment.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text)
            except ValueError:
                value = 0
            if value < 1:
                _logger.warning(
                    "Ignoring %s=%r: it must be a whole number of at least 1.", variable, text
                )
                continue
            values[field_name] = value
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class StoredPhoto:
    """One photo saved in a project.

    Args:
        file_name: The name the file had when it was added.
        class_name: The class the photo belongs to.
        content_hash: The hash of its bytes; the same photo always has the same hash.
        path: Where its original bytes are stored.
        added_at: When it was added, as an ISO 8601 time in UTC.
    """

    file_name: str
    class_name: str
    content_hash: str
    path: Path
    added_at: str


@dataclasses.dataclass(frozen=True)
class ProjectClass:
    """One class of a project.

    Args:
        name: The class name, as shown.
        key: A short safe identifier of the class (its storage folder), stable across renames.
        photo_count: How many photos it has.
    """

    name: str
    key: str
    photo_count: int


@dataclasses.dataclass(frozen=True)
class AddResult:
    """What happened to a batch of files added to a project.

    Args:
        added: The file names of the photos that were saved.
        skipped: The files that are not readable photos, each with the reason.
        duplicates: The photos that were already in the project (or twice in the batch).
        created_classes: The classes created while adding (for a zip with a folder per class).
        left_out: Readable photos that were not saved because a limit was reached (photos per
            project, bytes per upload) or the disk is full, each with the reason.
    """

    added: list[str] = dataclasses.field(default_factory=list)
    skipped: list[datasets.SkippedFile] = dataclasses.field(default_factory=list)
    duplicates: list[datasets.DuplicatePhoto] = dataclasses.field(default_factory=list)
    created_classes: list[str] = dataclasses.field(default_factory=list)
    left_out: list[datasets.SkippedFile] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class TrainingRecord:
    """The summary of the last training, readable without loading the model.

    Args:
        created_at: When the model was trained, as an ISO 8601 time.
        class_names: The classes the model tells apart, in its output order.
        settings: The training settings, as a plain dictionary.
        history: Loss and accuracy per epoch (keys loss, accuracy, val_loss, val_accuracy).
        evaluation: The evaluation on the held-back photos, as `Evaluation.to_dict()` gives it.
        backbone_id: The pretrained network and input size the model builds on.
        headline: The accuracy to expect on new photos with its range, as
            `evaluation.headline.Headline.to_dict()` gives it; None for a training before it was
            measured.
        one_sitting: The classes whose photos all looked taken in one sitting to training.
    """

    created_at: str
    class_names: list[str]
    settings: dict
    history: dict[str, list[float]]
    evaluation: dict | None
    backbone_id: str
    headline: dict | None = None
    one_sitting: list[str] = dataclasses.field(default_factory=list)


def is_project_id(text: str) -> bool:
    """Tells whether a string has the shape of a project id (so it is safe as a folder name)."""
    return bool(_PROJECT_ID_PATTERN.match(text or ""))


def now() -> str:
    """Returns the current time in UTC as an ISO 8601 string, precise to the microsecond."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
