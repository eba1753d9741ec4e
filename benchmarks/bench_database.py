"""Times the store on large metadata: one photo added to a 20,000-photo project, a listing of 100.

    python -m benchmarks.bench_database [--workspace FOLDER]

Run it from a checkout, with that checkout's `tlcore` first on the path, to compare versions.
The workspaces (in FOLDER, or a temporary folder) are written in the `project.json` layout of
the store's first version (0.1.0), which the database imports on its first opening (timed too).
Photo files are left out: only the metadata is timed, and a photo is found by its hash in the
metadata, not on disk. `TLCORE_DATABASE_URL=postgresql://...` times PostgreSQL instead of the
workspace's SQLite file. Prints each figure and records them (`benchmarks.results`).
"""

import argparse
import hashlib
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from benchmarks import results
from tlcore import store
from tlcore.store import database, postgres

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


def measure(root: Path) -> list[tuple]:
    """Writes the old workspaces under `root`, times the store on them and prints each figure;
    returns the figures."""
    big_root, many_root = root / "big", root / "many"
    big_id = old_project(big_root, "Big", 200, 100)
    for number in range(100):
        old_project(many_root, f"Project {number}", 10, 20)
    started = time.perf_counter()
    big_space = store.Workspace(big_root)
    many_space = store.Workspace(many_root)
    first_opening = time.perf_counter() - started
    print(f"first opening (an import, where the database exists): {first_opening:.2f} s")
    project = big_space.open_project(big_id)
    photo_count = project.photo_count()
    seeds = iter(range(1000))
    add_one = lambda: project.add_photos("Class 0", [("new.png", photo_bytes(next(seeds)))])  # noqa: E731
    add_one_ms = timed(add_one) * 1000
    print(f"add 1 photo to a {photo_count}-photo project: {add_one_ms:.0f} ms")
    add_fresh = lambda: big_space.open_project(big_id).add_photos(  # noqa: E731
        "Class 1", [("new.png", photo_bytes(next(seeds)))]
    )
    add_fresh_ms = timed(add_fresh) * 1000
    print(f"open it and add 1 photo: {add_fresh_ms:.0f} ms")
    listing = lambda: many_space.list_projects(OWNER)  # noqa: E731
    listed = len(listing())
    listing_ms = timed(listing) * 1000
    print(f"list {listed} projects: {listing_ms:.1f} ms")
    open_one = lambda: big_space.open_project(big_id).photo_counts()  # noqa: E731
    open_ms = timed(open_one) * 1000
    print(f"open the 20,000-photo project and count its photos: {open_ms:.0f} ms")
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return [
        (
            f"add 1 photo to the {photo_count:,}-photo project (same Project), median of 5",
            add_one_ms,
            "ms",
        ),
        ("open the project and add 1 photo, median of 5", add_fresh_ms, "ms"),
        (f"list {listed} projects (Home), median of 5", listing_ms, "ms"),
        ("open the 20,000-photo project and count its photos, median of 5", open_ms, "ms"),
        (
            "first opening of the old workspaces (import of 20,000 + 100 x 200 photos)",
            first_opening,
            "s",
        ),
    ]


def main(argv=None) -> int:
    """Times the store and records the figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_database")
    parser.add_argument(
        "--workspace", type=Path, help="where the workspaces are written (a temporary folder)"
    )
    arguments = parser.parse_args(argv)
    load_before = results.load_average()
    if arguments.workspace:
        figures = measure(arguments.workspace)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-database-") as folder:
            figures = measure(Path(folder))
    url = os.environ.get(database.DATABASE_URL_VARIABLE, "")
    kind = "PostgreSQL" if postgres.is_postgres_url(url) else "SQLite"
    results.record(
        "bench_database",
        figures,
        argv=argv,
        load_before=load_before,
        notes=f"database: {kind}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
