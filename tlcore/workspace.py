"""The app's projects on disk: classes, photos and trained models, saved as they are added.

A workspace is one folder (`TLCORE_WORKSPACE`, or `~/.tlcore/workspace`) holding one
sub-folder per project, named by a random id that never derives from what a person typed:

    <root>/<project_id>/project.json      name, owner, classes and the index of photos
    <root>/<project_id>/photos/<folder>/<content_hash>.<ext>   the original bytes of each photo
    <root>/<project_id>/model.zip         the last trained model (a tlcore project file)
    <root>/<project_id>/training.json     its history and evaluation, readable without Keras
    <root>/.cache/embeddings/             photo features shared by every project

Every write goes to a temporary file first and is moved into place with `os.replace`, so a
crash never leaves a half-written file, and writes to one project take that project's lock, so
two browser tabs on the same project never overwrite each other's changes. Temporary files a
killed server left behind are never read, and are removed when the project is next opened. A
full disk ends a write with a `DiskFullError` and leaves the project as it was.

A server shown to strangers needs bounds: `Limits` caps the photos of a project, the bytes of
one upload, and the projects of the workspace and of one owner. Each limit has a default fit for
a real server and can be set by an environment variable (`TLCORE_MAX_PHOTOS_PER_PROJECT`,
`TLCORE_MAX_UPLOAD_BYTES`, `TLCORE_MAX_PROJECTS_PER_WORKSPACE`, `TLCORE_MAX_PROJECTS_PER_OWNER`).
"""

import contextlib
import dataclasses
import datetime
import errno
import io
import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from PIL import Image

from tlcore import datasets, errors, history, images, names, test_photos

#: The environment variable that names the workspace folder.
WORKSPACE_ENVIRONMENT_VARIABLE = "TLCORE_WORKSPACE"

#: The workspace folder used when the environment variable is not set.
DEFAULT_WORKSPACE = Path("~/.tlcore/workspace")

PROJECT_FILE = "project.json"
MODEL_FILE = "model.zip"
TRAINING_FILE = "training.json"
PHOTOS_FOLDER = "photos"

_FORMAT_VERSION = 1
_PROJECT_ID_PATTERN = re.compile(r"^[0-9a-f]{16,64}$")

# The extension each accepted photo format is stored under (see `tlcore.images`).
_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "BMP": "bmp",
    "GIF": "gif",
}

#: The most photos one project may hold: room for the 20,000 photos in 200 classes that the
#: scale benchmark (`tlcore.bench_scale`) imports, embeds, trains and checks.
MAX_PHOTOS_PER_PROJECT = 25_000

#: The most bytes one batch of uploaded photos (or one zip's photos) may hold: 200 MB, the
#: `maxUploadSize` of `.streamlit/config.toml`, which Streamlit applies to each file.
MAX_UPLOAD_BYTES = 200 * 1024**2

#: The most projects the workspace may hold, whoever made them.
MAX_PROJECTS_PER_WORKSPACE = 500

#: The most projects one owner (one browser's token) may hold.
MAX_PROJECTS_PER_OWNER = 50

# Temporary files are named `.<name>.<random>.tmp`; folders being deleted `.deleted-<id>-<random>`.
_TEMPORARY_SUFFIX = ".tmp"
_TRASH_PREFIX = ".deleted-"

# The errors of a write that found no room: a full disk, a full quota, a file over a size limit.
_DISK_FULL_ERRNOS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EFBIG: "too large"}

_logger = logging.getLogger(__name__)

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()

# The projects whose leftover temporary files this process has already removed.
_tidied: set[str] = set()


class WorkspaceError(errors.TlcoreError):
    """A project that does not exist, a name that cannot be used, or a limit reached."""


class DiskFullError(WorkspaceError):
    """The server's disk had no room for a write; what was saved before is unchanged.

    Args:
        what: What could not be saved, in words ("the trained model", "'apple.jpg'").
        reason: Why, in words: "the server's disk is full", or that it refuses large files.
    """

    def __init__(self, what: str, reason: str):
        self.what = what
        self.reason = reason
        super().__init__(
            f"{reason[0].upper()}{reason[1:]}, so {what} could not be saved. Everything saved "
            "before is kept as it was; tell the person who runs this server."
        )


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
            `headline.Headline.to_dict()` gives it; None for a training before it was measured.
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


