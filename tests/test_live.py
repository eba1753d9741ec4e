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

from tlcore import errors, live_frames, prediction


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
