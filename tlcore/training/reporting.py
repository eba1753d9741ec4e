"""A training's progress, passed to the caller's callback phase by phase.

`Reporter` is what `training.trainer.train` hands to every step that reports: the queue's place,
the embedding of photos and their views with the time left, the head's epochs, and the
second head's epochs as the "measuring" phase.
"""

from __future__ import annotations

import dataclasses

from tlcore import time_left
from tlcore.training import types, views


class Reporter:
    """Passes a training's progress to the caller's callback, each report marked with whether
    the training fine-tunes (which changes how much of the bar each phase is).

    Args:
        on_progress: The caller's callback; None to report nothing.
        settings: The training settings.
        photo_count: How many photos the training embeds.
    """

    def __init__(
        self,
        on_progress: types.ProgressCallback | None,
        settings: types.TrainingSettings,
        photo_count: int,
    ):
        self.on_progress = on_progress
        self.fine_tuning = settings.fine_tune
        self.photo_count = photo_count
        # Until the split is known, the views of every photo are counted;
        # `training.trainer._embed_views` makes the total exact once the rows are chosen.
        self.embedding_total = photo_count * (
            1 + settings.augmentation_views + views.test_time_view_count(settings)
        )
        self.estimator = time_left.TimeLeftEstimator()
        self.views_started = False

    def __call__(self, progress: types.Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(dataclasses.replace(progress, fine_tuning=self.fine_tuning))

    def waiting(self, place: int) -> None:
        """Reports the training's place in the queue of trainings (1 is next)."""
        self(types.Progress(phase="waiting", queue_position=place))

    def photos_embedded(self, done: int, _total: int | None = None) -> None:
        """Reports how many of the photos and their views are embedded, with the time left."""
        seconds_left = self.estimator.update(done, self.embedding_total)
        self(
            types.Progress(
                phase="embedding",
                done=done,
                total=self.embedding_total,
                seconds_left=seconds_left,
            )
        )

    def views_embedded(self, done: int, _total: int) -> None:
        """Reports how many views are embedded, after the photos themselves."""
        if not self.views_started:
            # Views found in the cache took no time: they do not count towards the pace.
            self.estimator.skip(done)
            self.views_started = True
        self.photos_embedded(self.photo_count + done)

    def measuring(self, progress: types.Progress) -> None:
        """Reports the second head's epochs as the "measuring" phase, so the live chart of the
        model's own learning is left alone."""
        self(types.Progress(phase="measuring", done=progress.done, total=progress.total))
