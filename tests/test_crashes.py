"""Crashes and a full disk: nothing acknowledged is lost, and nothing half-written is used.

The server tests start the real app (`streamlit run app.py`) and kill its whole process group
with SIGKILL at three moments: while it stores an upload, while a training embeds photos, and
while it learns. Each time a new server starts on the same workspace, and the test checks, on
disk and on the page, that every photo the page had acknowledged is there with its exact bytes,
that the last completed model still loads, that `project.json` still parses, that no
temporary or unlisted file is taken for a photo or a model, and that a training cut by the
kill runs again as a job and finishes.

The disk tests run the real write paths on a disk with no room: a small tmpfs mounted as the
workspace and filled up (ENOSPC; this needs the right to mount, which CI's root has), and a
file-size limit set with RLIMIT_FSIZE (EFBIG; works for anyone). Adding photos and saving a
trained model must then end in a message, and leave the project as it was.
"""

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import resource
import signal
import subprocess
import time
import zipfile

import numpy
import pytest
from app_fixtures import (
    APP_FILE,
    APP_IMAGE_SIZE,
    FAST_PAGE_TIMEOUT,
    SLOW_PAGE_TIMEOUT,
    as_uploads,
    grocery_photos,
    texts,
    tiny_photo,
)
from PIL import Image
from server_fixtures import (
    StreamlitServer,
    chromium,
    new_page,
    running_app,
    screenshot,
    settle,
    write_photos,
)
from streamlit.testing.v1 import AppTest

from tlcore import store
from tlcore.store import locks
from tlcore.training import types

