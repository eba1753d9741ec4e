"""What each photo's pixels look like (`checks.health.PhotoLook`), kept on disk by content hash.

The data check measures every photo's size, sharpness and light; that means decoding it, most
of a check's time once its features are cached. A photo's bytes never change under its content
hash, so its look is measured once: a second check of an unchanged project decodes no photo.

The looks sit beside the feature cache (`<workspace>/.cache/looks/`), in up to 256 small JSON
files named by the first two characters of the hash, each written atomically
(`tlcore.files`). Two checks writing at once may each lose the other's new looks; they
are then simply measured again.
"""

import json
import os
import pathlib

from tlcore import errors, files

#: Changes whenever `checks.health.look_at` measures differently, so old looks are never reused.
LOOK_VERSION = 1

# The fields of `checks.health.PhotoLook`, in the order a cached look lists them.
_FIELDS = ("width", "height", "sharpness", "brightness", "white_share", "contrast")


class LookCache:
    """Photo looks on disk, by content hash.

    Args:
        folder: The folder of the cache; made when first written.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = pathlib.Path(folder) / f"v{LOOK_VERSION}"

    @classmethod
    def beside(cls, embedding_cache_dir: str | os.PathLike) -> "LookCache":
        """The cache beside a feature cache (`<.cache>/embeddings` -> `<.cache>/looks`)."""
        return cls(pathlib.Path(embedding_cache_dir).parent / "looks")

    def get_many(self, content_hashes) -> dict[str, dict]:
        """Returns the cached looks of the photos that have one, as field dictionaries.

        Args:
            content_hashes: The photos' content hashes.

        Returns:
            `{content_hash: {field: value}}` for those found.
        """
        wanted: dict[str, list[str]] = {}
        for content_hash in content_hashes:
            wanted.setdefault(content_hash[:2], []).append(content_hash)
        found = {}
        for prefix, hashes in wanted.items():
            stored = self._read(prefix)
            for content_hash in hashes:
                values = stored.get(content_hash)
                if isinstance(values, list) and len(values) == len(_FIELDS):
                    found[content_hash] = dict(zip(_FIELDS, values, strict=True))
        return found

    def put_many(self, looks: dict[str, dict]) -> None:
        """Stores new looks, merged into their files; a disk problem only loses the cache.

        Args:
            looks: `{content_hash: {field: value}}`.
        """
        by_prefix: dict[str, dict] = {}
        for content_hash, look in looks.items():
            if content_hash.isalnum():
                by_prefix.setdefault(content_hash[:2], {})[content_hash] = [
                    look[field] for field in _FIELDS
                ]
        for prefix, new in by_prefix.items():
            try:
                self._write(prefix, {**self._read(prefix), **new})
            except (OSError, errors.DiskFullError):
                # The cache only saves time: a full or read-only disk costs the next check.
                return

    def _path(self, prefix: str) -> pathlib.Path:
        return self.folder / f"{prefix}.json"

    def _read(self, prefix: str) -> dict:
        if not prefix.isalnum():
            return {}
        try:
            with open(self._path(prefix), encoding="utf-8") as file:
                stored = json.load(file)
        except (OSError, ValueError):
            # Missing is the usual case; a damaged file is measured again and rewritten.
            return {}
        return stored if isinstance(stored, dict) else {}

    def _write(self, prefix: str, data: dict) -> None:
        # Like the feature cache, not forced to the disk: a damaged file is measured again.
        encoded = json.dumps(data, separators=(",", ":")).encode("utf-8")
        files.write_atomically(self._path(prefix), encoded, "the looks of photos", durable=False)
