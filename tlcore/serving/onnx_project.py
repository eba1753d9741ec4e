"""Predicting with a project file's ONNX model, without importing TensorFlow.

Importing TensorFlow and Keras takes seconds; ONNX Runtime a fraction of one. The command
line's `predict` first tries `load_for_prediction`, which reads the project file's
`model.onnx` (checked against the Keras model when it was written, its checksum recorded in
`project.json`) and gives a `PredictionModel` that `nets.prediction.predict` uses like a
`training.types.TrainedModel`. A file without one (saved by an earlier version), a damaged one, or
`TLCORE_RUNTIME=keras` gives None and a reason, and the caller loads the Keras model instead:
never a wrong answer.
"""

import dataclasses

from tlcore import errors
from tlcore.data import augmentation
from tlcore.nets import prediction, runtimes
from tlcore.serving import project_file


@dataclasses.dataclass(frozen=True)
class PredictionSettings:
    """The training settings a prediction needs: the image size and test-time augmentation.

    Args:
        image_size: The square size the pretrained base sees.
        test_time_augmentation: Whether predictions average each photo with its test-time
            views.
        augmentation: The training's augmentation settings, which the views follow.
    """

    image_size: int
    test_time_augmentation: bool
    augmentation: augmentation.AugmentationSettings

    @classmethod
    def from_dict(cls, data: dict) -> "PredictionSettings":
        """Reads them from a project file's settings (`TrainingSettings.to_dict`).

        Raises:
            ValueError: If one has the wrong type.
        """
        test_time = data.get("test_time_augmentation", False)
        if not isinstance(test_time, bool):
            raise ValueError("The setting test_time_augmentation must be true or false.")
        views = data.get("augmentation")
        if views is not None and not isinstance(views, dict):
            raise ValueError("The augmentation settings must be an object.")
        return cls(
            image_size=int(data["image_size"]),
            test_time_augmentation=test_time,
            augmentation=augmentation.AugmentationSettings.from_dict(views or {}),
        )


@dataclasses.dataclass
class PredictionModel:
    """What `nets.prediction.predict` needs of a trained model, run by ONNX Runtime.

    Args:
        model: The ONNX classifier: pixels (0-255) in, probabilities out.
        class_names: The class of each output, in order.
        settings: The settings predictions follow.
        unknown_threshold: The confidence below which an answer reads "not sure"; None for
            files saved before it was measured.
        onnx: The ONNX form's record (checksum, check).
    """

    model: runtimes.OnnxModel
    class_names: list[str]
    settings: PredictionSettings
    unknown_threshold: float | None
    onnx: runtimes.OnnxClassifier

    @property
    def sure_threshold(self) -> float:
        """The confidence from which an answer counts as sure."""
        return prediction.sure_threshold(self.unknown_threshold)

    @property
    def input_size(self) -> int:
        """The square size photos are resized to before the model."""
        return int(self.model.inputs[0].shape[1])


def load_for_prediction(source) -> tuple[PredictionModel | None, str | None]:
    """Loads a project file's ONNX model for predictions, without TensorFlow.

    Args:
        source: The project file, as bytes or a path.

    Returns:
        `(model, None)`, or `(None, reason)` when predictions must go through Keras: ONNX
        Runtime is not wanted or not installed, or the file's ONNX model is missing, damaged or
        does not fit its class list. The reason is a sentence for a person; None when Keras was
        asked for.

    Raises:
        ProjectFileError: If the file is not a readable project at all.
    """
    if not runtimes.onnx_wanted():
        return None, None
    return prediction_model_from(project_file.read_archive(source))


def prediction_model_from(
    contents: project_file.ProjectArchive,
) -> tuple[PredictionModel | None, str | None]:
    """Makes a project file's ONNX model ready for predictions, whatever `TLCORE_RUNTIME` says.

    Args:
        contents: The project file's entries (`serving.project_file.read_archive`).

    Returns:
        `(model, None)`, or `(None, reason)` when the file's ONNX model is missing, damaged,
        does not fit its class list, or ONNX Runtime is not installed.
    """
    onnx_form, reason = project_file.read_onnx_entry(contents)
    if onnx_form is None:
        return None, reason
    metadata = contents.metadata
    try:
        class_names = [str(name) for name in metadata["class_names"]]
        settings = PredictionSettings.from_dict(metadata["settings"])
        threshold = project_file.read_threshold(metadata.get("unknown_threshold"))
        onnx_model = runtimes.OnnxModel(onnx_form.data, use_gpu=bool(runtimes.gpu_providers()))
    except (KeyError, TypeError, ValueError, RecursionError, errors.SettingsError) as error:
        return None, f"This project file's ONNX model cannot be used: {error}."
    shape = onnx_model.inputs[0].shape
    if onnx_model.outputs[0].shape[-1] != len(class_names) or len(shape) != 4:
        return None, "This project file's ONNX model does not fit its class list."
    return PredictionModel(onnx_model, class_names, settings, threshold, onnx_form), None
