"""The README's screenshots, taken from the real app: `make screenshots` writes `docs/images/`.

    .venv/bin/python docs/screenshots.py [--out docs/images]

It starts the app the way `make run` does (`streamlit run app.py`, headless, on a free port)
with a fresh temporary workspace and feature cache, opens it in headless Chromium through
Playwright at 1280 x 800, and does what a newcomer does: on Home it presses **Try the example
photos**, on Train it trains with the default settings, on Predict it tries one of the photos
kept aside, then it opens Evaluate. One PNG is saved for each of those four pages. The
browser is Debian's Chromium (`/usr/bin/chromium`) when it is installed, else Playwright's own
(`.venv/bin/playwright install chromium`).

The pretrained weights are found as the app finds them (`TLCORE_WEIGHTS_DIR`, else Keras'
cache in `KERAS_HOME` or `~/.keras`, else a download). When neither variable is set and Keras'
cache lacks the weight file, a copy of Keras' cache beside the repository
(`../shared/weights/keras`) is used if it exists, so an offline machine needs no download.
"""

import argparse
import contextlib
import os
import pathlib
import shutil
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
# The server and the browser are started as the browser tests start them.
sys.path.insert(0, str(REPOSITORY / "tests"))

from server_fixtures import CHROMIUM, StreamlitServer, chromium_arguments, settle  # noqa: E402

from tlcore.nets import backbones, weights  # noqa: E402

DEFAULT_OUTPUT = REPOSITORY / "docs" / "images"
SIBLING_KERAS_HOME = REPOSITORY.parent / "shared" / "weights" / "keras"
VIEWPORT = {"width": 1280, "height": 800}
# After each page's script has run, a moment for its charts to draw.
SETTLE_MILLISECONDS = 500
NO_SPINNER = "() => !document.querySelector('[data-testid=\"stSpinner\"]')"
# A training of the 125 example photos takes seconds on a quiet machine; a busy one with the
# worker's first start (TensorFlow, the pretrained network) can take minutes.
TRAINING_TIMEOUT_MILLISECONDS = 600_000


def weights_environment() -> dict[str, str]:
    """Returns the setting that points the app at the pretrained weights, if one is needed.

    Whatever the caller set is kept; the copy of Keras' cache beside the repository is named
    only when nothing is set and Keras' own cache lacks the weight file.
    """
    if os.environ.get("KERAS_HOME") or os.environ.get(weights.WEIGHTS_DIR_VARIABLE):
        return {}
    backbone = backbones.get_backbone(backbones.DEFAULT_BACKBONE)
    if any(path.is_file() for path in weights.candidate_paths(backbone)):
        return {}
    if (SIBLING_KERAS_HOME / "models" / backbone.weights_file).is_file():
        return {"KERAS_HOME": str(SIBLING_KERAS_HOME)}
    return {}


@contextlib.contextmanager
def running_app(scratch: pathlib.Path) -> Iterator[str]:
    """Serves the app for a block, as `make run` starts it, and yields its address.

    Args:
        scratch: An empty folder for the workspace, the feature cache and the server's log.

    Raises:
        RuntimeError: If the server stops while starting.
        TimeoutError: If it does not answer within 2 minutes.
    """
    environment = {"TLCORE_CACHE_DIR": str(scratch / "features"), **weights_environment()}
    server = StreamlitServer(scratch / "workspace", scratch, environment).start()
    try:
        yield server.address
    finally:
        server.stop()


def open_page(page, address: str, path: str) -> None:
    """Opens one of the app's pages with the owner and project of the current address."""
    query = urllib.parse.urlparse(page.url).query
    page.goto(f"{address}/{path}?{query}")
    settle(page, SETTLE_MILLISECONDS)


def save(page, folder: pathlib.Path, name: str) -> pathlib.Path:
    """Saves what the window shows (1280 x 800), the mouse moved away from any tooltip."""
    page.mouse.move(2, 2)
    page.wait_for_timeout(800)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"{path} ({path.stat().st_size // 1024} KB)")
    return path


def take_screenshots(address: str, folder: pathlib.Path) -> list[pathlib.Path]:
    """Walks through the app as a newcomer does and saves a screenshot of four pages.

    Args:
        address: The running app's address.
        folder: Where the PNG files go.

    Returns:
        The files saved: Home, Train, Predict and Evaluate.
    """
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM) if CHROMIUM.exists() else None,
            args=chromium_arguments(),
            headless=True,
        )
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(120_000)
            main = page.get_by_test_id("stMainBlockContainer")

            page.goto(address)
            settle(page, SETTLE_MILLISECONDS)
            page.get_by_role("button", name="Try the example photos").click()
            page.get_by_text("with 125 example photos").wait_for()
            settle(page, 1500)
            # Home with the example project listed, the way a newcomer sees it next.
            open_page(page, address, "")
            main.get_by_text("You are working on").wait_for()
            saved.append(save(page, folder, "home"))

            open_page(page, address, "Train")
            page.get_by_role("button", name="Train", exact=True).click()
            main.get_by_role("heading", name="Last training").wait_for(
                timeout=TRAINING_TIMEOUT_MILLISECONDS
            )
            settle(page, 1500)
            main.get_by_role("heading", name="Last training").scroll_into_view_if_needed()
            page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
            saved.append(save(page, folder, "train"))

            open_page(page, address, "Predict")
            # The live camera's component reports its state once drawn, a rerun of its own; a
            # press sent at that moment can be lost, so the press waits for it to be drawn.
            page.frame_locator("iframe").first.get_by_role(
                "button", name="Start the camera"
            ).wait_for()
            settle(page, 1000)
            page.get_by_role("button", name="Try one of your set-aside photos").click()
            page.get_by_text("It is really:").wait_for()
            settle(page, 1000)
            page.wait_for_function(NO_SPINNER, timeout=120_000)
            main.get_by_role("heading", name="This looks like").first.scroll_into_view_if_needed()
            saved.append(save(page, folder, "predict"))

            open_page(page, address, "Evaluate")
            main.get_by_text("Expected on new photos").wait_for()
            page.locator(".js-plotly-plot").first.wait_for()
            settle(page, 1500)
            saved.append(save(page, folder, "evaluate"))
        finally:
            browser.close()
    return saved


def main() -> int:
    """Takes the screenshots into the folder given (`docs/images/` by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUTPUT, help="PNG folder")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="tlcore-screenshots-"))
    try:
        with running_app(scratch) as address:
            take_screenshots(address, arguments.out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
