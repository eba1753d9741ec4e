"""Hostile and broken input through the app's pages: uploads, the zip import, project files, names.

Every input comes from `hostile_corpus`, the corpus the engine's own tests use. Through the
pages, each bad file must give a clear message on the page, never an exception; the good files
of the same batch must be kept; and nothing may be written outside the workspace: the test's
temporary folder is listed before and after, and every file inside the workspace must sit where
the workspace puts files (`<id>/project.json`, `<id>/photos/<folder>/<hash>.<ext>`...), so no
name a person typed or a zip held ever became a path. Each page is driven by one `AppTest`
session per module, which opens a fresh project for each case.
"""

import dataclasses
import itertools
import pathlib
import re
import tempfile

import hostile_corpus
import pytest
from app_fixtures import APP_FILE, SLOW_PAGE_TIMEOUT, as_uploads, texts, tiny_photo
from job_fixtures import finish_import
from streamlit.testing.v1 import AppTest

from tlcore import store
from tlcore.data import loading

OWNER = "owner-token-for-hostile-input-tests"
HOME_TITLE = ":material/photo_camera: Photo Classifier Trainer"

# Every path the workspace may hold, relative to its root. Class folders are
# `data.names.folder_name_for` names; photos are named by the hash of their content.
WELL_FORMED_PATHS = re.compile(
    r"^(\.cache(/.*)?"
    r"|tlcore\.db(-wal|-shm)?"
    # The work tier's queue, and a project file waiting for a worker to load it.
    r"|\.jobs(/queue\.sqlite3(-wal|-shm|-journal)?|/imports(/[0-9a-f]{32}\.zip)?)?"
    r"|[0-9a-f]{16}"
    r"|[0-9a-f]{16}/(project\.json|training\.json|model\.zip|photos)"
    r"|[0-9a-f]{16}/photos/[a-z0-9-]*-[0-9a-f]{10}(-[0-9]+)?"
    r"|[0-9a-f]{16}/photos/[a-z0-9-]*-[0-9a-f]{10}(-[0-9]+)?/[0-9a-f]{64}\.(jpg|png|webp|bmp|gif))$"
)


