"""The whole app in a real browser: three real classes, training, evaluation and a prediction.

The test starts `streamlit run app.py` on a free port, drives it with Playwright on Chromium,
and saves a screenshot of every page under `test-artifacts/screenshots/` (printed at the end),
so a person can look at what a customer would see.
"""

import contextlib
import os
import pathlib
import subprocess
import sys
import time
import urllib.request

import pytest
from app_fixtures import APP_CLASSES, ROOT, grocery_photos
from server_fixtures import CHROMIUM, CHROMIUM_ARGUMENTS, free_port

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHOTOS_PER_CLASS = 8

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def wait_until_healthy(address: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The app stopped at start:\n{server.stdout.read()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        time.sleep(0.5)
    raise TimeoutError(f"The app did not answer at {address} within {timeout} s.")


@pytest.fixture(scope="module")
def app_address(tmp_path_factory, engine_environment):
    """The address of the app, served by a real Streamlit server on a free port."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}; the browser test needs it.")
    port = free_port()
    environment = dict(os.environ)
    environment["TLCORE_WORKSPACE"] = str(tmp_path_factory.mktemp("browser_workspace"))
    log_path = tmp_path_factory.mktemp("browser_server") / "streamlit.log"
    with open(log_path, "w+") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        address = f"http://127.0.0.1:{port}"
        try:
            server.stdout = log
            wait_until_healthy(address, server)
            yield address
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.seek(0)
            print(f"\nStreamlit log ({log_path}):\n{log.read()[-3000:]}")


@pytest.fixture(scope="module")
def browser_page(app_address):
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS, headless=True
        )
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        context.close()
        browser.close()


def settle(page, extra_seconds: float = 0.5) -> None:
    """Waits until Streamlit has finished running the page's script."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    page.wait_for_timeout(int(extra_seconds * 1000))


def screenshot(page, name: str) -> pathlib.Path:
    """Saves the whole page: Streamlit scrolls inside its main area, so the window grows first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 40)})
    page.wait_for_timeout(700)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def go_to(page, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label).click()
    settle(page)


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
    settle(page)
    expect(main.get_by_role("heading", name="Photo Classifier Trainer")).to_be_visible()
    assert "owner=" in page.url
    screenshot(page, "1_home_empty")

    page.get_by_label("Name", exact=True).fill("Grocery shelf")
    page.get_by_role("button", name="Create project").click()
    settle(page)
    expect(main.get_by_role("heading", name="1 · Collect photos")).to_be_visible()
    assert "project=" in page.url

    for class_name in APP_CLASSES:
        page.get_by_label("New class").fill(class_name)
        page.get_by_role("button", name="Add class").click()
        settle(page)
        uploader = page.locator('[data-testid="stFileUploader"]').filter(
            has_text=f"Add photos of {class_name}"
        )
        uploader.locator('input[type="file"]').set_input_files(
            photo_files(tmp_path, class_name, PHOTOS_PER_CLASS)
        )
        expect(main.get_by_text(f"Added {PHOTOS_PER_CLASS} photos to {class_name}")).to_be_visible(
            timeout=60_000
        )
        settle(page)
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
    settle(page)
    screenshot(page, "3_train_settings")
    page.get_by_role("button", name="Train", exact=True).click()
    with contextlib.suppress(Exception):
        # The live chart appears once the first round of learning ends.
        expect(main.get_by_text("Step 2 of 2")).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1500)
        screenshot(page, "4_train_running")
    expect(main.get_by_role("heading", name="Last training")).to_be_visible(timeout=300_000)
    settle(page, 1.5)
    chart = page.locator(".js-plotly-plot")
    expect(chart).to_have_count(1)
    expect(chart.get_by_text("How often it is right")).to_be_visible()
    screenshot(page, "5_train_finished")

    go_to(page, "3 · Evaluate")
    expect(main.get_by_text("Recognised correctly").first).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    settle(page, 1.5)
    screenshot(page, "6_evaluate")

    go_to(page, "4 · Predict")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Photos to recognise")
    uploader.locator('input[type="file"]').set_input_files(
        photo_files(tmp_path, "Banana", 1, "val")
    )
    expect(main.get_by_role("heading", name="This looks like: Banana")).to_be_visible(
        timeout=60_000
    )
    settle(page, 1.5)
    screenshot(page, "7_predict_one")
    # A reload starts a new session with an empty upload box; the address keeps the project.
    page.reload()
    settle(page)
    uploader.locator('input[type="file"]').set_input_files(
        [path for name in APP_CLASSES for path in photo_files(tmp_path, name, 2, "val")]
    )
    expect(page.get_by_role("button", name="Download the table (CSV)")).to_be_visible(
        timeout=60_000
    )
    settle(page, 1.5)
    screenshot(page, "8_predict_many")

    go_to(page, "5 · Export")
    expect(page.get_by_role("button", name="Download the project file")).to_be_visible()
    expect(page.get_by_role("button", name="Download the Keras model")).to_be_visible()
    screenshot(page, "9_export")

    # A reload keeps everything: the address holds the owner and the open project.
    go_to(page, "Home")
    page.reload()
    settle(page)
    expect(main.get_by_text("You are working on Grocery shelf")).to_be_visible()
    screenshot(page, "10_home_with_project")
    print(f"\nScreenshots of every page: {SCREENSHOTS}")
