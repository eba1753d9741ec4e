"""Times the store on large metadata: one photo added to a 20,000-photo project, a listing of 100.

Run it from a checkout, with that checkout's `tlcore` first on the path, to compare versions:

    .venv/bin/python tests/database_bench.py /tmp/bench-workspace

The workspace is written in the `project.json` layout of the store before the database, which
the database version imports on its first opening (timed too). Photo files are left out: only
the metadata is timed, and a photo is found by its hash in the metadata, not on disk.
"""

import hashlib
import io
import json
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tlcore import store

OWNER = "bench-owner"


def photo_bytes(seed: int) -> bytes:
    """A small PNG, different for each seed."""
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), (seed % 256, (seed // 256) % 256, 77)).save(buffer, format="PNG")
    return buffer.getvalue()


def old_project(root: Path, name: str, classes: int, photos_per_class: int) -> str:
    """Writes one project in the old layout; returns its id."""
    project_id = secrets.token_hex(8)
    now = "2026-01-01T00:00:00+00:00"
    entries = []
    for class_index in range(classes):
        records = []
        for photo_index in range(photos_per_class):
            digest = hashlib.sha256(f"{name}-{class_index}-{photo_index}".encode()).hexdigest()
            records.append(
                {
                    "file_name": f"photo_{photo_index:05d}.jpg",
                    "content_hash": digest,
                    "extension": "jpg",
                    "added_at": now,
                }
            )
        entries.append(
            {"name": f"Class {class_index}", "folder": f"class_{class_index}", "photos": records}
        )
        (root / project_id / "photos" / f"class_{class_index}").mkdir(parents=True)
    metadata = {
        "format": 1,
        "id": project_id,
        "name": name,
        "owner": OWNER,
        "created_at": now,
        "updated_at": now,
        "changed_at": now,
        "trained_at": None,
        "classes": entries,
    }
    (root / project_id / "project.json").write_text(json.dumps(metadata, indent=2))
    return project_id


def timed(action, repeats: int = 5) -> float:
    """The median seconds of `repeats` runs."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(root: Path) -> None:
    big_root, many_root = root / "big", root / "many"
    big_id = old_project(big_root, "Big", 200, 100)
    for number in range(100):
        old_project(many_root, f"Project {number}", 10, 20)
    started = time.perf_counter()
    big_space = store.Workspace(big_root)
    many_space = store.Workspace(many_root)
    seconds = time.perf_counter() - started
    print(f"first opening (an import, where the database exists): {seconds:.2f} s")
    project = big_space.open_project(big_id)
    seeds = iter(range(1000))
    add_one = lambda: project.add_photos("Class 0", [("new.png", photo_bytes(next(seeds)))])  # noqa: E731
    print(f"add 1 photo to a {project.photo_count()}-photo project: {timed(add_one) * 1000:.0f} ms")
    add_fresh = lambda: big_space.open_project(big_id).add_photos(  # noqa: E731
        "Class 1", [("new.png", photo_bytes(next(seeds)))]
    )
    print(f"open it and add 1 photo: {timed(add_fresh) * 1000:.0f} ms")
    listing = lambda: many_space.list_projects(OWNER)  # noqa: E731
    print(f"list {len(listing())} projects: {timed(listing) * 1000:.1f} ms")
    open_one = lambda: big_space.open_project(big_id).photo_counts()  # noqa: E731
    print(f"open the 20,000-photo project and count its photos: {timed(open_one) * 1000:.0f} ms")
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
