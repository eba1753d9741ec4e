"""The built-in example photos: real grocery photos shipped with the app, so it can be tried
offline without a photo of one's own.

They are a small subset of the Grocery Store Dataset (Klasson, Zhang and Kjellström, WACV
2019; MIT License), stored in `example_photos/` beside this module with the dataset's licence
and attribution: a few products a person tells apart at a glance, with the photos of each chosen
across its near-copy groups (`features.splitting.near_copy_groups`) so they show its variety rather
than one sitting. How they were chosen, and how well the example model recognises photos of the same
products taken on another day, is in docs/decisions.md and docs/benchmarks.md.
"""

import pathlib

from tlcore import errors

#: The folder of the example photos: one sub-folder a class, named exactly as the dataset's.
PHOTOS_FOLDER = pathlib.Path(__file__).resolve().parent / "example_photos"

#: The classes of the example set, in the order the app shows them.
EXAMPLE_CLASS_NAMES = ("Banana", "Lime", "Red-Bell-Pepper", "Oatly-Oat-Milk", "Brown-Cap-Mushroom")

#: The name the app gives a project made from the example photos.
EXAMPLE_PROJECT_NAME = "Example: grocery photos"


def example_photos() -> dict[str, list[tuple[str, bytes]]]:
    """Reads the example photo set.

    Returns:
        A mapping from class name to a list of `(file_name, jpeg_bytes)` pairs, in class order
        and, within a class, by file name.

    Raises:
        TlcoreError: If the example photos are missing from the installation.
    """
    photos: dict[str, list[tuple[str, bytes]]] = {}
    for class_name in EXAMPLE_CLASS_NAMES:
        paths = sorted((PHOTOS_FOLDER / class_name).glob("*.jpg"))
        if not paths:
            raise errors.TlcoreError(
                f"The example photos of '{class_name}' are missing from {PHOTOS_FOLDER}: this "
                "installation of the app is incomplete. Create a project of your own instead."
            )
        photos[class_name] = [(path.name, path.read_bytes()) for path in paths]
    return photos
