"""The data check's photo looks are measured once per photo and kept by content hash."""

import json

from app_fixtures import grocery_photos, tiny_photo

from tlcore.checks import health, look_cache
from tlcore.data import datasets, images


def photos_of(files) -> list[datasets.Photo]:
    return [
        datasets.Photo(name, "Banana", images.content_hash(data), data=data) for name, data in files
    ]


def test_a_second_look_decodes_no_photo(tmp_path, monkeypatch):
    photos = photos_of(grocery_photos("Banana", 3) + [("dark.jpg", tiny_photo((5, 5, 5)))])
    cache = look_cache.LookCache.beside(tmp_path / "embeddings")
    first = health.look_at_photos(photos, cache=cache)
    assert len(first) == 4 and (tmp_path / "looks").is_dir()

    def no_decoding(source, file_name=None):
        raise AssertionError(f"{file_name} was decoded again")

    monkeypatch.setattr(health, "look_at", no_decoding)
    progress = []
    second = health.look_at_photos(
        photos, on_progress=lambda *done: progress.append(done), cache=cache
    )
    assert second == first and progress[-1] == (4, 4)


def test_a_damaged_cache_file_is_measured_again(tmp_path):
    photos = photos_of([("dark.jpg", tiny_photo((5, 5, 5)))])
    cache = look_cache.LookCache(tmp_path / "looks")
    first = health.look_at_photos(photos, cache=cache)
    (shard,) = cache.folder.glob("*.json")
    shard.write_text("{not json")
    assert health.look_at_photos(photos, cache=cache) == first
    assert photos[0].content_hash in json.loads(shard.read_text())
