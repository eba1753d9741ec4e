"""A trained project as the web server uses it: the ONNX classifier and what the file says of it.

The web server never imports TensorFlow (a fault in TensorFlow must not take it down for
everyone). A project file carries the whole classifier in ONNX form, checked against the Keras
model when it was written, and its `project.json` carries the rest: classes, settings, figures.
`load_project_model` reads both into a `ProjectModel`, which `nets.prediction.predict`,
`nets.prediction.classify_frames` and the pages use like a `training.types.TrainedModel`; it
has no Keras model. What needs Keras (a heat map, a retrain, an export, the ONNX form of a file
saved before it existed) runs on a worker as a job.
"""

import dataclasses
import os

from tlcore.nets import runtimes
from tlcore.serving import onnx_project, project_file
from tlcore.training.types import AnsweringModel


# Keyword-only: its own field comes after the description's, some of which have defaults.
@dataclasses.dataclass(kw_only=True)
class ProjectModel(AnsweringModel):
    """A project file's trained classifier, run by ONNX Runtime, and its description (the fields
    of `training.types.AnsweringModel`).

    Args:
        predictor: The ONNX classifier with its class list and threshold.
    """

    predictor: onnx_project.PredictionModel

    @property
    def model(self) -> runtimes.OnnxModel:
        """The ONNX classifier: pixels (0-255) in, probabilities out."""
        return self.predictor.model

    @property
    def onnx(self) -> runtimes.OnnxClassifier:
        """The ONNX form's record (checksum, check)."""
        return self.predictor.onnx

    @property
    def input_size(self) -> int:
        """The square size photos are resized to before the model."""
        return self.predictor.input_size


def load_project_model(
    source: bytes | str | os.PathLike,
) -> tuple[ProjectModel | None, str | None]:
    """Reads a project file's ONNX classifier and description, without TensorFlow.

    Args:
        source: The project file, as bytes or a path.

    Returns:
        `(model, None)`, or `(None, reason)` when the file has no usable ONNX form (saved by
        an earlier version, or damaged): a worker can make one (`jobs.model_work.make_onnx_form`).

    Raises:
        ProjectFileError: If the file is not a readable project at all.
    """
    contents = project_file.read_archive(source)
    description = project_file.read_description(contents.metadata)
    predictor, reason = onnx_project.prediction_model_from(contents)
    if predictor is None:
        return None, reason
    return ProjectModel(predictor=predictor, **description), None
