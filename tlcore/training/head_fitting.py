"""Fitting a small head on in-memory features, an epoch per call into TensorFlow.

A head is two Dense layers on a few hundred feature vectors: one step of it is a fraction of a
millisecond of arithmetic. Keras' `fit` spends far more than that around each epoch (a new
iterator over the data, its callbacks' bookkeeping, a separate `evaluate` with its own
iterator for the validation photos), which made the head's 40 epochs most of a short
training: on this 2-core CPU, 2.4 s for 100 photos where the steps themselves take 0.3 s.

`fit_head` runs the very same steps (the compiled head's own `train_step` and `test_step`:
its loss with the L2 penalty, Adam, the dropout's random state, its loss and accuracy
metrics) in one traced TensorFlow function an epoch: the training batches in a shuffled order,
then the validation photos. The order is drawn from the seed, so a training is reproducible;
it is not the order `tf.data` would draw, so the weights differ from `fit`'s within the
spread of any reshuffle. Callbacks see each epoch's figures as they do under `fit`.

Other backends, and a Keras without the pieces used here, go through `fit` itself.
"""

import weakref

import keras
import numpy as np

try:  # The traced epoch needs the TensorFlow backend; with another, `fit` runs.
    import tensorflow as tf
except ImportError:  # pragma: no cover - TensorFlow is in requirements.txt.
    tf = None

# The traced epoch of each compiled head. A lent head (`nets.model.lend_compiled_head`) is reused
# by every training of its shape, so its epoch is traced once a process.
# (The traced function refers to its head, so an entry lives as long as the process; only lent
# heads, which do anyway, and the odd head of a test come here.)
_epoch_functions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class FitHistory:
    """What `fit_head` returns: like Keras' `History`, the figures of every epoch.

    Args:
        history: Each figure's name ("loss", "accuracy", "val_loss", "val_accuracy") and its
            value after every epoch.
    """

    def __init__(self, history: dict[str, list[float]]):
        self.history = history


def traced_fitting_available(head: keras.Model) -> bool:
    """Tells whether `fit_head` can run the head's epochs itself (TensorFlow backend, a
    compiled head, and the Keras pieces it calls)."""
    return (
        tf is not None
        and keras.backend.backend() == "tensorflow"
        and getattr(head, "optimizer", None) is not None
        and hasattr(head, "_symbolic_build")
    )


def _metric_results(head: keras.Model) -> dict:
    """The head's metrics as tensors, inside the traced function (Keras' own
    `get_metrics_result` turns them into Python numbers, which a trace cannot)."""
    results = {}
    for metric in head.metrics:
        value = metric.result()
        if isinstance(value, dict):
            results.update(value)
        else:
            results[metric.name] = value
    return results


def _epoch_function(head: keras.Model, batch_size: int, feature_count: int):
    """Returns the head's traced epoch: `(features, labels, order, validation features,
    validation labels) -> (training figures, validation figures)`, for any number of photos.

    It is traced once, for photo counts left open: traced for the counts first seen, a second
    training of other counts (the headline's second head, right after the model's) traced it
    again, in every process that trains (two heads in a fresh process: 3.6 CPU-seconds instead
    of 3.8, medians of four in turns, on this shared 2-core CPU).
    """
    cached = _epoch_functions.get(head)
    if cached is not None and cached[0] == batch_size:
        return cached[1]
    rows = tf.TensorSpec([None, feature_count], tf.float32)
    row_labels = tf.TensorSpec([None], tf.int64)

    @tf.function(
        input_signature=[rows, row_labels, tf.TensorSpec([None], tf.int32), rows, row_labels]
    )
    def epoch(features, labels, order, validation_features, validation_labels):
        for metric in head.metrics:
            metric.reset_state()
        count = tf.shape(order)[0]
        for batch in tf.range((count + batch_size - 1) // batch_size):
            rows = order[batch * batch_size : tf.minimum((batch + 1) * batch_size, count)]
            head.train_step((tf.gather(features, rows), tf.gather(labels, rows)))
        training_figures = _metric_results(head)
        for metric in head.metrics:
            metric.reset_state()
        # The validation photos in one batch: the loss tracker weighs each batch by its size
        # and the L2 penalty is the same for every batch, so the figures are those of `fit`'s
        # batches of `batch_size`.
        head.test_step((validation_features, validation_labels))
        return training_figures, _metric_results(head)

    _epoch_functions[head] = (batch_size, epoch)
    return epoch


def fit_head(head, training_data, validation_data, settings, callbacks) -> FitHistory:
    """Fits a compiled head for `settings.epochs` epochs, validating after each.

    Args:
        head: The compiled head (`nets.model.compile_head`).
        training_data: `(features, labels)` to learn from.
        validation_data: `(features, labels)` of the validation photos; at least one.
        settings: The training settings (epochs, batch size, seed).
        callbacks: Keras callbacks; each epoch's figures go to their `on_epoch_end`.

    Returns:
        The figures of every epoch.
    """
    features = tf.constant(np.asarray(training_data[0], dtype=np.float32))
    # Class numbers, as the traced epoch takes them (`_epoch_function`).
    labels = tf.constant(np.asarray(training_data[1], dtype=np.int64))
    validation_features = tf.constant(np.asarray(validation_data[0], dtype=np.float32))
    validation_labels = tf.constant(np.asarray(validation_data[1], dtype=np.int64))
    # Builds the optimizer's and metrics' variables when the head has never been fitted.
    head._symbolic_build(data_batch=(features[:1], labels[:1]))
    epoch = _epoch_function(head, settings.batch_size, int(features.shape[1]))
    callback_list = keras.callbacks.CallbackList(callbacks, model=head)
    generator = np.random.default_rng(settings.seed)
    history: dict[str, list[float]] = {}
    callback_list.on_train_begin()
    for epoch_index in range(settings.epochs):
        callback_list.on_epoch_begin(epoch_index)
        order = generator.permutation(len(training_data[1])).astype(np.int32)
        training_figures, validation_figures = epoch(
            features, labels, tf.constant(order), validation_features, validation_labels
        )
        logs = {name: float(value) for name, value in training_figures.items()}
        logs.update({f"val_{name}": float(value) for name, value in validation_figures.items()})
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        callback_list.on_epoch_end(epoch_index, logs)
    callback_list.on_train_end()
    return FitHistory(history)
