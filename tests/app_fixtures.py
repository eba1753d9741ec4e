"""Fixtures and helpers for the tests of the Streamlit app (AppTest and the browser)."""

import io
import pathlib

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parents[1]
APP_FILE = ROOT / "app.py"
GROCERY_TRAIN = ROOT.parent / "shared" / "data" / "grocery-store" / "train"
GROCERY_VAL = ROOT.parent / "shared" / "data" / "grocery-store" / "val"

# Three grocery classes that look unlike each other, for the app's training tests.
APP_CLASSES = ("Banana", "Oatly-Oat-Milk", "Red-Bell-Pepper")
APP_IMAGE_SIZE = 96
APP_EPOCHS = 10

# Pages that import TensorFlow or train take far longer than AppTest's 3-second default.
SLOW_PAGE_TIMEOUT = 180
FAST_PAGE_TIMEOUT = 30

PREDICT_PAGE = "pages/4_Predict.py"


# Each fixture is registered under a short name but defined under a longer one, so a test
# module can import it (`from app_fixtures import app_workspace_fixture`) and still take
# `app_workspace` as an argument without shadowing the import.
@pytest.fixture(name="app_workspace")
def app_workspace_fixture(tmp_path, monkeypatch) -> pathlib.Path:
    """An empty workspace folder for the app, named by `TLCORE_WORKSPACE`."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv("TLCORE_WORKSPACE", str(folder))
    return folder


def grocery_photos(class_name: str, count: int, split: str = "train") -> list[tuple[str, bytes]]:
    """Returns `(file_name, bytes)` of the first real grocery photos of a class.

    Args:
        class_name: A grocery class folder, such as "Banana".
        count: How many photos.
        split: "train" or "val".

    Returns:
        The photos, sorted by file name.
    """
    folder = (GROCERY_TRAIN if split == "train" else GROCERY_VAL) / class_name
    if not folder.is_dir():
        pytest.skip(f"The grocery photos are missing from {folder}.")
    paths = sorted(folder.glob("*.jpg"))[:count]
    return [(path.name, path.read_bytes()) for path in paths]


def tiny_photo(colour: tuple[int, int, int], image_format: str = "JPEG", size: int = 40) -> bytes:
    """Returns the bytes of a small one-colour photo, real enough for `load_image`."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format=image_format)
    return buffer.getvalue()


def as_uploads(files: list[tuple[str, bytes]], mime: str = "image/jpeg"):
    """Turns `(file_name, bytes)` pairs into what `AppTest`'s file_uploader takes."""
    return [(name, data, mime) for name, data in files]


def texts(elements) -> str:
    """Joins the values of AppTest elements (messages, captions, markdown) into one text."""
    return "\n".join(str(element.value) for element in elements)


def open_page(project, page: str | None = None, timeout: float = SLOW_PAGE_TIMEOUT) -> AppTest:
    """Opens the app as a project's owner, with the project open, then one of its pages.

    Args:
        project: The `store.Project` to open.
        page: The page file, such as `PREDICT_PAGE`; None to stay on Home.
        timeout: AppTest's limit for each run of a page, in seconds.

    Returns:
        The app, run.
    """
    app = AppTest.from_file(str(APP_FILE), default_timeout=timeout)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    return app.switch_page(page).run() if page else app
