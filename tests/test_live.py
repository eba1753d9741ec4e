"""The live camera: its engine (pictures answered newest first, fairly among viewers).

The engine tests use the real small model of `engine_fixtures.small_training` and real grocery
photos turned into camera-sized pictures.
"""

import io
import threading
import time

import numpy as np
import pytest
from engine_fixtures import GROCERY_DIR, TEST_CLASSES
from PIL import Image

from tlcore import errors
from tlcore.nets import prediction
from tlcore.serving import live_frames


def camera_picture(class_name: str, index: int = 0, split: str = "val") -> np.ndarray:
    """Returns a real grocery photo as a 320 x 240 RGB picture, as a camera sends it."""
    paths = sorted((GROCERY_DIR / split / class_name).glob("*.jpg"))
    if not paths:
        pytest.skip(f"The grocery photos are missing from {GROCERY_DIR}.")
    with Image.open(paths[index]) as image:
        return np.asarray(image.convert("RGB").resize((320, 240)))


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(name="stopped_classifier")
def stopped_classifier_fixture():
    """A live classifier whose thread is stopped, so a test runs its rounds itself."""
    classifier = live_frames.LiveClassifier(round_size=2)
    classifier.stop()
    return classifier


def test_a_camera_picture_gets_the_same_answer_as_the_same_picture_as_a_photo(small_training):
    trained = small_training.trained
    pictures = [camera_picture(name) for name in TEST_CLASSES]
    live = prediction.classify_frames(trained, pictures)
    photos = prediction.predict(
        trained, [png_bytes(picture) for picture in pictures], test_time_augmentation=False
    )
    for live_answer, photo_answer in zip(live, photos, strict=True):
        assert live_answer.error is None
        assert live_answer.top[0][0] == photo_answer.top[0][0]
        assert np.allclose(live_answer.probabilities, photo_answer.probabilities, atol=1e-5)
        assert live_answer.is_sure == photo_answer.is_sure
    # The small model knows these five classes apart on photos of another day.
    right = sum(answer.best_class == name for answer, name in zip(live, TEST_CLASSES, strict=True))
    assert right >= 4


def test_bad_camera_pictures_get_an_error_in_words_and_the_good_ones_an_answer(small_training):
    trained = small_training.trained
    good = camera_picture("Banana")
    bad = [
        np.zeros((240, 320), dtype=np.uint8),
        np.zeros((240, 320, 4), dtype=np.uint8),
        np.zeros((0, 320, 3), dtype=np.uint8),
        np.zeros((240, 320, 3), dtype=np.float32),
    ]
    answers = prediction.classify_frames(trained, [bad[0], good, *bad[1:]])
    assert answers[1].error is None and answers[1].best_class == "Banana"
    for answer in answers[:1] + answers[2:]:
        assert answer.error and answer.top == [] and not answer.is_sure
    assert "not a colour picture" in answers[0].error
    assert "8-bit" in answers[4].error


def test_a_viewer_keeps_only_its_newest_picture():
    viewer = live_frames.LiveViewer()
    pictures = [np.full((4, 4, 3), value, dtype=np.uint8) for value in (1, 2, 3)]
    for picture in pictures:
        viewer.offer(picture)
    assert viewer.frames_received == 3 and viewer.frames_dropped == 2
    # Without a trained model it only records: nothing waits for an answer.
    assert not viewer.has_frame_waiting
    frame, arrived_at = viewer.take_frame()
    assert frame is pictures[-1] and arrived_at <= time.monotonic()
    assert viewer.take_frame() is None
    assert viewer.newest_frame()[0] is pictures[-1]


def test_rounds_serve_the_viewers_that_waited_longest_first(small_training, stopped_classifier):
    classifier = stopped_classifier
    viewers = [classifier.watch(live_frames.LiveViewer(small_training.trained)) for _ in range(3)]
    served: list[int] = []
    for _ in range(6):
        for viewer in viewers:
            viewer.offer(camera_picture("Carrots"))
        taken = classifier.next_round()
        assert len(taken) == 2
        classifier.answer_round(taken)
        served.extend(viewers.index(viewer) for viewer, _, _ in taken)
    # With two places a round and three viewers, each is served four times in six rounds,
    # never three rounds in a row and never left out two rounds in a row.
    assert sorted(served.count(index) for index in range(3)) == [4, 4, 4]
    for start in range(0, len(served) - 2, 2):
        assert len(set(served[start : start + 4])) == 3
    for viewer in viewers:
        assert viewer.answer.prediction.best_class == "Carrots"
        # Pictures offered while the viewer waited for its turn were dropped, not queued.
        assert viewer.frames_dropped >= 1


