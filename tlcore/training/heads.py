"""Fitting new heads on features: one head, several from their own random starts, averaged.

The head is a small classifier on the frozen base's pooled features (`nets.model.build_head`).
`train_heads` fits `settings.head_count` of them one after the other, each from its own seed,
and averages them into one model; `fit_head` runs Keras' fit on in-memory features.
`training.trainer.train` uses them for the model and for the headline's second head, `teaching`
through `train`.
"""

import dataclasses

import keras
import numpy as np

from tlcore.nets import model
from tlcore.training import epoch_reports, head_fitting, types


def fit_head(head, training_data, validation_data, settings, callbacks):
    """Fits the head on in-memory features, validating on the held-out rows every epoch.

    Under TensorFlow each epoch is one call of a traced function running the head's own
    training and validation steps (`training.head_fitting`): `fit`'s work around each epoch cost
    more than a small head's whole epoch. Without the Keras pieces it calls, the features go through
    a cached tf.data pipeline (Keras' NumPy adapter rebuilds its pipeline every epoch). Other
    backends take the arrays directly.

    Args:
        head: The compiled head.
        training_data: `(features, labels)` to learn from, augmented views included.
        validation_data: `(features, labels)` of the validation photos.
        settings: The training settings (epochs, batch size, seed).
        callbacks: Keras callbacks.

    Returns:
        Keras' `History`, or `training.head_fitting.FitHistory`: the same `history`.
    """
    if head_fitting.traced_fitting_available(head) and len(validation_data[1]):
        # The same steps as `fit`, without its overhead around each epoch (`training.head_fitting`).
        # Every random draw there has its own seed (the order from `settings.seed`, the
        # dropout's generator inside the head), so the global seeds are left alone: setting
        # them empties TensorFlow's kernel cache, which cost 0.1-0.15 CPU-seconds a head
        # (re-made kernels in the first epochs) on this 2-core CPU.
        return head_fitting.fit_head(head, training_data, validation_data, settings, callbacks)
    # `fit` shuffles with the global generators.
    keras.utils.set_random_seed(settings.seed)
    if keras.backend.backend() != "tensorflow":
        return head.fit(
            *training_data,
            validation_data=validation_data,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            shuffle=True,
            verbose=0,
            callbacks=callbacks,
        )
    import tensorflow as tf

    training_batches = (
        tf.data.Dataset.from_tensor_slices(training_data)
        .cache()
        .shuffle(len(training_data[1]), seed=settings.seed, reshuffle_each_iteration=True)
        .batch(settings.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    validation_batches = (
        tf.data.Dataset.from_tensor_slices(validation_data).cache().batch(settings.batch_size)
    )
    return head.fit(
        training_batches,
        validation_data=validation_batches,
        epochs=settings.epochs,
        # The pipeline shuffles itself, reproducibly from the seed.
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )


def train_heads(
    feature_count: int,
    class_count: int,
    training_data: tuple[np.ndarray, np.ndarray],
    validation_data: tuple[np.ndarray, np.ndarray],
    settings: types.TrainingSettings,
    report: types.ProgressCallback,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Trains `settings.head_count` heads one after the other and averages them into one.

    Returns:
        The head (the only one, or a model averaging all of them) and the per-epoch history,
        averaged over the heads.
    """
    heads, histories = [], []
    for index in range(settings.head_count):
        head_settings = dataclasses.replace(settings, seed=settings.seed + index)
        head = model.build_head(
            feature_count,
            class_count,
            hidden_units=settings.hidden_units,
            dropout=settings.dropout,
            seed=head_settings.seed,
            l2_regularization=settings.l2_regularization,
        )
        reporter = epoch_reports.EpochReporter(
            report,
            settings.epochs,
            fine_tuning=settings.fine_tune,
            run=index,
            runs=settings.head_count,
        )
        shape_key = (
            feature_count,
            class_count,
            settings.hidden_units,
            settings.dropout,
            settings.l2_regularization,
        )
        # A compiled head of the same shape from an earlier training learns in its place, so
        # that Keras does not trace its steps again (`nets.model.lend_compiled_head`).
        with model.lend_compiled_head(head, settings.learning_rate, shape_key) as learner:
            fit_history = fit_head(
                learner, training_data, validation_data, head_settings, callbacks=[reporter]
            )
            head.set_weights(learner.get_weights())
        heads.append(head)
        histories.append(fit_history.history)
    # Every head ran the same number of epochs: there is no early stopping here.
    history = {
        key: np.mean([run[key] for run in histories], axis=0).astype(float).tolist()
        for key in histories[0]
    }
    if len(heads) == 1:
        return heads[0], history
    return average_heads(heads, feature_count), history


def average_heads(heads: list[keras.Model], feature_count: int) -> keras.Model:
    """Joins heads into one model whose probabilities are the average of theirs."""
    features = keras.Input(shape=(feature_count,), name="features")
    for index, head in enumerate(heads):
        # Layer names must be unique inside the joined model.
        head.name = f"head_{index + 1}"
    averaged = keras.layers.Average(name="average")([head(features) for head in heads])
    return keras.Model(features, averaged, name="head")
