"""Keras' epochs as the app's progress reports: `EpochReporter`, a Keras callback.

Kept apart from `training.types` because it needs Keras: the web server reads settings and
progress reports from `training.types` and never imports TensorFlow.
"""

import keras

from tlcore.training.types import Progress, ProgressCallback


class EpochReporter(keras.callbacks.Callback):
    """Passes each finished epoch's figures to the caller's progress callback.

    Args:
        on_progress: The caller's callback.
        epochs: The epochs of this phase.
        phase: "training" or "fine-tuning".
        first_epoch: How many epochs came before this phase, so epochs count on across phases.
        fine_tuning: Whether the training fine-tunes (`Progress.fine_tuning`).
        run: Which of `runs` fits of the same length this is, from 0: heads are trained one
            after the other, and the bar goes over all of them.
        runs: How many such fits there are.
    """

    def __init__(
        self,
        on_progress: ProgressCallback,
        epochs: int,
        phase: str = "training",
        first_epoch: int = 0,
        fine_tuning: bool = False,
        run: int = 0,
        runs: int = 1,
    ):
        super().__init__()
        self.on_progress = on_progress
        self.epochs = epochs
        self.phase = phase
        self.first_epoch = first_epoch
        self.fine_tuning = fine_tuning
        self.run = run
        self.runs = runs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.on_progress(
            Progress(
                phase=self.phase,
                done=self.run * self.epochs + epoch + 1,
                total=self.runs * self.epochs,
                epoch=self.first_epoch + epoch + 1,
                epochs=self.first_epoch + self.epochs,
                loss=_as_float(logs.get("loss")),
                accuracy=_as_float(logs.get("accuracy")),
                val_loss=_as_float(logs.get("val_loss")),
                val_accuracy=_as_float(logs.get("val_accuracy")),
                fine_tuning=self.fine_tuning,
                learner=self.run + 1,
                learners=self.runs,
            )
        )


def _as_float(value) -> float | None:
    return None if value is None else float(value)
