"""Finding the pretrained weights: a folder you name, Keras' cache, or a download.

The order is fixed so that an offline server works when given a folder, and a machine with
internet works with nothing set:

1. an explicit folder: the `weights_dir` argument (the command line's `--weights-dir`), else the
   `TLCORE_WEIGHTS_DIR` environment variable;
2. Keras' own cache: `$KERAS_HOME/models`, else `~/.keras/models`;
3. Keras' download, which stores the file in that cache for next time.
"""

import os
import pathlib

from tlcore import errors
from tlcore.nets import backbones

WEIGHTS_DIR_VARIABLE = "TLCORE_WEIGHTS_DIR"


def keras_cache_dir() -> pathlib.Path:
    """Returns the folder where Keras keeps downloaded weights."""
    keras_home = os.environ.get("KERAS_HOME")
    if keras_home:
        return pathlib.Path(keras_home).expanduser() / "models"
    return pathlib.Path("~/.keras/models").expanduser()


def candidate_paths(
    backbone: backbones.Backbone, weights_dir: str | os.PathLike | None = None
) -> list[pathlib.Path]:
    """Lists where the weight file is looked for, in order.

    Args:
        backbone: The backbone whose weights are wanted.
        weights_dir: An explicit folder, which comes first when given.

    Returns:
        The paths to try. A folder may hold the file directly or in a `models/` sub-folder, as
        Keras' own cache lays it out.
    """
    folders: list[pathlib.Path] = []
    explicit = weights_dir or os.environ.get(WEIGHTS_DIR_VARIABLE)
    if explicit:
        explicit_folder = pathlib.Path(explicit).expanduser()
        folders += [explicit_folder, explicit_folder / "models", explicit_folder / "keras/models"]
    folders.append(keras_cache_dir())
    return [folder / backbone.weights_file for folder in folders]


def find_weights(
    backbone: backbones.Backbone,
    weights_dir: str | os.PathLike | None = None,
    allow_download: bool = True,
) -> pathlib.Path:
    """Finds the backbone's weight file on disk, downloading it if it is nowhere.

    Args:
        backbone: The backbone whose weights are wanted.
        weights_dir: An explicit folder to look in first.
        allow_download: Whether to try Keras' download when no folder has the file.

    Returns:
        The path of the weight file.

    Raises:
        WeightsNotFoundError: If the file is not on disk and cannot be downloaded. The message
            names the file and the folders it can be put in.
    """
    for path in candidate_paths(backbone, weights_dir):
        if path.is_file() and path.stat().st_size > 0:
            return path
    if allow_download:
        try:
            return download_weights(backbone)
        except Exception as error:  # noqa: BLE001 - any failure means "offline" to the user.
            reason = f" (the download failed: {error})"
    else:
        reason = ""
    raise errors.WeightsNotFoundError(
        f"The pretrained network's weights are not on this computer and could not be "
        f"downloaded{reason}. Put the file '{backbone.weights_file}' in a folder and set "
        f"{WEIGHTS_DIR_VARIABLE} to that folder (or pass --weights-dir), or put it in "
        f"{keras_cache_dir()}."
    )


def download_weights(backbone: backbones.Backbone) -> pathlib.Path:
    """Downloads the weight file into Keras' cache through Keras' own downloader.

    Args:
        backbone: The backbone whose weights are wanted.

    Returns:
        The path of the downloaded file.
    """
    # Imported here so that finding a file on disk never pays for importing Keras.
    import keras

    downloaded = keras.utils.get_file(
        fname=backbone.weights_file,
        origin=backbone.weights_url,
        cache_subdir="models",
    )
    return pathlib.Path(downloaded)