@dataclasses.dataclass
class Sandbox:
    """The test's folder: the workspace, a temporary folder, and nothing else may appear.

    Attributes:
        root: The folder holding everything the module writes.
        workspace_root: The app's workspace, inside `root`.
        marker: The file that hostile model code touches if it ever runs.
    """

    root: pathlib.Path
    workspace_root: pathlib.Path
    marker: pathlib.Path
    colours: itertools.count = dataclasses.field(default_factory=itertools.count)

    @property
    def space(self) -> store.Workspace:
        return store.Workspace(self.workspace_root)

    def outside(self) -> set[str]:
        """Lists every path under the test's folder but outside the workspace.

        TensorFlow's AutoGraph writes the Python source of each function it converts into the
        temporary folder (`__autograph_generated_file*.py`); the app's local worker, which
        embeds the uploaded photos and loads project files, inherits this test's `TMPDIR`, so
        those appear whenever its work traces a function. They are TensorFlow's own, never an
        upload's, and are left out.
        """
        return {
            str(path)
            for path in self.root.rglob("*")
            if not path.is_relative_to(self.workspace_root)
            and not path.name.startswith("__autograph_generated_file")
        }

    def assert_nothing_written_outside(self, before: set[str]) -> None:
        """Checks that nothing appeared outside the workspace, nor at the corpus's absolute path."""
        assert self.outside() == before
        assert not pathlib.Path(hostile_corpus.ABSOLUTE_ENTRY).exists()
        assert not self.marker.exists(), "code inside an uploaded file ran"
        strays = [
            str(path.relative_to(self.workspace_root))
            for path in self.workspace_root.rglob("*")
            if not WELL_FORMED_PATHS.match(str(path.relative_to(self.workspace_root)))
        ]
        assert not strays, f"unexpected paths in the workspace: {strays}"

    def good_photos(self, count: int) -> list[tuple[str, bytes]]:
        """Returns small photos that differ from every photo handed out before."""
        photos = []
        for _ in range(count):
            number = next(self.colours)
            colour = (number * 37 % 256, number * 91 % 256, 100 + number % 150)
            photos.append((f"good_{number}.png", tiny_photo(colour, "PNG")))
        return photos


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A workspace and a temporary folder of their own, named by the environment."""
    root = tmp_path_factory.mktemp("hostile_app")
    (root / "temporary").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TLCORE_WORKSPACE", str(root / "workspace"))
        patch.setattr(tempfile, "tempdir", str(root / "temporary"))
        patch.setenv("TMPDIR", str(root / "temporary"))
        patch.setenv(hostile_corpus.MARKER_VARIABLE, str(root / "hostile-code-ran"))
        # One owner makes a project for each case here, more than a person may keep.
        patch.setenv("TLCORE_MAX_PROJECTS_PER_OWNER", "1000")
        yield Sandbox(root, root / "workspace", root / "hostile-code-ran")


class PageSession:
    """One browser session on one page, which can switch to any project of the workspace.

    Args:
        page: The page's script, such as "pages/1_Collect.py", or "app.py" for Home.
        title: The page's title, which tells whether the session shows the page.
    """

    def __init__(self, page: str, title: str):
        self.page = page
        self.title = title
        self.project_id = None
        self.app = AppTest.from_file(str(APP_FILE), default_timeout=SLOW_PAGE_TIMEOUT)
        self.app.query_params["owner"] = OWNER
        self.app.run()

    def show(self, project: store.Project | None = None) -> AppTest:
        """Shows the page, with a project open when one is given.

        A session that already shows the page with that project is left as it is, which
        saves a run of the page.
        """
        if project is not None and project.id != self.project_id:
            self.app.session_state["project_id"] = self.project_id = project.id
        elif self.app.title and self.app.title[0].value == self.title:
            return self.app
        self.app.switch_page(self.page).run()
        assert not self.app.exception
        assert self.app.title[0].value == self.title
        return self.app

    def upload(self, key_prefix: str, files) -> AppTest:
        """Hands files to the upload box whose key starts with `key_prefix`, as a browser does."""
        uploader = next(item for item in self.app.file_uploader if item.key.startswith(key_prefix))
        uploader.set_value(files)
        return self.app.run()


@pytest.fixture(scope="module")
def collect(sandbox) -> PageSession:
    return PageSession("pages/1_Collect.py", "1 · Collect photos")


@pytest.fixture(scope="module")
def home(sandbox) -> PageSession:
    return PageSession("app.py", HOME_TITLE)


def new_project(sandbox: Sandbox, name: str, class_names=()) -> store.Project:
    project = sandbox.space.create_project(sandbox.space.unique_name(name), OWNER)
    for class_name in class_names:
        project.add_class(class_name)
    return project.refresh()


# Bad photos, uploaded among good ones on Collect.


def photo_params() -> list:
    params = []
    for case in hostile_corpus.BAD_PHOTOS:
        expected = (
            "named on the page with its reason; the rest of the upload kept"
            if case.expect == hostile_corpus.REFUSED
            else "added with the rest of the upload"
        )
        params.append(case.param("Bad photos", "Collect page (upload)", expected))
    return params


@pytest.mark.parametrize("case", photo_params())
def test_a_bad_photo_uploaded_among_good_ones(case, sandbox, collect):
    project = new_project(sandbox, f"Photos {case.key}", ["apples"])
    collect.show(project)
    first, second = sandbox.good_photos(2)
    batch = [first, (case.file_name, case.data()), second]
    before = sandbox.outside()
    key = project.classes()[0].key
    app = collect.upload(f"upload_{key}_", as_uploads(batch, "application/octet-stream"))
    assert not app.exception
    refused = case.expect == hostile_corpus.REFUSED
    kept = 2 if refused else 3
    assert f"Added {kept} photos to **apples**." in texts(app.success)
    warnings = texts(app.warning)
    if refused:
        assert "1 file was left out" in warnings
        assert f"**{case.file_name}**: " in warnings
        assert case.message in warnings
    else:
        assert "left out" not in warnings
    stored = [photo.file_name for photo in project.refresh().photos("apples")]
    assert stored == [name for name, _ in batch if not (refused and name == case.file_name)]
    # Every stored photo is shown, as a thumbnail or as a caption saying it cannot be.
    assert len(app.get("image")) + texts(app.caption).count("(cannot be shown)") == kept
    sandbox.assert_nothing_written_outside(before)


# Bad zips, imported on Collect.


def zip_params() -> list:
    expected = {
        hostile_corpus.REFUSED: "refused on the page with its reason; nothing stored",
        hostile_corpus.SET_ASIDE: "its bad files named on the page; the rest stored",
        hostile_corpus.ACCEPTED: "its classes and photos stored",
    }
    return [
        case.param("Bad zips", "Collect page (zip import)", expected[case.expect])
        for case in hostile_corpus.BAD_ZIPS
    ]


@pytest.mark.parametrize("case", zip_params())
def test_a_bad_zip_imported_on_collect(case, sandbox, collect):
    project = new_project(sandbox, f"Zip {case.key}")
    collect.show(project)
    data = case.data()
    before = sandbox.outside()
    app = collect.upload("zip_upload_", (case.file_name, data, "application/zip"))
    assert not app.exception
    project.refresh()
    if case.expect == hostile_corpus.REFUSED:
        assert case.message in texts(app.error)
        assert project.class_names == [] and project.photo_count() == 0
    else:
        # The page stores exactly what the engine reads from the zip, and names what it skips.
        read = loading.load_zip(data)
        # A folder without one usable photo makes no class (no empty new class).
        assert project.photo_counts() == {name: n for name, n in read.counts().items() if n}
        warnings = texts(app.warning)
        for skipped in read.skipped:
            assert f"**{skipped.file_name}**: {skipped.reason}" in warnings
        if case.expect == hostile_corpus.SET_ASIDE:
            assert case.message in warnings
        else:
            assert not read.skipped and "left out" not in warnings
    sandbox.assert_nothing_written_outside(before)


# Bad project files, opened on Export.


@pytest.fixture(scope="module")
def export(sandbox, engine_environment) -> PageSession:
    return PageSession("pages/5_Export.py", "5 · Export")


def project_params() -> list:
    expected = {
        hostile_corpus.REFUSED: "refused on the page with its reason; no project made",
        hostile_corpus.ACCEPTED: "opened as a new project on Predict",
    }
    return [
        case.param("Bad project files", "Export page (open a project file)", expected[case.expect])
        for case in hostile_corpus.BAD_PROJECTS
    ]


@pytest.mark.slow
@pytest.mark.parametrize("case", project_params())
def test_a_bad_project_file_opened_on_export(case, sandbox, export):
    export.show()
    data = case.data()
    projects_before = {project.id for project in sandbox.space.list_projects(OWNER)}
    before = sandbox.outside()
    app = finish_import(
        export.upload("project_file_upload_", (case.file_name, data, "application/zip"))
    )
    assert not app.exception
    made = [
        project
        for project in sandbox.space.list_projects(OWNER)
        if project.id not in projects_before
    ]
    if case.expect == hostile_corpus.REFUSED:
        assert case.message in texts(app.error)
        assert app.title[0].value == "5 · Export"
        assert made == []
    else:
        assert app.title[0].value == "4 · Predict"
        assert [project.class_names for project in made] == [hostile_corpus.TINY_CLASS_NAMES]
        assert made[0].name == "project"
        case.check(made[0].load_trained())
        sandbox.space.delete_project(made[0].id)
    sandbox.assert_nothing_written_outside(before)


# Names, typed for a class on Collect and for a project on Home.


@pytest.fixture(scope="module")
def named_classes(sandbox, collect) -> store.Project:
    """The project whose classes get the hostile names."""
    return new_project(sandbox, "Hostile class names")


@pytest.mark.parametrize(
    "case",
    [case.param("Names", "Collect page (new class)") for case in hostile_corpus.HOSTILE_NAMES],
)
def test_a_hostile_class_name_on_collect(case, sandbox, collect, named_classes):
    app = collect.show(named_classes)
    before = sandbox.outside()
    classes_before = named_classes.refresh().class_names
    app.text_input(key="new_class_name").input(case.name)
    app.button(key="add_class").click().run()
    assert not app.exception
    classes_after = named_classes.refresh().classes()
    if case.expect == hostile_corpus.REFUSED:
        assert case.message in texts(app.error)
        assert named_classes.class_names == classes_before
    else:
        cleaned = case.cleaned if case.cleaned is not None else case.name
        assert f"Added the class **{cleaned}**" in texts(app.success)
        assert [item.name for item in classes_after] == [*classes_before, cleaned]
        folder = named_classes.folder / store.PHOTOS_FOLDER / classes_after[-1].key
        assert folder.is_dir() and folder.parent == named_classes.folder / "photos"
    sandbox.assert_nothing_written_outside(before)


@pytest.mark.reliability(
    area="Names",
    case="two names that differ only in case (Apples, APPLES)",
    through="Collect page (new class), Home page (new project)",
    expected="the second refused, naming the first",
)
def test_names_differing_only_in_case_on_collect_and_home(sandbox, collect, home):
    first, second = hostile_corpus.CASE_TWINS
    project = new_project(sandbox, "Twins")
    app = collect.show(project)
    for name in (first, second):
        app.text_input(key="new_class_name").input(name)
        app.button(key="add_class").click().run()
    assert f"too close to the existing class '{first}'" in texts(app.error)
    assert project.refresh().class_names == [first]
    for name in (first, second):
        app = home.show()
        app.text_input(key="new_project_name").input(name)
        app.button(key="create_project").click().run()
        assert not app.exception
    assert f"There is already a project called '{first}'" in texts(app.error)
    assert [item.name for item in sandbox.space.list_projects(OWNER)].count(first) == 1
    assert sandbox.space.find_by_name(second, OWNER).name == first


def project_folders(workspace_root) -> set[str]:
    """The workspace's folders but its own hidden ones (`.cache`, `.jobs`...), which a worker
    still embedding an earlier test's photos may make at any moment."""
    return {path.name for path in workspace_root.iterdir() if not path.name.startswith(".")}


@pytest.mark.parametrize(
    "case",
    [case.param("Names", "Home page (new project)") for case in hostile_corpus.HOSTILE_NAMES],
)
def test_a_hostile_project_name_on_home(case, sandbox, home):
    app = home.show()
    before = sandbox.outside()
    folders_before = project_folders(sandbox.workspace_root)
    app.text_input(key="new_project_name").input(case.name)
    app.button(key="create_project").click().run()
    assert not app.exception
    made = project_folders(sandbox.workspace_root) - folders_before
    if case.expect == hostile_corpus.REFUSED:
        assert case.message in texts(app.error)
        assert app.title[0].value == HOME_TITLE
        assert made == set()
    else:
        cleaned = case.cleaned if case.cleaned is not None else case.name
        assert app.title[0].value == "1 · Collect photos"
        assert f"Opened **{cleaned}**" in texts(app.success)
        # The project's folder is a random id; the name is only stored inside project.json.
        assert len(made) == 1 and store.is_project_id(made.pop())
        assert sandbox.space.open_project(app.query_params["project"]).name == cleaned
    sandbox.assert_nothing_written_outside(before)