CLASSES = ("Banana", "Watermelon")
FIRST_PHOTOS = 6
# The second training adds this many photos a class, so that embedding them takes a while.
MORE_PHOTOS = 36
OWNER = "owner-token-for-crash-tests"


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_index(project_folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """Reads the project's record as stored: the path of each listed photo, by content hash."""
    metadata = store.Workspace(project_folder.parent).read_metadata(project_folder.name)
    return {
        record["content_hash"]: project_folder
        / store.PHOTOS_FOLDER
        / entry["folder"]
        / f"{record['content_hash']}.{record['extension']}"
        for entry in metadata["classes"]
        for record in entry["photos"]
    }


def assert_project_sound(project_folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """Checks that project.json parses and that each photo it lists is there, byte for byte."""
    index = read_index(project_folder)
    for content_hash, path in index.items():
        assert path.is_file(), f"{path} is listed but missing"
        assert sha256(path) == content_hash, f"{path} does not hold the bytes it was given"
    return index


def leftovers(project_folder: pathlib.Path) -> list[str]:
    """Returns the temporary files, and the photo files project.json does not list."""
    listed = set(read_index(project_folder).values())
    return sorted(
        str(path.relative_to(project_folder))
        for path in project_folder.rglob("*")
        if path.is_file()
        and (
            path.name.endswith(".tmp")
            or (path.parent.parent.name == store.PHOTOS_FOLDER and path not in listed)
        )
    )


def caught_storing(project_folder: pathlib.Path, batch: list[tuple[str, bytes]]) -> bool:
    """Waits until the server is storing the batch: True; or has recorded all of it: False."""
    hashes = {hashlib.sha256(data).hexdigest() for _, data in batch}
    deadline = time.monotonic() + 60
    while not leftovers(project_folder):
        if hashes <= set(read_index(project_folder)):
            return False
        assert time.monotonic() < deadline, "the server never started storing the upload"
        time.sleep(0.002)
    return True


# The real server, killed and started again.


@dataclasses.dataclass
class CrashSite:
    """A real server on a workspace, with one browser page on it."""

    server: StreamlitServer
    page: object
    photo_folder: pathlib.Path
    project_folder: pathlib.Path | None = None
    trained: bool = False
    address: str = ""

    @property
    def main(self):
        return self.page.get_by_test_id("stMainBlockContainer")

    def go_to(self, label: str) -> None:
        self.page.get_by_test_id("stSidebar").get_by_role("link", name=label).click()
        settle(self.page)

    def crash(self) -> None:
        """Kills the server's whole process group with SIGKILL."""
        self.address = self.page.url
        self.server.kill()
        assert not self.server.is_answering()

    def restart(self) -> None:
        """Starts a new server on the same workspace and reopens the page's last address."""
        self.server.start()
        self.page.goto(self.address)
        settle(self.page)

    def crash_and_restart(self) -> None:
        self.crash()
        self.restart()

    def upload(self, class_name: str, photos: list[tuple[str, bytes]], folder: str) -> None:
        uploader = self.page.get_by_test_id("stFileUploader").filter(
            has_text=f"Add photos of {class_name}"
        )
        uploader.locator('input[type="file"]').set_input_files(
            write_photos(self.photo_folder / folder, photos)
        )

    def ensure_project(self) -> pathlib.Path:
        """Makes the crash tests' project through the page, with its classes and first photos."""
        if self.project_folder is not None:
            return self.project_folder
        page = self.page
        page.goto(self.server.address)
        settle(page)
        page.get_by_label("Name", exact=True).fill("Crash site")
        page.get_by_role("button", name="Create project").click()
        self.main.get_by_role("heading", name="1 · Collect photos").wait_for()
        for class_name in CLASSES:
            page.get_by_label("New class").fill(class_name)
            page.get_by_role("button", name="Add class").click()
            self.main.get_by_text(f"Added the class {class_name}").wait_for()
            settle(page)
            self.upload(class_name, grocery_photos(class_name, FIRST_PHOTOS), class_name)
            self.main.get_by_text(f"Added {FIRST_PHOTOS} photos to {class_name}").wait_for()
            settle(page)
        project_id = page.url.split("project=")[1].split("&")[0]
        self.project_folder = self.server.workspace / project_id
        return self.project_folder

    def open_train_page(self, **keys: str) -> None:
        """Opens Train afresh and moves sliders to their ends.

        Args:
            **keys: For each slider to move ("photo" for the photo size, "rounds" for the
                rounds of learning, "batch" for the photos per step), "Home" for its first stop
                or "End" for its last.
        """
        self.go_to("1 · Collect photos")
        self.go_to("2 · Train")
        self.main.get_by_role("heading", name="2 · Train").wait_for(timeout=300_000)
        settle(self.page)
        self.page.get_by_text("Advanced settings").click()
        labels = {
            "photo": "Photo size",
            "rounds": "Rounds of learning",
            "batch": "Photos per step",
        }
        for word, key in keys.items():
            label = labels[word]
            slider = self.page.get_by_test_id("stSlider").filter(has_text=label)
            slider.get_by_role("slider").focus()
            self.page.keyboard.press(key)
            settle(self.page, 100)

    def ensure_trained(self) -> pathlib.Path:
        """Trains the project once to the end through the Train page, if not done yet."""
        folder = self.ensure_project()
        if not self.trained:
            self.open_train_page(photo="Home", rounds="Home")
            self.page.get_by_role("button", name="Train", exact=True).click()
            self.main.get_by_role("heading", name="Last training").wait_for(timeout=300_000)
            settle(self.page)
            self.trained = True
        return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory, engine_environment):
    """A real server and a browser page, for the whole module."""
    with (
        running_app(
            tmp_path_factory.mktemp("crash_workspace"),
            tmp_path_factory.mktemp("crash_logs"),
            # A killed worker's training runs again within seconds of the restart.
            environment={"TLCORE_JOB_STALE_SECONDS": "5"},
        ) as server,
        chromium() as browser,
    ):
        page = new_page(browser, 1280, 900, timeout_milliseconds=120_000)
        yield CrashSite(server, page, tmp_path_factory.mktemp("crash_photos"))


def model_snapshot(folder: pathlib.Path) -> tuple[str, str]:
    """Returns the hash of the model file and the text of its training record."""
    return sha256(folder / store.MODEL_FILE), (folder / store.TRAINING_FILE).read_text()


def assert_model_sound(folder: pathlib.Path) -> None:
    """Checks that the model loads, and that its training record describes that very model."""
    from tlcore.serving import project_file

    trained = project_file.load_project(folder / store.MODEL_FILE)
    record = json.loads((folder / store.TRAINING_FILE).read_text())
    assert record["created_at"] == trained.created_at
    assert record["class_names"] == trained.class_names == list(CLASSES)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.reliability(
    area="Crashes",
    case="server killed (SIGKILL) while storing an upload",
    sessions=1,
    through="real server + Chromium, restarted on the same workspace",
    expected=(
        "every photo acknowledged on the page is there, byte for byte; the unacknowledged batch "
        "is all there or not at all; no temporary or unlisted file left"
    ),
)
def test_a_kill_while_storing_an_upload_loses_no_acknowledged_photo(site):
    folder = site.ensure_project()
    site.go_to("1 · Collect photos")
    # The server is killed as soon as it has stored a photo of the batch that the project does
    # not list yet: in the middle of storing the upload. Storing takes a fraction of a second,
    # so the poll can miss it; the batch is then all recorded, and the other class's is tried.
    for class_name in CLASSES:
        acknowledged = assert_project_sound(folder)
        batch = grocery_photos(class_name, FIRST_PHOTOS + MORE_PHOTOS)[FIRST_PHOTOS:]
        site.upload(class_name, batch, f"unacknowledged-{class_name}")
        if caught_storing(folder, batch):
            break
    else:
        pytest.fail("Each upload was stored whole before the poll saw it being stored.")
    site.crash()
    assert leftovers(folder), "the kill came after the batch was recorded"
    site.restart()

    index = assert_project_sound(folder)
    assert set(acknowledged) <= set(index)
    batch_hashes = {hashlib.sha256(data).hexdigest() for _, data in batch}
    assert set(index) - set(acknowledged) <= batch_hashes
    assert len(set(index) & batch_hashes) in (0, len(batch_hashes))
    # The page shows every listed photo's class count, and the server tidied what it found.
    site.main.get_by_role("heading", name="1 · Collect photos").wait_for()
    assert f"{len(index)} photos" in site.page.get_by_test_id("stSidebar").inner_text()
    assert leftovers(folder) == []
    assert site.server.is_answering()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.reliability(
    area="Crashes",
    case="server killed (SIGKILL) while a training embeds photos",
    sessions=1,
    through="real server + Chromium, restarted on the same workspace",
    expected=(
        "the last completed model still loads with its own record until the training, queued "
        "as a job, runs again on the restarted server's worker and finishes, shown on the "
        "Train page; cached features all load"
    ),
)
def test_a_kill_while_embedding_keeps_the_last_model(site):
    folder = site.ensure_trained()
    before = model_snapshot(folder)
    project = store.Project(store.Workspace(site.server.workspace), folder.name)
    for class_name in CLASSES:
        photos = grocery_photos(class_name, FIRST_PHOTOS + MORE_PHOTOS)[FIRST_PHOTOS:]
        project.add_photos(class_name, photos)
    # The largest photo size, the slowest to embed.
    site.open_train_page(photo="End")
    cache = site.server.workspace / ".cache" / "embeddings"
    cached_before = len(list(cache.rglob("*.npy")))
    site.page.get_by_role("button", name="Train", exact=True).click()
    # The server is killed as soon as it has cached the features of its first batch of photos:
    # in the middle of embedding them.
    deadline = time.monotonic() + 180
    while len(list(cache.rglob("*.npy"))) == cached_before:
        assert time.monotonic() < deadline, "the training never started embedding"
        time.sleep(0.005)
    site.crash()
    embedded = len(list(cache.rglob("*.npy"))) - cached_before
    assert embedded < 2 * (FIRST_PHOTOS + MORE_PHOTOS), "the kill came after the embedding"
    site.restart()

    assert model_snapshot(folder) == before
    assert_model_sound(folder)
    assert_project_sound(folder)
    check_train_page_after_a_kill(site)
    assert leftovers(folder) == []
    for features in (site.server.workspace / ".cache" / "embeddings").rglob("*.npy"):
        assert numpy.load(features, allow_pickle=False).shape == (1280,)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.reliability(
    area="Crashes",
    case="server killed (SIGKILL) while a training learns",
    sessions=1,
    through="real server + Chromium, restarted on the same workspace",
    expected=(
        "never half a model; the training, queued as a job, runs again on the restarted "
        "server's worker and finishes, shown on the Train page"
    ),
)
def test_a_kill_while_learning_keeps_the_last_model(site):
    folder = site.ensure_trained()
    before = model_snapshot(folder)
    # Many rounds of small steps keep the learning going for a few seconds.
    site.open_train_page(photo="Home", rounds="End", batch="Home")
    site.page.get_by_role("button", name="Train", exact=True).click()
    site.main.get_by_text("Step 2 of 2").wait_for(timeout=300_000)
    site.crash_and_restart()

    # The kill may land after the new model was saved whole; it must never be half of one.
    assert_model_sound(folder)
    assert_project_sound(folder)
    check_train_page_after_a_kill(site)
    assert model_snapshot(folder) != before
    assert_model_sound(folder)
    assert leftovers(folder) == []


def check_train_page_after_a_kill(site: CrashSite) -> None:
    """The Train page after a restart: the killed worker's job runs again and finishes.

    The server's kill took its local worker with it; the job's record kept the training, and
    the restarted server's worker runs it again once the heartbeat is stale.
    """
    site.go_to("2 · Train")
    site.main.get_by_role("heading", name="2 · Train").wait_for(timeout=300_000)
    site.main.get_by_text("Training finished").wait_for(timeout=300_000)
    site.main.get_by_role("heading", name="Last training").wait_for()
    settle(site.page)
    assert not site.main.get_by_text("The last training did not finish").count()
    screenshot(site.page, "crash_train_after_restart")
    site.page.reload()
    settle(site.page)
    site.main.get_by_role("heading", name="2 · Train").wait_for(timeout=300_000)
    assert not site.main.get_by_text("Training finished").count()


# What a killed server leaves behind, made by hand.


@pytest.mark.reliability(
    area="Crashes",
    case="files a killed server left: temporary files, unlisted photos, half-deleted projects",
    through="Workspace, Workspace.open_project",
    expected="never listed or loaded; removed when the workspace and the project are opened",
)
def test_what_a_killed_server_left_is_never_used_and_is_removed(tmp_path, monkeypatch):
    space = store.Workspace(tmp_path)
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    project.add_photos("Apple", [("red.png", tiny_photo((200, 0, 0), "PNG"))])
    photo_folder = project.photos("Apple")[0].path.parent
    leftover_files = [
        project.folder / ".project.json.0123456789ab.tmp",
        project.folder / ".model.zip.0123456789ab.tmp",
        photo_folder / f".{'0' * 64}.png.0123456789ab.tmp",
        photo_folder / f"{'1' * 64}.png",
    ]
    for path in leftover_files:
        path.write_bytes(b'{"half": ')
    (tmp_path / f".deleted-{project.id}-0123" / "photos").mkdir(parents=True)
    (tmp_path / "0123456789abcdef" / "photos").mkdir(parents=True)
    # Until a new process opens it, nothing reads them: the project lists its one photo.
    assert [photo.file_name for photo in project.refresh().photos("Apple")] == ["red.png"]
    assert not project.has_trained_model
    assert [listed.id for listed in space.list_projects(OWNER)] == [project.id]

    monkeypatch.setattr(locks, "_tidied", set())
    reopened = store.Workspace(tmp_path).open_project(project.id)
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == [project.id]
    assert not any(path.exists() for path in leftover_files)
    assert [photo.file_name for photo in reopened.photos("Apple")] == ["red.png"]
    assert reopened.photos("Apple")[0].path.is_file()


def test_an_interrupted_training_is_told_once(tmp_path):
    from tlapp.jobs import trainings

    project = store.Workspace(tmp_path).create_project("Fruit", OWNER)
    assert not trainings.forget_interrupted_training(project)
    project.mark_training_started()
    assert project.refresh().training_interrupted
    assert trainings.forget_interrupted_training(project)
    assert not project.refresh().training_interrupted
    assert not trainings.forget_interrupted_training(project)


# A disk without room.

TMPFS = "tmpfs"
FILE_SIZE_LIMIT = "file size limit"
TMPFS_BYTES = 24 * 1024**2
FILE_SIZE_LIMIT_BYTES = 256 * 1024


class TightDisk:
    """A workspace on a disk that can be made to refuse writes.

    A tmpfs of `TMPFS_BYTES` is filled up to a few kilobytes with a filler file (ENOSPC); with
    the file size limit, RLIMIT_FSIZE lets this process write no file beyond
    `FILE_SIZE_LIMIT_BYTES` (EFBIG), a limit that the photos of these tests pass.

    Args:
        kind: `TMPFS` or `FILE_SIZE_LIMIT`.
        folder: The folder that becomes the workspace.
    """

    def __init__(self, kind: str, folder: pathlib.Path):
        self.kind = kind
        self.root = folder
        self.mounted = False
        folder.mkdir()
        if kind == TMPFS:
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(folder)],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                pytest.skip(f"A tmpfs cannot be mounted here: {result.stderr.strip()}")
            self.mounted = True

    @contextlib.contextmanager
    def full(self, room: int = 8 * 1024, file_size_limit: int = FILE_SIZE_LIMIT_BYTES):
        """Makes the disk refuse writes inside the block.

        Args:
            room: On the tmpfs, about how many bytes stay free (rounded down to 4 KB pages).
            file_size_limit: With the file size limit, the biggest file this process may write.
        """
        if self.kind == TMPFS:
            filler = self.root / ".filler"
            status = os.statvfs(self.root)
            free = status.f_bavail * status.f_frsize
            with open(filler, "wb") as file:
                file.write(bytes(max(0, free - room) // 4096 * 4096))
                # The last pages one by one, until the disk has no more than `room` free.
                with contextlib.suppress(OSError):
                    while os.statvfs(self.root).f_bavail * status.f_frsize > room:
                        file.write(bytes(4096))
                        file.flush()
            try:
                yield
            finally:
                filler.unlink()
        else:
            previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, hard))
            try:
                yield
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
                signal.signal(signal.SIGXFSZ, previous_handler)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=False)


