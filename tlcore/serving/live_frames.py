"""Live camera pictures answered as they come, newest first, fairly among viewers.

A camera sends 15-30 pictures a second and the model answers far fewer on a CPU, so answering
every picture would fall further and further behind. Instead each viewer (`LiveViewer`) keeps
only its newest picture: a picture not yet answered when the next one comes is dropped. One
thread per process (`LiveClassifier`) does all the model work, in rounds: each round takes the
newest picture of every viewer that has one, those who waited longest first, and answers them
in one pass through the model per trained model (`nets.prediction.classify_frames`). So a viewer
never waits more than one round behind the others, and the answer is always about a picture
less than one round old. A viewer without a trained model (recording photos) only keeps its
newest picture.
"""

import collections
import dataclasses
import logging
import statistics
import threading
import time
import weakref

import numpy as np

from tlcore import errors
from tlcore.nets import prediction

LOGGER = logging.getLogger(__name__)

#: The most pictures answered in one pass through the model; more viewers wait a round.
ROUND_SIZE = 8
#: Answers older than this many seconds are left out of the figures.
FIGURES_WINDOW_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class LiveAnswer:
    """The model's answer to one camera picture.

    Args:
        prediction: The answer (`nets.prediction.Prediction`).
        frame: The picture that was judged, `(height, width, 3)` RGB.
        arrived_at: When the picture reached the server (`time.monotonic`).
        answered_at: When the answer was ready.
    """

    prediction: prediction.Prediction
    frame: np.ndarray
    arrived_at: float
    answered_at: float

    @property
    def latency(self) -> float:
        """Seconds from the picture's arrival to its answer."""
        return self.answered_at - self.arrived_at


@dataclasses.dataclass(frozen=True)
class LiveFigures:
    """How fast a viewer gets answers, over the last few seconds.

    Args:
        answers_per_second: Answers a second.
        median_latency: The median seconds from a picture's arrival to its answer.
        p95_latency: The 95th percentile of the same.
        answers: How many answers the figures are made of.
    """

    answers_per_second: float
    median_latency: float
    p95_latency: float
    answers: int


