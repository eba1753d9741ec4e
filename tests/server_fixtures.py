"""The real app server and the real browser for every browser test and browser benchmark.

`StreamlitServer` runs `streamlit run app.py` in its own process group on a free loopback port,
so a test can SIGKILL the whole group the way a crash or an out-of-memory kill would, then start
a new server on the same workspace and port. It also reads the server's peak memory from
`/proc/<pid>/status`; `running_app` starts one for a test and stops it after. Chromium is
launched in one place, `launch_chromium` (sync or async Playwright), with the same arguments
everywhere and, for the live camera, a fake camera playing a video; `chromium` opens it for a
block and `new_page` gives a page of a size. The browser helpers wait for Streamlit to finish a
script run.
"""

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence

import pytest
from app_fixtures import ROOT

CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Chromium's own camera and microphone, answered without a permission prompt.
FAKE_CAMERA_ARGUMENTS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]

# The page is busy while Streamlit's status widget ("Running...") is shown.
IDLE_SCRIPT = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def free_port() -> int:
    """Returns a TCP port on the loopback interface that nothing listens on."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_chromium() -> None:
    """Skips the test when Chromium is not installed where the browser tests look for it."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}; the browser test needs it.")


def chromium_arguments(
    fake_camera: pathlib.Path | None = None, extra_arguments: Sequence[str] = ()
) -> list[str]:
    """Returns Chromium's arguments: the usual ones, a fake camera when given, and any others.

    Args:
        fake_camera: A YUV4MPEG2 video the fake camera plays in a loop, or None for no camera.
        extra_arguments: Further arguments, such as those that keep background tabs running.
    """
    camera = (
        []
        if fake_camera is None
        else [
            *FAKE_CAMERA_ARGUMENTS,
            f"--use-file-for-fake-video-capture={fake_camera}",
        ]
    )
    return [*CHROMIUM_ARGUMENTS, *camera, *extra_arguments]


def launch_chromium(
    playwright, fake_camera: pathlib.Path | None = None, extra_arguments: Sequence[str] = ()
):
    """Launches headless Chromium: the browser, or with async Playwright an awaitable of it.

    Args:
        playwright: A started sync or async Playwright.
        fake_camera: A video for the fake camera (`chromium_arguments`), or None.
        extra_arguments: Further Chromium arguments.
    """
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=chromium_arguments(fake_camera, extra_arguments),
        headless=True,
    )


@contextlib.contextmanager
def chromium(
    fake_camera: pathlib.Path | None = None, extra_arguments: Sequence[str] = ()
) -> Iterator:
    """Headless Chromium through sync Playwright for a block, closed after it.

    The test is skipped when Chromium or Playwright is missing.
    """
    require_chromium()
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright, fake_camera, extra_arguments)
        try:
            yield browser
        finally:
            browser.close()


def new_page(
    browser,
    width: int,
    height: int,
    timeout_milliseconds: int = 60_000,
    init_script: str | None = None,
):
    """Opens a page of that size in a browser context of its own (its own address bar).

    Args:
        browser: A sync Playwright browser (`chromium`).
        width: The window's width, in pixels.
        height: Its height.
        timeout_milliseconds: How long the page's waits wait at most.
        init_script: JavaScript run in every page of the context before the page's own.
    """
    context = browser.new_context(viewport={"width": width, "height": height})
    if init_script is not None:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(timeout_milliseconds)
    return page


class StreamlitServer:
    """The app, served by a real Streamlit process on the loopback interface.

    Args:
        workspace: The folder the app keeps its projects in (`TLCORE_WORKSPACE`).
        log_folder: Where each start writes its log, `streamlit-<n>.log`.
        environment: Further environment variables for the server, such as limits.
    """

    def __init__(
        self,
        workspace: pathlib.Path,
        log_folder: pathlib.Path,
        environment: dict[str, str] | None = None,
    ):
        self.workspace = workspace
        self.log_folder = log_folder
        self.environment = {**os.environ, "TLCORE_WORKSPACE": str(workspace), **(environment or {})}
        self.port = free_port()
        self.address = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 120) -> "StreamlitServer":
        """Starts the server and waits until it answers its health check.

        Raises:
            RuntimeError: If the server stops while starting.
            TimeoutError: If it does not answer within `timeout` seconds.
        """
        self.starts += 1
        self.log_path = self.log_folder / f"streamlit-{self.starts}.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(ROOT / "app.py"),
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(self.port),
                    "--server.address",
                    "127.0.0.1",
                    "--browser.gatherUsageStats",
                    "false",
                    "--server.fileWatcherType",
                    "none",
                ],
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A process group of its own, so that a kill reaches every process it started.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The app stopped while starting:\n{self.log_tail()}")
            if self.is_answering():
                return self
            time.sleep(0.3)
        raise TimeoutError(f"The app did not answer within {timeout} s:\n{self.log_tail()}")

    def is_answering(self) -> bool:
        """Tells whether the server answers its health check."""
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{self.address}/_stcore/health", timeout=3) as answer:
                return answer.read().strip() == b"ok"
        return False

    def peak_memory_bytes(self) -> int:
        """Returns the most memory the server process has held so far (VmHWM), in bytes."""
        status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def kill(self) -> None:
        """Kills the server's whole process group at once with SIGKILL, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stops the server politely, or kills it if it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, characters: int = 3000) -> str:
        """Returns the end of the current start's log."""
        return self.log_path.read_text(errors="replace")[-characters:]


@contextlib.contextmanager
def running_app(
    workspace: pathlib.Path, log_folder: pathlib.Path, environment: dict[str, str] | None = None
) -> Iterator[StreamlitServer]:
    """The app served for a block (`StreamlitServer`), stopped after it, its log's end printed.

    The test is skipped when Chromium is missing: the server is there for a browser.
    """
    require_chromium()
    server = StreamlitServer(workspace, log_folder, environment).start()
    try:
        yield server
    finally:
        server.stop()
        print(f"\nStreamlit log ({server.log_path}):\n{server.log_tail()}")


def settle(page, extra_milliseconds: int = 300) -> None:
    """Waits until Streamlit has finished running the page's script (sync Playwright)."""
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE_SCRIPT, timeout=120_000)
    page.wait_for_timeout(extra_milliseconds)


async def settle_async(page, extra_milliseconds: int = 300) -> None:
    """Waits until Streamlit has finished running the page's script (async Playwright)."""
    await page.wait_for_timeout(300)
    await page.wait_for_function(IDLE_SCRIPT, timeout=120_000)
    await page.wait_for_timeout(extra_milliseconds)


def write_photos(folder: pathlib.Path, photos: list[tuple[str, bytes]]) -> list[str]:
    """Writes `(file_name, bytes)` photos into a folder and returns their paths, for uploads."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, data in photos:
        (folder / file_name).write_bytes(data)
        paths.append(str(folder / file_name))
    return paths


def screenshot_path(name: str) -> pathlib.Path:
    """Returns where a screenshot for a person to look at goes: `test-artifacts/screenshots/`."""
    folder = ROOT / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def screenshot(page, name: str) -> pathlib.Path:
    """Saves the whole page (sync Playwright) under `test-artifacts/screenshots/`."""
    path = screenshot_path(name)
    page.screenshot(path=str(path), full_page=True)
    return path