@pytest.fixture
def tight_disk(request, tmp_path, monkeypatch):
    """A workspace on a disk that refuses writes on demand (see `TightDisk`)."""
    disk = TightDisk(request.param, tmp_path / "workspace")
    monkeypatch.setenv("TLCORE_WORKSPACE", str(disk.root))
    yield disk
    disk.close()


def big_photos(count: int) -> list[tuple[str, bytes]]:
    """Photos of noise, about 300 KB each: past the file size limit, and costly on the tmpfs."""
    generator = numpy.random.default_rng(7)
    photos = []
    for index in range(count):
        pixels = generator.integers(0, 256, (320, 320, 3), dtype=numpy.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        photos.append((f"noise_{index}.png", buffer.getvalue()))
    return photos


DISK_CASES = {
    TMPFS: "a full disk (a 24 MB tmpfs workspace, filled up; ENOSPC)",
    FILE_SIZE_LIMIT: "a file size limit (RLIMIT_FSIZE of 256 KB; EFBIG)",
}


def disk_params(action: str, through: str, expected: str) -> list:
    """Returns the two kinds of disk without room as parameters, for one action."""
    return [
        pytest.param(
            kind,
            id=kind.replace(" ", "-"),
            marks=pytest.mark.reliability(
                area="Full disk", case=f"{case}: {action}", through=through, expected=expected
            ),
        )
        for kind, case in DISK_CASES.items()
    ]


@pytest.mark.parametrize(
    "tight_disk",
    disk_params(
        "adding photos",
        "Collect page (upload)",
        "a message naming the disk; the photos that fit kept, the rest named; every earlier "
        "photo still there; nothing half-written; uploads work again once there is room",
    ),
    indirect=True,
)
def test_photos_added_to_a_full_disk_give_a_message(tight_disk):
    space = store.Workspace(tight_disk.root)
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    earlier = [
        (f"small_{index}.png", tiny_photo((index * 40, 90, 90), "PNG")) for index in range(4)
    ]
    project.add_photos("Apple", earlier)
    app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
    app.query_params.update({"owner": OWNER, "project": project.id})
    app.run()
    app.switch_page("pages/1_Collect.py").run()
    key = project.classes()[0].key
    with tight_disk.full():
        uploader = next(item for item in app.file_uploader if item.key.startswith(f"upload_{key}_"))
        uploader.set_value(as_uploads(big_photos(3), "image/png"))
        app.run()
    assert not app.exception
    said = texts(app.warning) + texts(app.error)
    if tight_disk.kind == TMPFS:
        assert "the server's disk is full" in said.lower()
    else:
        assert "refuses to store a file this large" in said
    assert_project_sound(project.folder)
    stored = {photo.file_name for photo in project.refresh().photos("Apple")}
    assert stored >= {name for name, _ in earlier}
    assert leftovers(project.folder) == []
    # With room again, the same upload goes in.
    uploader = next(item for item in app.file_uploader if item.key.startswith(f"upload_{key}_"))
    uploader.set_value(as_uploads(big_photos(3), "image/png"))
    app.run()
    assert not app.exception
    assert project.refresh().photo_count() == 7


@pytest.mark.parametrize(
    "tight_disk",
    disk_params(
        "no room even for project.json",
        "Project.add_photos, Collect page (upload)",
        "a message naming the disk; the project exactly as it was, no stray file",
    ),
    indirect=True,
)
def test_a_change_that_cannot_be_recorded_leaves_the_project_as_it_was(tight_disk):
    space = store.Workspace(tight_disk.root)
    project = space.create_project("Fruit", OWNER)
    project.add_class("Apple")
    project.add_photos("Apple", [("first.png", tiny_photo((10, 20, 30), "PNG"))])
    before = space.read_metadata(project.id)
    # No room at all on the tmpfs; with the file size limit, room for a small photo but not
    # for project.json.
    with tight_disk.full(room=0, file_size_limit=512):
        with pytest.raises(store.DiskFullError, match="so your change could not be saved"):
            project.add_photos("Apple", [("second.png", tiny_photo((40, 50, 60), "PNG"))])
        app = AppTest.from_file(str(APP_FILE), default_timeout=FAST_PAGE_TIMEOUT)
        app.query_params.update({"owner": OWNER, "project": project.id})
        app.run()
        app.switch_page("pages/1_Collect.py").run()
        uploader = next(item for item in app.file_uploader if item.key.startswith("upload_"))
        uploader.set_value(as_uploads([("third.png", tiny_photo((70, 80, 90), "PNG"))]))
        app.run()
    assert not app.exception
    assert "so your change could not be saved" in texts(app.error)
    assert space.read_metadata(project.id) == before
    assert [photo.file_name for photo in project.refresh().photos("Apple")] == ["first.png"]
    assert leftovers(project.folder) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "tight_disk",
    disk_params(
        "saving a trained model",
        "Train page (a training in the background)",
        "the training ends with a message naming the disk; the previous model still loads",
    ),
    indirect=True,
)
def test_a_model_saved_to_a_full_disk_gives_a_message(
    tight_disk, small_training, tmp_path, monkeypatch
):
    from tlapp.jobs import trainings, workers
    from tlcore.jobs import runner

    if tight_disk.kind != TMPFS:
        pytest.skip(
            "A file size limit holds for a whole process, the jobs' records included; the "
            "full tmpfs shows a worker's save failing on its own."
        )
    # The worker's code runs in this process, on the full disk; the jobs' records and queue
    # are elsewhere, as a database server's would be.
    monkeypatch.setenv("TLCORE_WORKERS", "0")
    monkeypatch.setenv("TLCORE_DATABASE_URL", f"sqlite:///{tmp_path / 'records.sqlite3'}")
    monkeypatch.setenv("TLCORE_QUEUE_URL", f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    space = store.Workspace(tight_disk.root)
    project = space.create_project("Groceries", OWNER)
    for class_name in CLASSES:
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 3))
    project.save_trained(small_training.trained)
    before = model_snapshot(project.folder)
    settings = types.TrainingSettings(epochs=5, image_size=APP_IMAGE_SIZE)
    # No room for the photos' features either: the training goes on without caching them.
    with tight_disk.full(room=0, file_size_limit=4096):
        job = trainings.start_training(project, settings)
        runner.run_job(workers.config(space.root), job.id, "worker-in-this-test")
        assert job.wait(timeout=10)
    assert not list(space.embedding_cache_dir.rglob("*.npy"))
    assert job.state == "failed"
    expected = (
        "the server's disk is full"
        if tight_disk.kind == TMPFS
        else "the server refuses to store a file this large"
    )
    assert job.error.lower().startswith(expected.lower()), job.error
    assert "the trained model could not be saved" in job.error
    assert model_snapshot(project.folder) == before
    assert project.load_trained().class_names == small_training.trained.class_names
    assert leftovers(project.folder) == []
    with zipfile.ZipFile(project.model_path) as archive:
        assert archive.testzip() is None
    # The Train page shows the message, once, with the previous model's results.
    app = AppTest.from_file(str(APP_FILE), default_timeout=SLOW_PAGE_TIMEOUT)
    app.query_params.update({"owner": OWNER, "project": project.id})
    app.run()
    app.switch_page("pages/2_Train.py").run()
    assert not app.exception
    assert "the trained model could not be saved" in texts(app.error)
    assert "Last training" in texts(app.subheader)