def percentile(values: list[float], fraction: float) -> float:
    """Returns a percentile of some values (nearest rank), 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class LiveViewer:
    """One camera's pictures and the answers about them.

    The camera's thread calls `offer` with each picture; the classifier's thread calls
    `take_frame` and `give_answer`; the page reads `answer`, `figures` and `problem`. Every
    method is safe to call from any thread.

    Args:
        trained: The `training.types.TrainedModel` that answers, or None to only keep pictures.
        top_k: How many of the most likely classes each answer lists.
    """

    def __init__(self, trained=None, top_k: int = 3):
        self.trained = trained
        self.top_k = top_k
        self._lock = threading.Lock()
        self._pending: tuple[np.ndarray, float] | None = None
        self._newest: tuple[np.ndarray, float] | None = None
        self._answer: LiveAnswer | None = None
        self._recent: collections.deque[LiveAnswer] = collections.deque(maxlen=200)
        self._problem: str | None = None
        self._classifier: LiveClassifier | None = None
        self.frames_received = 0
        self.frames_dropped = 0
        self.last_turn = 0
        self.ended = False

    def offer(self, frame: np.ndarray) -> None:
        """Keeps a new camera picture, dropping the one before if it was never answered."""
        now = time.monotonic()
        with self._lock:
            if self._pending is not None:
                self.frames_dropped += 1
            self._pending = (frame, now)
            self._newest = (frame, now)
            self.frames_received += 1
            self.ended = False
            classifier = self._classifier if self.trained is not None else None
        if classifier is not None:
            classifier.wake()

    def take_frame(self) -> tuple[np.ndarray, float] | None:
        """Takes the picture waiting for an answer, with its arrival time; None if none."""
        with self._lock:
            taken, self._pending = self._pending, None
            return taken

    @property
    def has_frame_waiting(self) -> bool:
        """Whether a picture waits for an answer."""
        return self._pending is not None and self.trained is not None

    def newest_frame(self) -> tuple[np.ndarray, float] | None:
        """Returns the newest picture, answered or not, with its arrival time; None if none."""
        with self._lock:
            return self._newest

    def give_answer(self, answer: LiveAnswer) -> None:
        """Keeps the answer to a picture and clears a problem that went before it."""
        with self._lock:
            self._answer = answer
            self._recent.append(answer)
            if answer.prediction.error is None:
                self._problem = None
            else:
                self._problem = (
                    f"A picture from the camera could not be used: {answer.prediction.error}."
                )

    @property
    def answer(self) -> LiveAnswer | None:
        """The newest answer, or None before the first."""
        return self._answer

    def recent_answers(self) -> list[LiveAnswer]:
        """The last 200 answers, oldest first."""
        with self._lock:
            return list(self._recent)

    def note_problem(self, text: str) -> None:
        """Keeps a message for the person about something that went wrong with the pictures."""
        with self._lock:
            self._problem = text

    @property
    def problem(self) -> str | None:
        """What went wrong last, in words for the person; None when all is well."""
        return self._problem

    def mark_ended(self) -> None:
        """Notes that the camera's stream ended."""
        self.ended = True

    def seconds_since_last_frame(self) -> float | None:
        """Seconds since the newest picture came; None before the first."""
        newest = self._newest
        return None if newest is None else time.monotonic() - newest[1]

    def figures(self, window: float = FIGURES_WINDOW_SECONDS) -> LiveFigures:
        """Returns the answers a second and their latency over the last `window` seconds."""
        now = time.monotonic()
        with self._lock:
            recent = [answer for answer in self._recent if now - answer.answered_at <= window]
        if not recent:
            return LiveFigures(0.0, 0.0, 0.0, 0)
        latencies = [answer.latency for answer in recent]
        # The rate counts answers over the time they span, so a camera just started is not
        # counted as slow for the seconds before its first answer.
        span = max(now - recent[0].answered_at, 1.0 if len(recent) == 1 else 1e-6)
        rate = (len(recent) - 1) / span if len(recent) > 1 else 1.0 / span
        return LiveFigures(
            rate, statistics.median(latencies), percentile(latencies, 0.95), len(recent)
        )