def default_root() -> Path:
    """Returns the workspace folder named by `TLCORE_WORKSPACE`, or the default one."""
    configured = os.environ.get(WORKSPACE_ENVIRONMENT_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_WORKSPACE.expanduser()


def is_project_id(text: str) -> bool:
    """Tells whether a string has the shape of a project id (so it is safe as a folder name)."""
    return bool(_PROJECT_ID_PATTERN.match(text or ""))


class Workspace:
    """The folder of all projects on this server.

    Args:
        root: The workspace folder; created if it does not exist.
        limits: The bounds on what is stored; read from the environment when None.
    """

    def __init__(self, root: str | os.PathLike, limits: Limits | None = None):
        self.root = Path(root).expanduser()
        self.root.mkdir(parents=True, exist_ok=True)
        self.limits = limits if limits is not None else Limits.from_environment()
        key = str(self.root.resolve())
        with _locks_guard:
            first_time = key not in _tidied
            _tidied.add(key)
        if first_time:
            self.remove_leftovers()

    @classmethod
    def from_environment(cls) -> "Workspace":
        """Opens the workspace named by `TLCORE_WORKSPACE`, or the default one."""
        return cls(default_root())

    @property
    def embedding_cache_dir(self) -> Path:
        """The folder where photo features are cached, shared by every project."""
        return self.root / ".cache" / "embeddings"

    def create_project(self, name: str, owner: str) -> "Project":
        """Creates an empty project.

        Args:
            name: The name a person gave it; it must not be used by another project.
            owner: The token of the browser that creates it.

        Returns:
            The new project.

        Raises:
            WorkspaceError: If the name is empty or already taken, or the workspace or the
                owner holds as many projects as the limits allow.
            DiskFullError: If the disk has no room for the project.
        """
        with _lock_for(self.root):
            name = self._check_free_name(name)
            self._check_room_for_a_project(owner)
            project_id = secrets.token_hex(8)
            while (self.root / project_id).exists():
                project_id = secrets.token_hex(8)
            now = _now()
            metadata = {
                "format": _FORMAT_VERSION,
                "id": project_id,
                "name": name,
                "owner": owner,
                "created_at": now,
                "updated_at": now,
                "changed_at": now,
                "trained_at": None,
                "classes": [],
            }
            folder = self.root / project_id
            try:
                with _disk_errors("the new project"):
                    (folder / PHOTOS_FOLDER).mkdir(parents=True)
                    _write_json(folder / PROJECT_FILE, metadata)
            except DiskFullError:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        return Project(self, project_id)

    def unique_name(self, wanted: str) -> str:
        """Returns `wanted`, or `wanted (2)`, `wanted (3)`... whichever is not taken yet.

        Args:
            wanted: The name to start from.

        Returns:
            A project name no project uses.
        """
        taken = {names.comparison_key(project.name) for project in self._all_projects()}
        candidate, number = wanted, 2
        while names.comparison_key(candidate) in taken:
            candidate = f"{wanted} ({number})"
            number += 1
        return candidate

    def list_projects(self, owner: str) -> list["Project"]:
        """Returns the projects of one owner, the most recently changed first.

        Args:
            owner: The token of the browser whose projects to list.

        Returns:
            The projects whose owner is `owner`.
        """
        projects = [project for project in self._all_projects() if project.owner == owner]
        return sorted(projects, key=lambda project: project.updated_at, reverse=True)

    def open_project(self, project_id: str) -> "Project":
        """Opens a project by its id.

        Args:
            project_id: The id, as the URL or `Project.id` has it.

        Returns:
            The project.

        Raises:
            WorkspaceError: If there is no project with that id.
        """
        if not is_project_id(project_id) or not (self.root / project_id / PROJECT_FILE).is_file():
            raise WorkspaceError(
                "The project in this link was not found: it no longer exists (it may have been "
                "deleted) or the link is incomplete. Choose a project on Home."
            )
        project = Project(self, project_id)
        project.remove_leftovers()
        return project

    def find_by_name(self, name: str) -> "Project | None":
        """Finds the project with exactly this name, whoever created it.

        Args:
            name: The project name; surrounding spaces and letter case are ignored.

        Returns:
            The project, or None if no project has that name.
        """
        cleaned = " ".join(name.split())
        if not cleaned:
            return None
        wanted = names.comparison_key(cleaned)
        for project in self._all_projects():
            if names.comparison_key(project.name) == wanted:
                return project
        return None

    def rename_project(self, project_id: str, new_name: str) -> "Project":
        """Gives a project a new name.

        Args:
            project_id: The project's id.
            new_name: The new name; it must not be used by another project.

        Returns:
            The renamed project.

        Raises:
            WorkspaceError: If the project does not exist or the name is empty or taken.
        """
        project = self.open_project(project_id)
        with _lock_for(self.root):
            new_name = self._check_free_name(new_name, ignore_id=project_id)
            with project._editing() as metadata:
                metadata["name"] = new_name
        return project

    def delete_project(self, project_id: str) -> None:
        """Deletes a project with its photos and model.

        Args:
            project_id: The project's id.

        Raises:
            WorkspaceError: If the project does not exist.
        """
        project = self.open_project(project_id)
        with _lock_for(project.folder):
            # Moving the folder aside first makes the deletion look atomic: a listing never sees
            # a half-deleted project, and a server killed meanwhile leaves only a hidden folder.
            trash = self.root / f"{_TRASH_PREFIX}{project_id}-{secrets.token_hex(4)}"
            os.replace(project.folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def import_project_file(self, data: bytes, owner: str, name: str) -> "Project":
        """Makes a project from a project file someone saved earlier, to predict with it.

        The file is loaded safely first (no code in it runs); the project gets the file's
        classes, model and test photos (`tlcore.test_photos`), but no training photos.

        Args:
            data: The bytes of the project file.
            owner: The token of the browser that imports it.
            name: The name wanted for the project; made unique if it is taken.

        Returns:
            The new project, with its trained model.

        Raises:
            ProjectFileError: If the file is not a readable tlcore project.
            WorkspaceError: If the workspace or the owner holds as many projects as allowed.
        """
        from tlcore import projects

        # A refusal for want of room comes before the costly loading of the model.
        with _lock_for(self.root):
            self._check_room_for_a_project(owner)
        trained = projects.load_project(data)
        project = self.create_project(self.unique_name(_clean_project_name(name)), owner)
        try:
            for class_name in trained.class_names:
                project.add_class(class_name)
            # Before the model, so the test photos its headline was measured on do not read
            # as a change since that training.
            test_photos.import_into(project, data)
            project.save_trained(trained)
        except Exception:
            self.delete_project(project.id)
            raise
        return project

    def create_example_project(self, owner: str) -> "Project":
        """Makes a project holding the built-in example photos, ready to train.

        Args:
            owner: The token of the browser that asks for it.

        Returns:
            The new project, with one class per example product.

        Raises:
            WorkspaceError: If a limit or the disk leaves no room for the whole example; no
                project is then left behind.
        """
        from tlcore import examples

        # The project is made first, so that a limit refuses it before any photo is drawn.
        project = self.create_project(self.unique_name(examples.EXAMPLE_PROJECT_NAME), owner)
        try:
            for class_name, files in examples.example_photos().items():
                project.add_class(class_name)
                result = project.add_photos(class_name, files)
                if result.left_out:
                    raise WorkspaceError(
                        f"The example project could not be made: {result.left_out[0].reason}."
                    )
        except Exception:
            self.delete_project(project.id)
            raise
        return project

    def remove_leftovers(self) -> list[Path]:
        """Removes what a killed server left at the top of the workspace.

        That is the folders of projects it was deleting, and the folders of projects it was
        creating that never got their `project.json` and hold no file. Neither is ever listed
        or opened, so removing them only frees the disk. It runs once per workspace and process;
        it assumes, as the project locks do, one server process per workspace.

        Returns:
            The folders removed.
        """
        removed = []
        with _lock_for(self.root):
            for folder in sorted(self.root.iterdir()):
                half_deleted = folder.name.startswith(_TRASH_PREFIX)
                half_created = (
                    is_project_id(folder.name)
                    and not (folder / PROJECT_FILE).exists()
                    and not any(path.is_file() for path in folder.rglob("*"))
                )
                if folder.is_dir() and (half_deleted or half_created):
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
        return removed

    def _check_room_for_a_project(self, owner: str) -> None:
        """Refuses a new project when the workspace or the owner holds as many as allowed."""
        projects = list(self._all_projects())
        limit = self.limits.max_projects_per_workspace
        if len(projects) >= limit:
            raise WorkspaceError(
                f"This server holds {limit} projects, the most it can keep, so no new project "
                "can be made. Delete a project you no longer need, or ask the person who runs "
                "this server to make room."
            )
        limit = self.limits.max_projects_per_owner
        if sum(project.owner == owner for project in projects) >= limit:
            raise WorkspaceError(
                f"You have {limit} projects, the most one person can keep on this server. "
                "Delete a project you no longer need on Home, then make the new one."
            )

    def _all_projects(self) -> Iterator["Project"]:
        """Yields every readable project of the workspace."""
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not is_project_id(folder.name):
                continue
            if (folder / PROJECT_FILE).is_file():
                try:
                    yield Project(self, folder.name)
                except (OSError, ValueError):
                    # A project being deleted or damaged by hand is left out of listings.
                    continue

    def _check_free_name(self, name: str, ignore_id: str | None = None) -> str:
        """Cleans a project name and checks that no other project uses it."""
        name = _clean_project_name(name)
        key = names.comparison_key(name)
        for project in self._all_projects():
            if project.id != ignore_id and names.comparison_key(project.name) == key:
                raise WorkspaceError(
                    f"There is already a project called '{project.name}'. Choose another name."
                )
        return name


class Project:
    """One project: its classes, photos and trained model, kept on disk.

    Read methods use the state read when the object was made (or last changed or refreshed);
    every change rereads the file under the project's lock, so changes made in another tab
    are never lost.

    Args:
        workspace: The workspace that holds the project.
        project_id: The project's id.
    """

    def __init__(self, workspace: Workspace, project_id: str):
        if not is_project_id(project_id):
            raise WorkspaceError("This is not a project id.")
        self.workspace = workspace
        self.id = project_id
        self.folder = workspace.root / project_id
        self._metadata = _read_json(self.folder / PROJECT_FILE)
        # `find_photo`'s index and the record it was built from.
        self._photo_index: tuple[dict, dict] | None = None

    # Reading.

    @property
    def name(self) -> str:
        """The project's name."""
        return self._metadata["name"]

    @property
    def owner(self) -> str:
        """The token of the browser that created the project."""
        return self._metadata["owner"]

    @property
    def created_at(self) -> str:
        """When the project was created, as an ISO 8601 time in UTC."""
        return self._metadata["created_at"]

    @property
    def updated_at(self) -> str:
        """When anything in the project last changed, as an ISO 8601 time in UTC."""
        return self._metadata["updated_at"]

    @property
    def class_names(self) -> list[str]:
        """The names of the classes, in the order they were added."""
        return [entry["name"] for entry in self._metadata["classes"]]

    @property
    def model_path(self) -> Path:
        """Where the trained model is saved (it may not exist yet)."""
        return self.folder / MODEL_FILE

    @property
    def has_trained_model(self) -> bool:
        """Whether the project has a trained model."""
        return self.model_path.is_file()

    @property
    def changed_since_training(self) -> bool:
        """Whether classes or photos changed after the last training."""
        trained_at = self._metadata.get("trained_at")
        return bool(trained_at) and self._metadata.get("changed_at", "") > trained_at

    def refresh(self) -> "Project":
        """Rereads the project from disk, to see changes made elsewhere.

        Returns:
            The project itself.
        """
        self._metadata = _read_json(self.folder / PROJECT_FILE)
        return self

    def remove_leftovers(self) -> list[Path]:
        """Removes the files a killed server left in the project, once per process.

        Every file is written to a temporary file first (`.<name>.<random>.tmp`) and moved into
        place only once complete, and a photo is stored before `project.json` lists it, so a
        server killed mid-write leaves temporary files, and perhaps photos of a batch it never
        acknowledged. Nothing ever reads either (photos are found through `project.json`, the
        model by its exact name); this only frees the disk. Every write of this process to the
        project holds its lock, so such a file seen while holding it belongs to a dead process.

        Returns:
            The files removed; none when this process tidied the project before.
        """
        key = str(self.folder.resolve())
        with _locks_guard:
            if key in _tidied:
                return []
            _tidied.add(key)
        removed = []
        with _lock_for(self.folder):
            try:
                self.refresh()
            except (OSError, ValueError):
                # A project.json that cannot be read leaves no way to tell photos from strays.
                return []
            listed = {
                self._photo_path(entry, record, test)
                for entry in self._metadata["classes"]
                for test in (False, True)
                for record in test_photos.records(entry, test)
            }
            photos_folder = self.folder / PHOTOS_FOLDER
            for path in self.folder.rglob("*"):
                temporary = path.name.startswith(".") and path.name.endswith(_TEMPORARY_SUFFIX)
                class_folder = path.parent
                if class_folder.name == test_photos.SUBFOLDER:
                    class_folder = class_folder.parent
                stray_photo = class_folder.parent == photos_folder and path not in listed
                if path.is_file() and (temporary or stray_photo):
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    @property
    def training_interrupted(self) -> bool:
        """Whether a training was started but neither finished nor failed (a server restart).

        `tlcore` records the start and the end of a training in `project.json` through
        `mark_training_started` and `mark_training_ended`; the app asks this only when no
        training of the project runs in its process.
        """
        return bool(self._metadata.get("training_started_at"))

    def mark_training_started(self) -> None:
        """Records that a training of the project started, so a restart can tell it was cut."""
        with self._editing(changes_photos=False) as metadata:
            metadata["training_started_at"] = _now()

    def mark_training_ended(self) -> None:
        """Records that the training started last has ended (finished, failed or abandoned)."""
        with self._editing(changes_photos=False) as metadata:
            metadata.pop("training_started_at", None)

    def classes(self) -> list[ProjectClass]:
        """Returns the classes, in the order they were added."""
        return [
            ProjectClass(name=entry["name"], key=entry["folder"], photo_count=len(entry["photos"]))
            for entry in self._metadata["classes"]
        ]

    def photo_counts(self) -> dict[str, int]:
        """Returns the number of photos of each class, in class order."""
        return {entry["name"]: len(entry["photos"]) for entry in self._metadata["classes"]}

    def test_photo_counts(self) -> dict[str, int]:
        """Returns the number of test photos of each class (`tlcore.test_photos`)."""
        return test_photos.counts(self._metadata)

    def photo_count(self) -> int:
        """Returns the number of photos in the project."""
        return sum(self.photo_counts().values())

    def photos(self, class_name: str, test: bool = False) -> list[StoredPhoto]:
        """Returns the photos of one class, oldest first.

        Args:
            class_name: The class.
            test: Its test photos rather than its training photos (`tlcore.test_photos`).

        Returns:
            Its photos.

        Raises:
            ClassNameError: If there is no such class.
        """
        entry = _find_class(self._metadata, class_name)
        return [
            self._stored_photo(entry, record, test) for record in test_photos.records(entry, test)
        ]

    def find_photo(self, content_hash: str) -> StoredPhoto | None:
        """Finds a photo of the project by the hash of its bytes.

        Args:
            content_hash: The hash, as `tlcore.images.content_hash` gives it.

        Returns:
            The photo, or None if the project does not hold it.
        """
        # The index is built once for each version of the project's record: a page showing a
        # few dozen photos of a 20,000-photo project looks each one up.
        metadata = self._metadata
        if self._photo_index is None or self._photo_index[0] is not metadata:
            index = {
                record["content_hash"]: (entry, record)
                for entry in metadata["classes"]
                for record in entry["photos"]
            }
            self._photo_index = (metadata, index)
        found = self._photo_index[1].get(content_hash)
        return self._stored_photo(*found) if found is not None else None

    def to_dataset(self, test: bool = False) -> datasets.Dataset:
        """Returns the project's photos as a dataset to train on.

        Args:
            test: The test photos rather than the training photos (`tlcore.test_photos`).

        Returns:
            A dataset whose photos point at the stored files.
        """
        photos = []
        for entry in self._metadata["classes"]:
            for record in test_photos.records(entry, test):
                stored = self._stored_photo(entry, record, test)
                photos.append(
                    datasets.Photo(
                        file_name=stored.file_name,
                        class_name=stored.class_name,
                        content_hash=stored.content_hash,
                        path=stored.path,
                    )
                )
        return datasets.Dataset(
            class_names=self.class_names, photos=photos, skipped=[], duplicates=[]
        )

    # Changing classes.

    def add_class(self, name: str) -> str:
        """Adds an empty class.

        Args:
            name: The class name a person typed.

        Returns:
            The name as stored (surrounding spaces removed).

        Raises:
            ClassNameError: If the name is empty, unusable or already a class.
        """
        with self._editing() as metadata:
            return self._add_class_entry(metadata, name)

    def rename_class(self, old_name: str, new_name: str) -> str:
        """Renames a class; its photos stay with it.

        Args:
            old_name: The class's current name.
            new_name: The name wanted.

        Returns:
            The new name as stored.

        Raises:
            ClassNameError: If there is no class `old_name`, or `new_name` cannot be used.
        """
        with self._editing() as metadata:
            entry = _find_class(metadata, old_name)
            others = [item["name"] for item in metadata["classes"] if item is not entry]
            new_name = names.check_new_class_name(new_name, others)
            # The photos keep their folder: it is only storage, and moving it is not atomic.
            entry["name"] = new_name
            return new_name

    def delete_class(self, name: str) -> None:
        """Deletes a class and its photos.

        Args:
            name: The class.

        Raises:
            ClassNameError: If there is no such class.
        """
        with self._editing() as metadata:
            entry = _find_class(metadata, name)
            metadata["classes"].remove(entry)
        shutil.rmtree(self.folder / PHOTOS_FOLDER / entry["folder"], ignore_errors=True)

    # Changing photos.

    def add_photos(
        self, class_name: str, files: Iterable[tuple[str, bytes]], test: bool = False
    ) -> AddResult:
        """Adds photos to a class, keeping the readable ones and naming the others.

        When the batch holds more bytes than `Limits.max_upload_bytes`, or the project would
        hold more photos than `Limits.max_photos_per_project`, or the disk fills up, the photos
        that fit are kept and the others are named in `AddResult.left_out`, with the reason.

        Args:
            class_name: The class the photos belong to.
            files: `(file_name, bytes)` pairs, as uploaded.
            test: Keep them as test photos, apart from training (`tlcore.test_photos`).

        Returns:
            Which files were added, skipped as unreadable, already in the project, or left out.

        Raises:
            ClassNameError: If there is no such class.
            DiskFullError: If the disk has no room even for the list of photos; the project is
                then as it was before.
        """
        within, over_size = _split_by_size(list(files), self.workspace.limits.max_upload_bytes)
        checked, skipped = _check_photos(within)
        with self._storing() as written, self._editing() as metadata:
            entry = _find_class(metadata, class_name)
            result = self._store_photos(metadata, entry, checked, written, test)
        return dataclasses.replace(
            result, skipped=skipped + result.skipped, left_out=over_size + result.left_out
        )

    def add_dataset(self, dataset: datasets.Dataset, test: bool = False) -> AddResult:
        """Adds a dataset read from a zip or a folder: its classes (when new) and its photos.

        Each photo's bytes are read only as it is stored, so a folder of thousands of photos
        never sits in memory at once. Photos beyond `Limits.max_upload_bytes` in all (counted
        class by class, in the order of `dataset.class_names`) are left out with the reason.

        Args:
            dataset: The dataset, as `tlcore.datasets.load_zip` or `load_folder` returns it.
            test: Keep its photos as test photos (`tlcore.test_photos`); test photos make no
                class, so those of a class the project lacks are skipped with the reason.

        Returns:
            What was added, skipped and found twice, with the classes that were created.
        """
        photos_by_class: dict[str, list[datasets.Photo]] = {
            name: [] for name in dataset.class_names
        }
        for photo in dataset.photos:
            photos_by_class[photo.class_name].append(photo)
        byte_budget = _ByteBudget(self.workspace.limits.max_upload_bytes)
        added, duplicates, created = [], list(dataset.duplicates), []
        skipped = list(dataset.skipped)
        with self._storing() as written, self._editing() as metadata:
            existing = {names.comparison_key(entry["name"]): entry for entry in metadata["classes"]}
            for class_name, photos in photos_by_class.items():
                entry = existing.get(names.comparison_key(class_name))
                if entry is None and not photos:
                    # A folder none of whose files could be used would be an empty new
                    # class; the skipped files say why nothing was made.
                    continue
                if entry is None and test:
                    reason = test_photos.unknown_class_reason(class_name)
                    skipped.extend(
                        datasets.SkippedFile(photo.file_name, reason) for photo in photos
                    )
                    continue
                if entry is None:
                    stored_name = self._add_class_entry(metadata, class_name)
                    created.append(stored_name)
                    entry = _find_class(metadata, stored_name)
                    existing[names.comparison_key(stored_name)] = entry
                result = self._store_photos(
                    metadata, entry, byte_budget.read(photos), written, test
                )
                added.extend(result.added)
                duplicates.extend(result.duplicates)
                byte_budget.left_out.extend(result.left_out)
        return AddResult(
            added=added,
            skipped=skipped,
            duplicates=duplicates,
            created_classes=created,
            left_out=byte_budget.left_out,
        )

    def remove_photo(self, class_name: str, content_hash: str, test: bool = False) -> None:
        """Removes one photo from a class.

        Args:
            class_name: The class that holds it.
            content_hash: The hash of the photo's bytes.
            test: It is one of the class's test photos (`tlcore.test_photos`).

        Raises:
            ClassNameError: If there is no such class.
        """
        with self._editing() as metadata:
            entry = _find_class(metadata, class_name)
            listed = test_photos.records(entry, test)
            kept = [record for record in listed if record["content_hash"] != content_hash]
            removed = [record for record in listed if record["content_hash"] == content_hash]
            entry[test_photos.records_key(test)] = kept
        for record in removed:
            self._photo_path(entry, record, test).unlink(missing_ok=True)

    # The trained model.

    def save_trained(self, trained) -> None:
        """Saves a trained model as the project's model, replacing the previous one.

        Args:
            trained: The `tlcore.training.TrainedModel` to keep.
        """
        from tlcore import projects

        with _lock_for(self.folder):
            if not (self.folder / PROJECT_FILE).is_file():
                # Deleted while it was training: writing now would bring back half a project.
                raise WorkspaceError(
                    "This project was deleted while it was training, so the model was not kept."
                )
            evaluation = trained.evaluation.to_dict() if trained.evaluation is not None else None
            record = {
                "created_at": str(trained.created_at),
                "class_names": list(trained.class_names),
                "settings": _settings_dict(trained.settings),
                "history": {
                    key: [float(value) for value in values]
                    for key, values in trained.history.items()
                },
                "evaluation": evaluation,
                "backbone_id": trained.backbone_id,
                "headline": trained.headline.to_dict() if trained.headline is not None else None,
                "one_sitting": list(getattr(trained, "one_sitting", None) or []),
            }
            # Both files are written in full before either replaces its old version, so a full
            # disk or a kill leaves the previous model with its own record.
            model_temporary = _temporary_path(self.model_path)
            record_temporary = _temporary_path(self.folder / TRAINING_FILE)
            try:
                with _disk_errors("the trained model"):
                    projects.save_project(trained, model_temporary)
                    _write_file(record_temporary, _json_bytes(record))
                os.replace(model_temporary, self.model_path)
                os.replace(record_temporary, self.folder / TRAINING_FILE)
            finally:
                model_temporary.unlink(missing_ok=True)
                record_temporary.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                # A full disk costs only the copy kept for the history of trainings.
                history.keep(
                    self.folder, self.model_path, {**record, "photo_counts": self.photo_counts()}
                )
            with self._editing(changes_photos=False) as metadata:
                metadata["trained_at"] = _now()

    def trainings(self) -> list[history.Entry]:
        """Returns the trainings kept for this project, newest first (`tlcore.history`)."""
        return history.entries(self.folder)

    def restore_training(self, entry_id: str) -> None:
        """Makes an earlier training's model the project's model again.

        Args:
            entry_id: The kept training's id (`history.Entry.entry_id`).

        Raises:
            WorkspaceError: If that training is no longer kept.
            DiskFullError: If the disk has no room; the current model stays.
        """
        with _lock_for(self.folder):
            entry = history.find(self.folder, entry_id)
            if entry is None:
                raise WorkspaceError("That training is no longer kept; choose another one.")
            record = {key: value for key, value in entry.record.items() if key != "photo_counts"}
            _write_bytes(self.model_path, entry.model_path.read_bytes(), "the model")
            _write_json(self.folder / TRAINING_FILE, record, "the model")
            with self._editing(changes_photos=False) as metadata:
                # Photos changed after that training show as changes since training.
                metadata["trained_at"] = entry.created_at

    def load_trained(self):
        """Loads the project's trained model.

        Returns:
            The `tlcore.training.TrainedModel`, or None if the project was never trained.

        Raises:
            ProjectFileError: If the saved model cannot be read.
        """
        from tlcore import projects

        if not self.has_trained_model:
            return None
        return projects.load_project(self.model_path)

    def training_record(self) -> TrainingRecord | None:
        """Returns the summary of the last training, without loading the model.

        Returns:
            The summary, or None if the project was never trained.
        """
        path = self.folder / TRAINING_FILE
        if not path.is_file() or not self.has_trained_model:
            return None
        data = _read_json(path)
        return TrainingRecord(
            created_at=data["created_at"],
            class_names=list(data["class_names"]),
            settings=dict(data.get("settings") or {}),
            history={key: list(values) for key, values in (data.get("history") or {}).items()},
            evaluation=data.get("evaluation"),
            backbone_id=data.get("backbone_id", ""),
            headline=data.get("headline"),
            one_sitting=list(data.get("one_sitting") or []),
        )

    # Internals.

    class _EditingContext:
        """Rereads the metadata under the lock, hands it out, and writes it back on success."""

        def __init__(self, project: "Project", changes_photos: bool):
            self.project = project
            self.changes_photos = changes_photos
            self.lock = _lock_for(project.folder)

        def __enter__(self) -> dict:
            self.lock.acquire()
            try:
                if not (self.project.folder / PROJECT_FILE).is_file():
                    raise WorkspaceError(
                        "This project no longer exists. It may have been deleted in another tab."
                    )
                self.metadata = _read_json(self.project.folder / PROJECT_FILE)
            except BaseException:
                self.lock.release()
                raise
            return self.metadata

        def __exit__(self, exception_type, exception, traceback) -> None:
            try:
                if exception_type is None:
                    now = _now()
                    self.metadata["updated_at"] = now
                    if self.changes_photos:
                        self.metadata["changed_at"] = now
                    _write_json(self.project.folder / PROJECT_FILE, self.metadata, "your change")
                    self.project._metadata = self.metadata
            finally:
                self.lock.release()

    def _editing(self, changes_photos: bool = True) -> "_EditingContext":
        return Project._EditingContext(self, changes_photos)

    def _add_class_entry(self, metadata: dict, name: str) -> str:
        """Adds a class to the metadata and makes its photo folder; returns its stored name."""
        name = names.check_new_class_name(name, [entry["name"] for entry in metadata["classes"]])
        folder = names.folder_name_for(name)
        used = {entry["folder"] for entry in metadata["classes"]}
        # Two names can map to the same folder (or a deleted class may have left one behind),
        # so a number makes the folder unique.
        candidate, number = folder, 2
        while candidate in used or (self.folder / PHOTOS_FOLDER / candidate).exists():
            candidate = f"{folder}-{number}"
            number += 1
        with _disk_errors(f"the class '{name}'"):
            (self.folder / PHOTOS_FOLDER / candidate).mkdir(parents=True)
        metadata["classes"].append({"name": name, "folder": candidate, "photos": []})
        return name

    @contextlib.contextmanager
    def _storing(self) -> Iterator[list[Path]]:
        """Yields the list of photo files a change writes, and removes them if the change fails.

        A photo file is written before `project.json` lists it; when `project.json` cannot be
        written (a full disk), the new files would be listed nowhere, so they are removed.
        """
        written: list[Path] = []
        try:
            yield written
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def _store_photos(
        self,
        metadata: dict,
        entry: dict,
        checked: list[tuple[str, bytes, str]],
        written: list[Path],
        test: bool = False,
    ) -> AddResult:
        """Writes checked photos into a class's folder, leaving out those already present.

        Photos beyond `Limits.max_photos_per_project`, and every photo after the disk filled
        up, are left out with the reason; the paths written are appended to `written`. With
        `test`, they are kept as test photos; a photo is never both a training and a test
        photo (`tlcore.test_photos`).
        """
        known = test_photos.known_photos(metadata)
        limit = self.workspace.limits.max_photos_per_project
        room = limit - test_photos.stored_count(metadata)
        added, duplicates, left_out = [], [], []
        stop_reason = None
        for file_name, data, extension in checked:
            if stop_reason is None and room <= 0:
                stop_reason = (
                    f"the project holds {limit} photos, the most a project can have; delete "
                    "photos it does not need, or start another project"
                )
            if stop_reason is not None:
                left_out.append(datasets.SkippedFile(file_name=file_name, reason=stop_reason))
                continue
            content_hash = images.content_hash(data)
            if content_hash in known:
                original_name, original_class = known[content_hash]
                duplicates.append(
                    datasets.DuplicatePhoto(
                        file_name=file_name,
                        class_name=entry["name"],
                        duplicate_of=original_name,
                        duplicate_of_class=original_class,
                    )
                )
                continue
            record = {
                "file_name": file_name,
                "content_hash": content_hash,
                "extension": extension,
                "added_at": _now(),
            }
            path = self._photo_path(entry, record, test)
            try:
                _write_bytes(path, data, what=f"'{file_name}'")
            except DiskFullError as error:
                # The photos written so far are kept; this one and the rest are named.
                stop_reason = error.reason
                left_out.append(datasets.SkippedFile(file_name=file_name, reason=stop_reason))
                continue
            written.append(path)
            entry.setdefault(test_photos.records_key(test), []).append(record)
            known[content_hash] = (file_name, entry["name"])
            added.append(file_name)
            room -= 1
        return AddResult(added=added, duplicates=duplicates, left_out=left_out)

    def _photo_path(self, entry: dict, record: dict, test: bool = False) -> Path:
        folder = self.folder / PHOTOS_FOLDER / entry["folder"]
        if test:
            folder = folder / test_photos.SUBFOLDER
        return folder / f"{record['content_hash']}.{record['extension']}"

    def _stored_photo(self, entry: dict, record: dict, test: bool = False) -> StoredPhoto:
        return StoredPhoto(
            file_name=record["file_name"],
            class_name=entry["name"],
            content_hash=record["content_hash"],
            path=self._photo_path(entry, record, test),
            added_at=record["added_at"],
        )

    def move_photo(self, content_hash: str, from_class: str, to_class: str) -> None:
        """Moves one photo to another class, to correct its label.

        The photo is linked (or copied) into its new class's folder before `project.json`
        changes and removed from the old folder only after, so a crash leaves it in one class
        or the other, never in neither.

        Args:
            content_hash: The hash of the photo's bytes.
            from_class: The class that holds it now.
            to_class: The class it belongs to.

        Raises:
            ClassNameError: If either class does not exist.
            WorkspaceError: If the photo is no longer in `from_class` (moved or removed in
                another tab).
        """
        if from_class == to_class:
            return
        new_path = None
        try:
            with self._editing() as metadata:
                source = _find_class(metadata, from_class)
                target = _find_class(metadata, to_class)
                record = next(
                    (item for item in source["photos"] if item["content_hash"] == content_hash),
                    None,
                )
                if record is None:
                    raise WorkspaceError(
                        f"This photo is no longer in '{from_class}'. It may have been moved or "
                        "removed in another tab."
                    )
                old_path = self._photo_path(source, record)
                candidate = self._photo_path(target, record)
                candidate.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(old_path, candidate)
                except FileExistsError:
                    pass
                except OSError:
                    shutil.copyfile(old_path, candidate)
                new_path = candidate
                source["photos"].remove(record)
                target["photos"].append(record)
        except BaseException:
            if new_path is not None:
                new_path.unlink(missing_ok=True)
            raise
        old_path.unlink(missing_ok=True)


def _check_photos(
    files: Iterable[tuple[str, bytes]],
) -> tuple[list[tuple[str, bytes, str]], list[datasets.SkippedFile]]:
    """Splits uploaded files into readable photos (with their extension) and skipped files."""
    checked, skipped = [], []
    for file_name, data in files:
        try:
            images.load_image(data, file_name=file_name)
        except errors.UnreadableImageError as error:
            skipped.append(datasets.SkippedFile(file_name=file_name, reason=error.reason))
            continue
        checked.append((file_name, data, _extension_for(data)))
    return checked, skipped


def _extension_for(data: bytes) -> str:
    """Returns the extension to store a readable photo under, from its real format.

    The file's own name is not trusted: a PNG called `photo.jpg` is stored as `.png`.
    """
    with Image.open(io.BytesIO(data)) as image:
        return _EXTENSIONS.get(image.format or "", "img")


def _find_class(metadata: dict, name: str) -> dict:
    """Returns a class's entry in the metadata, by exact name."""
    for entry in metadata["classes"]:
        if entry["name"] == name:
            return entry
    raise errors.ClassNameError(f"There is no class called '{name}' in this project.")


def _clean_project_name(name: str) -> str:
    """Cleans a project name, turning a bad one into a `WorkspaceError`."""
    try:
        return names.clean_project_name(name)
    except errors.TlcoreError as error:
        raise WorkspaceError(str(error)) from None


def _settings_dict(settings) -> dict:
    """Returns training settings as a plain dictionary for JSON."""
    if hasattr(settings, "to_dict"):
        return settings.to_dict()
    return dataclasses.asdict(settings)


def _lock_for(folder: Path) -> threading.RLock:
    """Returns the process-wide lock of one folder (a project, or the workspace itself)."""
    key = str(Path(folder).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


def _now() -> str:
    """Returns the current time in UTC as an ISO 8601 string, precise to the microsecond."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _json_bytes(data: dict) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def _write_json(path: Path, data: dict, what: str = "your change") -> None:
    _write_bytes(path, _json_bytes(data), what)


def _write_bytes(path: Path, data: bytes, what: str = "your change") -> None:
    """Writes a file atomically: to a temporary file in the same folder, then moved in place.

    Args:
        path: The file to write.
        data: Its content.
        what: What the file holds, in words, for the message of a full disk.

    Raises:
        DiskFullError: If the disk has no room; the old file, if any, is left as it was.
    """
    temporary = _temporary_path(path)
    try:
        with _disk_errors(what):
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(temporary, data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary_path(path: Path) -> Path:
    """Returns a new temporary file's name beside `path`: hidden, and ending in `.tmp`."""
    return path.parent / f".{path.name}.{secrets.token_hex(6)}{_TEMPORARY_SUFFIX}"


def _write_file(path: Path, data: bytes) -> None:
    """Writes a new file and forces it to the disk, so a later rename publishes all of it."""
    with open(path, "xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


@contextlib.contextmanager
def _disk_errors(what: str) -> Iterator[None]:
    """Turns the `OSError` of a disk without room into a `DiskFullError` about `what`."""
    try:
        yield
    except OSError as error:
        kind = _DISK_FULL_ERRNOS.get(error.errno)
        if kind is None:
            raise
        reason = (
            "the server's disk is full"
            if kind == "full"
            else "the server refuses to store a file this large"
        )
        raise DiskFullError(what, reason) from error


def _split_by_size(
    files: list[tuple[str, bytes]], max_bytes: int
) -> tuple[list[tuple[str, bytes]], list[datasets.SkippedFile]]:
    """Keeps the first files of a batch up to `max_bytes` in all, and names the others.

    Args:
        files: `(file_name, bytes)` pairs, in the order they were given.
        max_bytes: The most bytes the files kept may hold together.

    Returns:
        The files kept (the first ones), and the others, each with the reason.
    """
    total = 0
    for index, (_, data) in enumerate(files):
        total += len(data)
        if total > max_bytes:
            reason = (
                f"the upload holds more than {_megabytes(max_bytes)} in all, the most one "
                "upload may hold; add these photos in another upload"
            )
            left_out = [datasets.SkippedFile(file_name=name, reason=reason) for name, _ in files]
            return files[:index], left_out[index:]
    return files, []


class _ByteBudget:
    """Reads photos one at a time until they hold `max_bytes` in all, and names the others.

    Args:
        max_bytes: The most bytes the photos read may hold together.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.used = 0
        self.left_out: list[datasets.SkippedFile] = []

    def read(self, photos: list[datasets.Photo]) -> Iterator[tuple[str, bytes, str]]:
        """Yields `(file_name, bytes, extension)` for each photo that still fits.

        Args:
            photos: The photos, read in this order.

        Yields:
            The photos that fit; the others are appended to `left_out`.
        """
        for photo in photos:
            if self.used <= self.max_bytes:
                data = photo.read_bytes()
                self.used += len(data)
            if self.used > self.max_bytes:
                reason = (
                    f"the upload holds more than {_megabytes(self.max_bytes)} in all, the most "
                    "one upload may hold; add these photos in another upload"
                )
                self.left_out.append(datasets.SkippedFile(file_name=photo.file_name, reason=reason))
                continue
            yield photo.file_name, data, _extension_for(data)


def _megabytes(count: int) -> str:
    """Returns a byte count in words, such as "200 MB" or "0.5 MB"."""
    return f"{count / 1024**2:.3g} MB"