def test_the_classifier_thread_answers_several_viewers_each_about_its_own_camera(
    small_training,
):
    classifier = live_frames.LiveClassifier()
    try:
        cameras = {name: camera_picture(name) for name in ("Banana", "Oatly-Oat-Milk")}
        viewers = {
            name: classifier.watch(live_frames.LiveViewer(small_training.trained))
            for name in cameras
        }
        stop = threading.Event()

        def stream(name: str) -> None:
            # 20 pictures a second, as a camera would, faster than the answers on 2 cores.
            while not stop.is_set():
                viewers[name].offer(cameras[name])
                time.sleep(0.05)

        threads = [threading.Thread(target=stream, args=(name,)) for name in cameras]
        for thread in threads:
            thread.start()
        try:
            assert wait_for(lambda: all(len(viewer._recent) >= 5 for viewer in viewers.values())), (
                "Both viewers should get answers while both cameras stream."
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        for name, viewer in viewers.items():
            assert viewer.answer.prediction.best_class == name
            figures = viewer.figures()
            assert figures.answers >= 5 and figures.answers_per_second > 0
            assert 0 < figures.median_latency <= figures.p95_latency
            print(
                f"{name}: {figures.answers_per_second:.1f} answers/s, latency median "
                f"{figures.median_latency * 1000:.0f} ms, p95 {figures.p95_latency * 1000:.0f} ms, "
                f"{viewer.frames_dropped} of {viewer.frames_received} pictures dropped"
            )
    finally:
        classifier.stop()


def test_a_failing_answer_gives_a_message_and_the_thread_goes_on(small_training):
    failures = []

    def classify_failing_once(trained, frames, top_k=3):
        if not failures:
            failures.append(len(frames))
            raise RuntimeError("a fault inside the model")
        return prediction.classify_frames(trained, frames, top_k=top_k)

    classifier = live_frames.LiveClassifier(classify=classify_failing_once)
    try:
        viewer = classifier.watch(live_frames.LiveViewer(small_training.trained))
        viewer.offer(camera_picture("Watermelon"))
        assert wait_for(lambda: viewer.problem is not None)
        assert "could not answer a picture" in viewer.problem
        assert "Traceback" not in viewer.problem and "RuntimeError" not in viewer.problem
        viewer.offer(camera_picture("Watermelon"))
        assert wait_for(lambda: viewer.answer is not None)
        assert viewer.answer.prediction.best_class == "Watermelon"
        assert viewer.problem is None
        # A picture that is not a picture is a message too, and the next good one clears it.
        viewer.offer(np.zeros((240, 320), dtype=np.uint8))
        assert wait_for(lambda: viewer.problem is not None)
        assert "could not be used" in viewer.problem
    finally:
        classifier.stop()


def test_a_round_must_hold_a_picture():
    with pytest.raises(errors.SettingsError):
        live_frames.LiveClassifier(round_size=0)


def test_recording_takes_new_pictures_at_even_intervals_and_stops_with_the_camera():
    viewer = live_frames.LiveViewer()
    stop = threading.Event()
    sent = []

    def camera(pictures: int) -> None:
        for index in range(pictures):
            if stop.is_set():
                return
            picture = np.full((8, 8, 3), index, dtype=np.uint8)
            sent.append(picture)
            viewer.offer(picture)
            time.sleep(0.02)

    thread = threading.Thread(target=camera, args=(1000,))
    thread.start()
    progress = []
    try:
        pictures = live_frames.record_frames(
            viewer, 5, 0.5, on_progress=lambda *p: progress.append(p)
        )
    finally:
        stop.set()
        thread.join()
    assert len(pictures) == 5 and progress == [(n, 5) for n in range(1, 6)]
    values = [int(picture[0, 0, 0]) for picture in pictures]
    assert values == sorted(set(values)), "each photo is a new picture, in order"
    # About 0.1 s apart at 50 pictures a second: several pictures between two photos.
    assert values[-1] - values[0] >= 8

    # A camera that stops after 3 pictures: those are kept, and the recording ends early.
    stopped = live_frames.LiveViewer()
    for value in range(3):
        stopped.offer(np.full((8, 8, 3), value, dtype=np.uint8))
    started = time.monotonic()
    kept = live_frames.record_frames(stopped, 10, 0.1, patience=0.3)
    assert len(kept) == 1 and int(kept[0][0, 0, 0]) == 2
    assert time.monotonic() - started < 3
    with pytest.raises(errors.SettingsError):
        live_frames.record_frames(stopped, 0, 1)


def test_no_ice_server_by_default_and_the_setting_read_or_explained():
    from tlapp.panels import live

    assert live.ice_servers({}) == ([], None)
    # An explicit empty list reaches aiortc as it is: no fallback to Google's public STUN.
    from streamlit_webrtc import component

    assert component._resolve_server_rtc_configuration({"iceServers": []}).iceServers == []
    servers = '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"}]'
    assert live.ice_servers({live.ICE_SERVERS_VARIABLE: servers})[0][0]["username"] == "u"
    for wrong in ("stun:stun.example.org", '{"urls": "stun:x"}', "[1]", '[{"url": "x"}]'):
        found, problem = live.ice_servers({live.ICE_SERVERS_VARIABLE: wrong})
        assert found == [] and live.ICE_SERVERS_VARIABLE in problem


def test_the_camera_messages_say_what_is_wrong_in_words():
    from tlapp.panels import live

    viewer = live_frames.LiveViewer()
    assert "Start the camera" in live.camera_message(False, viewer)[1]
    assert live.camera_message(True, viewer)[0] == "info"
    viewer.offer(np.zeros((8, 8, 3), dtype=np.uint8))
    assert live.camera_message(True, viewer) is None
    viewer.note_problem("A picture from the camera could not be read (bad data).")
    assert live.camera_message(True, viewer) == ("warning", viewer.problem)
    viewer.mark_ended()
    kind, text = live.camera_message(True, viewer)
    assert kind == "warning" and "No picture has come from the camera" in text


# The browser: Chromium's fake camera plays a video of real photos, class A then class B.

CLASS_A, CLASS_B = "Banana", "Oatly-Oat-Milk"
SECONDS_PER_CLASS = 4
WEBRTC_FRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
# Keeps every camera stream the page opens, so the test can stop the camera mid-stream.
KEEP_STREAMS = """
(() => {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.liveTestStreams = [];
  // Notes the ICE servers of every peer connection, to check that none is used by default.
  const OriginalConnection = window.RTCPeerConnection;
  window.liveTestIceServers = [];
  window.RTCPeerConnection = function (configuration) {
    window.liveTestIceServers.push(JSON.stringify((configuration || {}).iceServers || null));
    return new OriginalConnection(configuration);
  };
  window.RTCPeerConnection.prototype = OriginalConnection.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, OriginalConnection);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    window.liveTestStreams.push(stream);
    return stream;
  };
})();
"""


@pytest.fixture(scope="module", name="live_app")
def live_app_fixture(tmp_path_factory, engine_environment):
    """A trained two-class project, the app serving it, and a video of both classes."""
    from app_fixtures import grocery_photos
    from live_fixtures import trained_project, write_y4m
    from server_fixtures import require_chromium, running_app

    from tlcore import store

    require_chromium()
    folder = tmp_path_factory.mktemp("live_app")
    photos = {name: grocery_photos(name, 10) for name in (CLASS_A, CLASS_B)}
    video = write_y4m(
        folder / "camera.y4m",
        [([data for _, data in photos[name][:3]], SECONDS_PER_CLASS) for name in photos],
    )
    space = store.Workspace(folder / "workspace")
    project = trained_project(space, photos)
    with running_app(folder / "workspace", folder) as server:
        yield server, project, video


@pytest.fixture(name="camera_page")
def camera_page_fixture(live_app):
    """A Chromium page whose camera plays the test video."""
    from server_fixtures import chromium, new_page

    _, _, video = live_app
    with chromium(fake_camera=video) as browser:
        yield new_page(browser, 1400, 1100, init_script=KEEP_STREAMS)


def live_best_class(page) -> str | None:
    """Reads the live answer's best class from its headline, sure or not."""
    for heading in page.locator("h3").all_inner_texts():
        if heading.startswith("This looks like: "):
            return heading.removeprefix("This looks like: ").strip()
    guess = page.get_by_text("Its best guess is ")
    if guess.count():
        return guess.first.inner_text().removeprefix("Its best guess is ").split(",")[0].strip()
    return None


def wait_for_class(page, class_name: str, timeout: float = 40.0) -> float:
    """Waits until the live headline names a class; returns the seconds it took."""
    start = time.monotonic()
    seen = []
    while time.monotonic() - start < timeout:
        found = live_best_class(page)
        seen.append(found)
        if found == class_name:
            return time.monotonic() - start
        page.wait_for_timeout(200)
    raise AssertionError(f"The live headline never named {class_name}; it read {set(seen)}.")


def start_camera(page) -> None:
    from server_fixtures import settle

    settle(page)
    page.frame_locator(WEBRTC_FRAME).first.get_by_role("button", name="Start the camera").click()


def open_recorder(page) -> None:
    """Turns on Collect's recorder and waits for its camera box."""
    page.get_by_text("Record photos from the live camera").click()
    page.locator(WEBRTC_FRAME).first.wait_for(state="visible", timeout=60_000)


def stop_camera_tracks(page) -> None:
    """Stops the camera's tracks inside the component, as an unplugged camera would."""
    for frame in page.frames:
        stopped = frame.evaluate(
            "() => (window.liveTestStreams || []).map("
            "s => s.getTracks().forEach(t => t.stop())).length"
        )
        if stopped:
            return
    raise AssertionError("No camera stream was found to stop.")


def ice_servers_used(page) -> list[str]:
    """The ICE servers of every peer connection the page's frames made, as JSON."""
    found = []
    for frame in page.frames:
        found += frame.evaluate("() => window.liveTestIceServers || []")
    return found


def assert_no_exception_box(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.slow
@pytest.mark.browser
def test_the_live_headline_follows_the_camera_from_one_class_to_another(live_app, camera_page):
    from server_fixtures import screenshot, settle

    server, project, _ = live_app
    page = camera_page
    opened = time.monotonic()
    page.goto(f"{server.address}/Predict?owner={project.owner}&project={project.id}")
    start_camera(page)
    # The video starts with class A; the first answer may come during either class.
    start = time.monotonic()
    while live_best_class(page) is None and time.monotonic() - start < 60:
        page.wait_for_timeout(200)
    first = live_best_class(page)
    print(f"\nFrom opening Predict to the first live answer: {time.monotonic() - opened:.1f} s")
    assert first in (CLASS_A, CLASS_B)
    other = CLASS_B if first == CLASS_A else CLASS_A
    print(f"The headline turned from {first} to {other} in {wait_for_class(page, other):.1f} s")
    print(f"and back to {first} in {wait_for_class(page, first):.1f} s")
    assert page.get_by_text("answers a second").count() == 1
    # Offline by default: the browser's peer connection was given no STUN or TURN server.
    assert ice_servers_used(page) == ["[]"]
    screenshot(page, "live_predict")

    # Use this frame: the picture judged gets the page's detailed answer, as a photo would.
    page.get_by_role("button", name="Use this frame").click()
    page.get_by_text("live frame ").first.wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "live_predict_frame_used")
    assert_no_exception_box(page)

    # A camera that stops mid-stream gives a message in words.
    stop_camera_tracks(page)
    expect_message = page.get_by_text("No picture has come from the camera")
    # The page says so within seconds; a machine busy with other tests may take longer.
    expect_message.first.wait_for(timeout=60_000)
    assert_no_exception_box(page)
    screenshot(page, "live_predict_camera_stopped")


@pytest.mark.slow
@pytest.mark.browser
def test_photos_recorded_from_the_live_camera_go_into_a_class(live_app, camera_page):
    from server_fixtures import screenshot, settle

    server, project, _ = live_app
    page = camera_page
    before = project.refresh().photo_counts()[CLASS_B]
    page.goto(f"{server.address}/Collect?owner={project.owner}&project={project.id}")
    settle(page)
    open_recorder(page)
    page.locator(".st-key-live_record_class").get_by_role("combobox").click()
    page.keyboard.type(CLASS_B)
    page.keyboard.press("Enter")
    settle(page)
    for label, value in (("Photos", "4"), ("Over seconds", "2")):
        page.get_by_label(label, exact=True).fill(value)
        page.get_by_label(label, exact=True).press("Enter")
        settle(page)
    start_camera(page)
    take = page.get_by_role("button", name="Take 4 photos over 2 seconds")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => "
        "b.innerText.includes('Take 4 photos') && !b.disabled)",
        timeout=30_000,
    )
    take.click()
    page.get_by_text("Added ").first.wait_for(timeout=30_000)
    assert_no_exception_box(page)
    added = project.refresh().photo_counts()[CLASS_B] - before
    assert 1 <= added <= 4
    screenshot(page, "live_collect_recorded")
