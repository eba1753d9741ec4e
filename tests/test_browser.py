"""The whole app in a real browser: three real classes, training, evaluation and a prediction.

The test starts `streamlit run app.py` on a free port, drives it with Playwright on Chromium,
and saves a screenshot of every page under `test-artifacts/screenshots/` (printed at the end),
so a person can look at what a customer would see.
"""

import contextlib
import pathlib

import pytest
from app_fixtures import APP_CLASSES, grocery_photos
from server_fixtures import chromium, new_page, running_app, screenshot_path, settle

PHOTOS_PER_CLASS = 8

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def app_address(tmp_path_factory, engine_environment):
    """The address of the app, served by a real Streamlit server on a free port."""
    with running_app(
        tmp_path_factory.mktemp("browser_workspace"), tmp_path_factory.mktemp("browser_server")
    ) as server:
        yield server.address


@pytest.fixture(scope="module")
def browser_page(app_address):
    with chromium() as browser:
        yield new_page(browser, 1440, 1000)


def screenshot(page, name: str) -> pathlib.Path:
    """Saves the whole page: Streamlit scrolls inside its main area, so the window grows first."""
    path = screenshot_path(name)
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 40)})
    page.wait_for_timeout(700)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def go_to(page, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label).click()
    settle(page, 500)


def photo_files(tmp_path: pathlib.Path, class_name: str, count: int, split: str = "train"):
    folder = tmp_path / split / class_name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, data in grocery_photos(class_name, count, split):
        path = folder / file_name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_a_person_trains_and_uses_a_classifier_in_the_browser(browser_page, app_address, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    main = page.get_by_test_id("stMainBlockContainer")
    page.goto(app_address)
    settle(page, 500)
    expect(main.get_by_role("heading", name="Photo Classifier Trainer")).to_be_visible()
    assert "owner=" in page.url
    screenshot(page, "1_home_empty")

    page.get_by_label("Name", exact=True).fill("Grocery shelf")
    page.get_by_role("button", name="Create project").click()
    settle(page, 500)
    expect(main.get_by_role("heading", name="1 · Collect photos")).to_be_visible()
    assert "project=" in page.url

    for class_name in APP_CLASSES:
        page.get_by_label("New class").fill(class_name)
        page.get_by_role("button", name="Add class").click()
        settle(page, 500)
        uploader = page.locator('[data-testid="stFileUploader"]').filter(
            has_text=f"Add photos of {class_name}"
        )
        uploader.locator('input[type="file"]').set_input_files(
            photo_files(tmp_path, class_name, PHOTOS_PER_CLASS)
        )
        expect(main.get_by_text(f"Added {PHOTOS_PER_CLASS} photos to {class_name}")).to_be_visible(
            timeout=60_000
        )
        settle(page, 500)
    expect(main.get_by_text("Ready to train.")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    screenshot(page, "2_collect")

    go_to(page, "2 · Train")
    expect(main.get_by_role("heading", name="2 · Train")).to_be_visible(timeout=120_000)
    page.get_by_text("Advanced settings").click()
    # The smallest photo size keeps the test quick: the first stop of the size slider.
    size_slider = page.locator('[data-testid="stSlider"]').filter(has_text="Photo size")
    size_slider.get_by_role("slider").focus()
    page.keyboard.press("Home")
    rounds_slider = page.locator('[data-testid="stSlider"]').filter(has_text="Rounds of learning")
    rounds_slider.get_by_role("slider").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    settle(page, 500)
    screenshot(page, "3_train_settings")
    page.get_by_role("button", name="Train", exact=True).click()
    with contextlib.suppress(Exception):
        # The live chart appears once the first round of learning ends.
        expect(main.get_by_text("Step 2 of 2")).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        screenshot(page, "4_train_running")
    expect(main.get_by_role("heading", name="Last training")).to_be_visible(timeout=300_000)
    settle(page, 1500)
    chart = page.locator(".js-plotly-plot")
    expect(chart).to_have_count(1)
    expect(chart.get_by_text("How often it is right")).to_be_visible()
    screenshot(page, "5_train_finished")

    go_to(page, "3 · Evaluate")
    expect(main.get_by_text("Recognised correctly").first).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    settle(page, 1500)
    screenshot(page, "6_evaluate")

    go_to(page, "4 · Predict")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Photos to recognise")
    uploader.locator('input[type="file"]').set_input_files(
        photo_files(tmp_path, "Banana", 1, "val")
    )
    expect(main.get_by_role("heading", name="This looks like: Banana")).to_be_visible(
        timeout=60_000
    )
    settle(page, 1500)
    screenshot(page, "7_predict_one")
    # A reload starts a new session with an empty upload box; the address keeps the project.
    page.reload()
    settle(page, 500)
    uploader.locator('input[type="file"]').set_input_files(
        [path for name in APP_CLASSES for path in photo_files(tmp_path, name, 2, "val")]
    )
    expect(page.get_by_role("button", name="Download the table (CSV)")).to_be_visible(
        timeout=60_000
    )
    settle(page, 1500)
    screenshot(page, "8_predict_many")

    go_to(page, "5 · Export")
    expect(page.get_by_role("button", name="Download the project file")).to_be_visible()
    expect(page.get_by_role("button", name="Download the Keras model")).to_be_visible()
    screenshot(page, "9_export")

    # A reload keeps everything: the address holds the owner and the open project.
    go_to(page, "Home")
    page.reload()
    settle(page, 500)
    expect(main.get_by_text("You are working on Grocery shelf")).to_be_visible()
    last = screenshot(page, "10_home_with_project")
    print(f"\nScreenshots of every page: {last.parent}")
