"""Collect and Export in Chromium with the server's own worker: new photos are embedded by the
worker with their progress on Collect, and an export is prepared by it and downloaded."""

import pathlib
import re

import pytest
from app_fixtures import grocery_photos
from server_fixtures import (
    CHROMIUM,
    CHROMIUM_ARGUMENTS,
    StreamlitServer,
    screenshot,
    settle,
    write_photos,
)

from tlcore import store
from tlcore.features import embeddings
from tlcore.jobs import arrivals, exports

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OWNER = "owner-of-the-work-tier-browser-test"
NEW_PHOTOS = 30


@pytest.fixture(name="served")
def served_fixture(tmp_path, small_training):
    """A workspace holding the small real model, served with one local worker."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}.")
    root = tmp_path / "workspace"
    project = store.Workspace(root).create_project("Groceries", OWNER)
    project.add_dataset(small_training.dataset)
    project.save_trained(small_training.trained)
    server = StreamlitServer(root, tmp_path, {"TLCORE_WORKERS": "1"}).start()
    try:
        yield server, project.refresh()
    finally:
        server.stop()


@pytest.fixture(name="page")
def page_fixture():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        finally:
            browser.close()


def test_new_photos_exports_and_project_files_are_handled_by_the_worker(served, page, tmp_path):
    from playwright.sync_api import expect

    server, project = served
    main = page.get_by_test_id("stMainBlockContainer")
    page.goto(f"{server.address}/Collect?owner={OWNER}&project={project.id}")
    settle(page)
    photos = grocery_photos("Banana", NEW_PHOTOS + 12)[12:]
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="Add photos of Banana"
    )
    uploader.locator('input[type="file"]').set_input_files(write_photos(tmp_path / "new", photos))
    progress = main.get_by_text("ready", exact=False).filter(has_text="new photo")
    expect(progress.first).to_be_visible(timeout=60_000)
    screenshot(page, "arrivals_collect_waiting")
    # The worker's chunks report how many are done; the page redraws it every second. (The
    # model was trained elsewhere, so this workspace's feature cache lacks its photos too.)
    expect(main.get_by_text(re.compile(r"Getting \d+ new photos ready: \d+ done"))).to_be_visible(
        timeout=120_000
    )
    screenshot(page, "arrivals_collect_embedding")
    # The box goes once the worker has embedded every new photo.
    expect(progress).to_have_count(0, timeout=240_000)
    screenshot(page, "arrivals_collect_done")
    cache = embeddings.EmbeddingCache(project.workspace.embedding_cache_dir)
    assert arrivals.missing_photos(project.refresh(), cache) == []

    page.goto(f"{server.address}/Export?owner={OWNER}&project={project.id}")
    settle(page)
    # Streamlit names each widget's element by its key (`st-key-<key>`).
    page.locator(".st-key-prepare_onnx button").click()
    expect(page.locator(".st-key-cancel_export_button_onnx button")).to_be_visible(timeout=30_000)
    screenshot(page, "arrivals_export_preparing")
    download_button = page.locator(".st-key-download_onnx button")
    expect(download_button).to_be_visible(timeout=240_000)
    settle(page)
    screenshot(page, "arrivals_export_ready")
    with page.expect_download() as download:
        download_button.click()
    saved = pathlib.Path(download.value.path())
    kept = exports.prepared(
        project.workspace.root, project.id, exports.model_stamp(project), "onnx"
    )
    assert kept is not None and saved.read_bytes() == kept.path.read_bytes()

    # A project file opened here is loaded by the worker, then opened on Predict.
    importer = page.locator('[data-testid="stFileUploader"]').filter(has_text="Project file")
    importer.locator('input[type="file"]').set_input_files(
        write_photos(tmp_path / "file", [("Groceries copy.zip", project.model_path.read_bytes())])
    )
    expect(main.get_by_text("Opened Groceries copy with its trained model")).to_be_visible(
        timeout=120_000
    )
    settle(page)
    screenshot(page, "arrivals_import_opened")
