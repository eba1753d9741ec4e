"""Heat maps made by a worker, kept as files of the workspace for every web server to show.

A page asks for a heat map of a photo (`tlcore.serving.explanations.grad_cam` needs TensorFlow's
gradients, so a worker makes it: `jobs.model_work.explain`). The photo is written here for the
worker (`save_photo`), the worker writes the overlay (JPEG) and its description (JSON) here
(`write`), and any web server reads them back (`read`) by the heat map's key
(`explanation_key`: the model file's version, the photo, the class, the size), so a heat map
is made once, whoever asks again. No TensorFlow here.
"""

import hashlib
import json
from pathlib import Path

from tlcore import files
from tlcore.jobs import records

EXPLANATIONS_FOLDER = "explanations"
PHOTOS_FOLDER = "photos"
# Heat maps kept per project (each a JPEG of 20-40 kB and its description); the oldest go
# first. A new model's heat maps have new keys, so the old model's are the first to go.
KEPT_PER_PROJECT = 300


def folder_of(workspace_root, project_id: str) -> Path:
    """Where a project's heat maps are kept."""
    return Path(workspace_root) / records.JOBS_FOLDER / EXPLANATIONS_FOLDER / project_id


def explanation_key(model_stamp: str, photo_hash: str, class_name: str | None, size: int) -> str:
    """Names one heat map.

    Args:
        model_stamp: Names the version of the project's model (its file's modification time).
        photo_hash: The photo's content hash.
        class_name: The class explained; None for the one the model chose.
        size: The overlay's side in pixels.
    """
    text = "|".join([model_stamp, photo_hash, class_name or "", str(size)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def save_photo(workspace_root, project_id: str, photo_hash: str, data: bytes) -> Path:
    """Writes a photo to explain for the worker; returns its path.

    Raises:
        DiskFullError: The disk has no room.
    """
    path = folder_of(workspace_root, project_id) / PHOTOS_FOLDER / photo_hash
    if not path.is_file():
        files.write_atomically(path, data, "the photo", durable=False)
    return path


def write(workspace_root, project_id: str, key: str, overlay: bytes, description: dict) -> None:
    """Writes a heat map's overlay (JPEG bytes) and its description (JSON values)."""
    folder = folder_of(workspace_root, project_id)
    files.write_atomically(folder / f"{key}.jpg", overlay, "the heat map", durable=False)
    # The description last: `read` takes its presence for the whole heat map's.
    document = json.dumps(description).encode()
    files.write_atomically(folder / f"{key}.json", document, "the heat map", durable=False)
    _forget_oldest(folder)


def _forget_oldest(folder: Path) -> None:
    """Removes the oldest heat maps (and photos sent to explain) beyond `KEPT_PER_PROJECT`."""
    for pattern in ("*.json", f"{PHOTOS_FOLDER}/*"):
        found = sorted(folder.glob(pattern), key=_modified_or_zero)
        for path in found[: max(0, len(found) - KEPT_PER_PROJECT)]:
            path.unlink(missing_ok=True)
            if path.suffix == ".json":
                path.with_suffix(".jpg").unlink(missing_ok=True)


def _modified_or_zero(path: Path) -> float:
    """A file's modification time; 0 for one removed meanwhile by another worker."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def read(workspace_root, project_id: str, key: str) -> dict | None:
    """Returns a heat map's description with its `overlay` (JPEG bytes), or None if not made.

    The description holds `predicted_class`, `probability` and `explained_class`.
    """
    folder = folder_of(workspace_root, project_id)
    try:
        description = json.loads((folder / f"{key}.json").read_text())
        return {**description, "overlay": (folder / f"{key}.jpg").read_bytes()}
    except (OSError, ValueError):
        return None
