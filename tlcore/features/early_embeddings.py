"""Photos embedded while TensorFlow starts: the command line's `train`.

Importing TensorFlow and Keras and building the Keras base take seconds, most of one core,
before `training.trainer.train` embeds its first photo. Where the base's ONNX form was converted and
checked against Keras before (`nets.onnx_base.checked_base_model`), the photos' features need
neither: `embed_early` computes them through ONNX Runtime into the feature cache while
TensorFlow is imported in another thread (`nets.startup.start_in_background`), and training then
finds them there. They are the very features training would compute (the same session of the
same checked file), so nothing about the result changes, only when the work is done.

Anything unusual (ONNX Runtime not wanted, no checked form, weights not on disk, a machine
with a GPU where Keras may be the faster, any failure) skips this step: training then embeds
the photos itself, as it always does.
"""

import dataclasses
import logging
from collections.abc import Callable, Sequence

from tlcore.data import datasets
from tlcore.features import embeddings
from tlcore.nets import backbones, onnx_base, runtimes, weights

logger = logging.getLogger("tlcore.features.early_embeddings")


@dataclasses.dataclass(frozen=True)
class BaseIdentity:
    """What `features.embeddings.embed_photos` needs to know of a base, without building it in
    Keras.

    Args:
        backbone: The backbone's row.
        input_size: The side of the square photos are resized to.
        backbone_id: The base and size, naming its features in the cache.
    """

    backbone: backbones.Backbone
    input_size: int
    backbone_id: str


def embed_early(
    photos: Sequence[datasets.Photo],
    image_size: int | None,
    cache_dir=None,
    weights_dir=None,
    on_progress: Callable[[int, int], None] | None = None,
    backbone_name: str = backbones.DEFAULT_BACKBONE,
) -> int:
    """Computes the photos' features into the cache through the checked ONNX form of the
    base, when there is one; returns how many photos it embedded (0 when it skipped).

    Args:
        photos: The photos to embed, as training will.
        image_size: The training's image size; the backbone's default when None.
        cache_dir: The feature cache's folder, as training gets it.
        weights_dir: An explicit folder holding the pretrained weights.
        on_progress: Called with (photos done, photos in all) after each batch.
        backbone_name: The pretrained network, a key of `nets.backbones.BACKBONES`.
    """
    if not photos or not runtimes.onnx_wanted():
        return 0
    try:
        identity, weights_path = _base_identity(image_size, weights_dir, backbone_name)
        extractor = onnx_base.checked_base_model(identity.backbone_id, weights_path)
        if extractor is None:
            return 0
        embeddings.embed_photos(
            photos,
            identity,
            embeddings.EmbeddingCache(cache_dir),
            on_progress=on_progress,
            extractor=extractor,
        )
    except Exception as error:  # noqa: BLE001 - training embeds them again, and says why.
        logger.info("Photos not embedded early (%s).", runtimes.first_line(error))
        return 0
    return len(photos)


def _base_identity(image_size, weights_dir, backbone_name) -> tuple[BaseIdentity, object]:
    """Returns the base's identity and its weight file's path, without TensorFlow.

    Raises:
        TlcoreError: An image size the base does not take, or weights not on disk.
    """
    backbone = backbones.get_backbone(backbone_name)
    image_size = backbones.check_image_size(backbone, image_size or backbone.default_image_size)
    weights_path = weights.find_weights(backbone, weights_dir, allow_download=False)
    identity = BaseIdentity(
        backbone, backbone.input_size(image_size), backbone.backbone_id(image_size)
    )
    return identity, weights_path


def features_without_keras(
    image_size: int | None, weights_dir=None, backbone_name: str = backbones.DEFAULT_BACKBONE
) -> bool:
    """Tells, before TensorFlow is imported, whether ONNX Runtime will compute a training's
    features: the base's ONNX form was converted and checked on this machine before
    (`nets.onnx_base.checked_base_path`). Then Keras runs only the small head, and the command
    line's `train` gives TensorFlow one thread (`cli.run_train`)."""
    if not runtimes.onnx_wanted():
        return False
    try:
        identity, weights_path = _base_identity(image_size, weights_dir, backbone_name)
    except Exception:  # noqa: BLE001 - whatever it is, training finds it and says so.
        return False
    return onnx_base.checked_base_path(identity.backbone_id, weights_path) is not None