class LiveClassifier:
    """The one thread of a process that answers every viewer's pictures, in rounds.

    Args:
        round_size: The most pictures answered in one pass through the model.
        classify: The function that answers pictures (`nets.prediction.classify_frames`).
    """

    def __init__(self, round_size: int = ROUND_SIZE, classify=prediction.classify_frames):
        if round_size < 1:
            raise errors.SettingsError("A round must answer at least one picture.")
        self.round_size = round_size
        self.classify = classify
        self._viewers: weakref.WeakSet[LiveViewer] = weakref.WeakSet()
        self._wake = threading.Condition()
        self._stopping = False
        self.rounds = 0
        self._turns = 0
        self._thread = threading.Thread(target=self._run, name="live-classifier", daemon=True)
        self._thread.start()

    def watch(self, viewer: LiveViewer) -> LiveViewer:
        """Answers a viewer's pictures from now on; the viewer is forgotten once unused."""
        viewer._classifier = self
        with self._wake:
            self._viewers.add(viewer)
            self._wake.notify()
        return viewer

    def forget(self, viewer: LiveViewer) -> None:
        """Stops answering a viewer's pictures."""
        with self._wake:
            self._viewers.discard(viewer)
        viewer._classifier = None

    def wake(self) -> None:
        """Tells the thread that a picture is waiting."""
        with self._wake:
            self._wake.notify()

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the thread after its current round."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout)

    def next_round(self) -> list[tuple[LiveViewer, np.ndarray, float]]:
        """Takes the pictures of the next round: one a viewer, those served longest ago first."""
        with self._wake:
            viewers = list(self._viewers)
        waiting = sorted(
            (viewer for viewer in viewers if viewer.has_frame_waiting),
            key=lambda viewer: viewer.last_turn,
        )
        taken = []
        for viewer in waiting[: self.round_size]:
            frame = viewer.take_frame()
            if frame is not None:
                # Turns are numbered in the order they are given, so viewers left out of a
                # full round come first in the next one.
                self._turns += 1
                viewer.last_turn = self._turns
                taken.append((viewer, *frame))
        return taken

    def answer_round(self, taken: list[tuple[LiveViewer, np.ndarray, float]]) -> None:
        """Answers a round's pictures, one pass through the model per trained model."""
        by_model: dict[int, list[tuple[LiveViewer, np.ndarray, float]]] = {}
        for item in taken:
            by_model.setdefault(id(item[0].trained), []).append(item)
        for group in by_model.values():
            trained = group[0][0].trained
            try:
                answers = self.classify(
                    trained, [frame for _, frame, _ in group], top_k=group[0][0].top_k
                )
            except errors.TlcoreError as error:
                for viewer, _, _ in group:
                    viewer.note_problem(str(error))
                continue
            except Exception:
                # The thread serves every viewer of the server: one failure must not stop it.
                LOGGER.exception("The live answer to a camera picture failed.")
                for viewer, _, _ in group:
                    viewer.note_problem(
                        "The model could not answer a picture from the camera. It goes on "
                        "with the next one; if this stays, reload the page."
                    )
                continue
            now = time.monotonic()
            for (viewer, frame, arrived_at), answer in zip(group, answers, strict=True):
                viewer.give_answer(LiveAnswer(answer, frame, arrived_at, now))

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and not any(
                    viewer.has_frame_waiting for viewer in list(self._viewers)
                ):
                    self._wake.wait(timeout=1.0)
                if self._stopping:
                    return
            taken = self.next_round()
            if taken:
                self.answer_round(taken)
                self.rounds += 1


def record_frames(
    viewer: LiveViewer,
    count: int,
    seconds: float,
    on_progress=None,
    patience: float = 3.0,
) -> list[np.ndarray]:
    """Takes a camera's pictures at even intervals, such as 20 over 10 seconds.

    Each picture taken is a new one from the camera, never the same one twice. When the camera
    sends nothing new for `patience` seconds (it stopped or was unplugged), the recording ends
    early with the pictures taken so far, so that nothing taken is lost.

    Args:
        viewer: The camera's viewer, which keeps its newest picture.
        count: How many pictures, at least 1.
        seconds: Over how long, at least 0.
        on_progress: Called with (pictures taken, count) after each picture.
        patience: The most seconds to wait for a new picture.

    Returns:
        The pictures taken, `(height, width, 3)` RGB each, oldest first.

    Raises:
        SettingsError: If `count` or `seconds` is out of range.
    """
    if count < 1 or seconds < 0:
        raise errors.SettingsError("Take at least one picture, over no less than 0 seconds.")
    interval = seconds / count
    start = time.monotonic()
    last_arrival = None
    pictures: list[np.ndarray] = []
    for index in range(count):
        time.sleep(max(0.0, start + index * interval - time.monotonic()))
        deadline = time.monotonic() + patience
        newest = viewer.newest_frame()
        # A picture counts when it is new and fresh: not one already taken, nor one left from
        # a camera that has since stopped.
        while (
            newest is None or newest[1] == last_arrival or time.monotonic() - newest[1] > patience
        ):
            if time.monotonic() >= deadline:
                return pictures
            time.sleep(0.02)
            newest = viewer.newest_frame()
        pictures.append(newest[0])
        last_arrival = newest[1]
        if on_progress is not None:
            on_progress(len(pictures), count)
    return pictures


_shared: LiveClassifier | None = None
_shared_lock = threading.Lock()


def shared_classifier() -> LiveClassifier:
    """Returns the process's one live classifier, starting its thread on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LiveClassifier()
        return _shared
