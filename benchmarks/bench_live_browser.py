"""The live camera's figures through the whole path: Chromium's fake camera, WebRTC, the app.

    python -m benchmarks.bench_live_browser --viewers 1 5

First, on a freshly started server, a stranger's time from opening the app to the first live
answer: Home, **Try the example photos**, Train, Predict, **Start the camera**, until the
headline names a class. Then, for each viewer count, that many Chromium pages open Predict on a
project trained with the default settings (MobileNetV2 at 224 px, two grocery classes), start
the camera, and after `--seconds` read the figures the page shows: answers a second, and the
median and 95th percentile of the time from a picture's arrival at the server to its answer,
over the last 5 seconds. Prints them with the machine's load average and records them
(`benchmarks.results`). Everything stays on the loopback interface. It needs Chromium and
Playwright, as the browser tests do.
"""

import argparse
import os
import pathlib
import re
import sys
import tempfile
import time

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
# The tests' helpers (a real server, Chromium, the fake camera), shared with this benchmark.
sys.path.insert(0, str(REPOSITORY / "tests"))

import pylibsrtp  # noqa: E402, F401  (before TensorFlow: see tlapp/__init__.py)
from app_fixtures import grocery_photos  # noqa: E402
from live_fixtures import trained_project, write_y4m  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from server_fixtures import StreamlitServer, launch_chromium, settle  # noqa: E402

from benchmarks import results  # noqa: E402

CLASSES = ("Banana", "Oatly-Oat-Milk")
WEBRTC_FRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
KEEP_RUNNING = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
FIGURES = re.compile(
    r"([\d.]+) answers a second · (\d+) ms from picture to answer \(95% within (\d+) ms\)"
)


def start_camera(page) -> None:
    page.frame_locator(WEBRTC_FRAME).first.get_by_role("button", name="Start the camera").click()


def wait_for_answer(page, timeout: float = 180.0) -> None:
    """Waits until the live headline shows an answer, sure or not."""
    try:
        page.locator("h3", has_text=re.compile("This looks like: |Not sure")).first.wait_for(
            timeout=timeout * 1000
        )
    except Exception:
        page.screenshot(path=str(pathlib.Path(tempfile.gettempdir()) / "live_bench_failed.png"))
        raise


def stranger(address: str, browser) -> float:
    """A stranger's seconds from opening the app to the first live answer, example photos."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    opened = time.monotonic()
    page.goto(address)
    settle(page)
    page.get_by_role("button", name="Try the example photos").click()
    page.wait_for_url(re.compile("/Collect"))
    settle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Train").click()
    settle(page)
    page.locator(".st-key-train_button button").click()
    page.get_by_text("Training finished").first.wait_for(timeout=600_000)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Predict").click()
    settle(page)
    start_camera(page)
    wait_for_answer(page)
    seconds = time.monotonic() - opened
    page.close()
    return seconds


def viewers(address: str, browser, project, count: int, seconds: float) -> list[tuple]:
    """Opens `count` pages with the live camera and returns the figures each shows."""
    pages = []
    for _ in range(count):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)
        page.goto(f"{address}/Predict?owner={project.owner}&project={project.id}")
        settle(page)
        start_camera(page)
        pages.append(page)
    for page in pages:
        wait_for_answer(page)
    time.sleep(seconds)
    figures = []
    for page in pages:
        # The figures are shown while all is well; otherwise the page says what is wrong.
        caption = page.get_by_test_id("stCaptionContainer").filter(has_text="answers a second")
        if not caption.count():
            alerts = page.get_by_test_id("stAlert").all_inner_texts()
            figures.append(" / ".join(alerts) or "no figures shown")
            continue
        found = FIGURES.search(caption.first.inner_text())
        figures.append(tuple(float(value) for value in found.groups()) if found else None)
    for page in pages:
        page.close()
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_live_browser", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--skip-stranger", action="store_true")
    arguments = parser.parse_args(argv)
    shared_weights = REPOSITORY.parent / "shared" / "weights"
    if shared_weights.is_dir():
        os.environ.setdefault("TLCORE_WEIGHTS_DIR", str(shared_weights))
    load_before = results.load_average()
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        photos = {name: grocery_photos(name, 10) for name in CLASSES}
        video = write_y4m(
            folder / "camera.y4m", [([data for _, data in photos[n][:3]], 4) for n in CLASSES]
        )
        from tlcore import store

        server = StreamlitServer(folder / "workspace", folder).start()
        try:
            with sync_playwright() as playwright:
                # Pages side by side in one headless browser must not be slowed down as
                # background tabs are, or they would not be five viewers watching.
                browser = launch_chromium(
                    playwright, fake_camera=video, extra_arguments=KEEP_RUNNING
                )
                if not arguments.skip_stranger:
                    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
                    seconds = stranger(server.address, browser)
                    print(
                        f"stranger, opening the app to the first live answer: {seconds:.1f} s",
                        flush=True,
                    )
                    figures.append(
                        ("a stranger, opening the app to the first live answer", seconds, "s")
                    )
                project = trained_project(store.Workspace(folder / "workspace"), photos, 224)
                for count in arguments.viewers:
                    load = os.getloadavg()[0]
                    shown = viewers(server.address, browser, project, count, arguments.seconds)
                    print(
                        f"{count} viewer(s), load average {load:.1f} before, "
                        f"{os.getloadavg()[0]:.1f} after:",
                        flush=True,
                    )
                    for index, values in enumerate(shown, start=1):
                        print(f"  viewer {index}: {values}", flush=True)
                        figures += viewer_figures(count, index, values)
                browser.close()
        finally:
            server.stop()
    results.record("bench_live_browser", figures, argv=argv, load_before=load_before)
    return 0


def viewer_figures(count: int, index: int, values) -> list[tuple]:
    """The figures one viewer's page showed, as `results.record` takes them; what the page
    said instead when it showed none."""
    who = f"{count} viewer(s), viewer {index}"
    if not isinstance(values, tuple):
        return [(f"{who}: no figures shown", str(values), "")]
    rate, median, p95 = values
    return [
        (f"{who}: answers a second", rate, "answers/s"),
        (f"{who}: picture to answer, median", median, "ms"),
        (f"{who}: picture to answer, 95th percentile", p95, "ms"),
    ]


if __name__ == "__main__":
    sys.exit(main())
