"""The table of pretrained backbones tlcore can build on.

A backbone is described by one row: which Keras application builds it, which input sizes it
accepts, how pixels are scaled before it, and which weight file holds its ImageNet weights. A
new backbone is a new row here, not a new code path elsewhere.
"""

import dataclasses

from tlcore import errors


@dataclasses.dataclass(frozen=True)
class Backbone:
    """One pretrained network without its classifier top.

    Args:
        name: The short name used in settings, project files and the cache key.
        application: The name of the constructor in `keras.applications`.
        image_sizes: The square input sizes the network accepts, in pixels.
        default_image_size: The size used when the caller names none.
        feature_count: The length of the pooled feature vector the base produces.
        pixel_scale: Pixels are multiplied by this before the base sees them.
        pixel_offset: And then this is added: MobileNetV2 expects values in [-1, 1].
        crop_fraction: The share of the photo's centre the base sees, as in ImageNet's own
            evaluation: photos are resized to `input_size` and the model crops the centre.
        weights_file: The file name of the ImageNet weights in Keras' cache folder.
        weights_url: Where Keras downloads that file from on a machine with internet.
        last_conv_layer: The name of the base's last convolutional block, whose feature map
            Grad-CAM explains predictions with (`tlcore.serving.explanations`).
        block_name_pattern: A regular expression that matches the names of the layers of the
            base's numbered blocks, its one group the block's number; fine-tuning unfreezes
            the top blocks by it (`training.finetuning.unfreeze_top_blocks`). Layers after the last
            block belong to the top too.
        block_count: How many numbered blocks the base has: the most fine-tuning can unfreeze.
        id_format: The identifier of the base at one input size (`backbone_id`), with
            `{name}` and `{image_size}` in it.
        constructor_arguments: Extra keyword arguments for the Keras constructor.
    """

    name: str
    application: str
    image_sizes: tuple[int, ...]
    default_image_size: int
    feature_count: int
    pixel_scale: float
    pixel_offset: float
    crop_fraction: float
    weights_file: str
    weights_url: str
    last_conv_layer: str
    block_name_pattern: str
    block_count: int
    id_format: str
    constructor_arguments: tuple[tuple[str, object], ...] = ()

    def backbone_id(self, image_size: int) -> str:
        """Returns the identifier of this base at one input size.

        Embeddings and saved projects record it, so features of one base and size are never
        mixed with another's.

        Args:
            image_size: The square input size in pixels.

        Returns:
            A string such as `mobilenet_v2_1.0-224`.
        """
        return self.id_format.format(name=self.name, image_size=image_size)

    def input_size(self, image_size: int) -> int:
        """Returns the size photos are resized to, before the model crops their centre.

        Args:
            image_size: The square size the base sees, in pixels.

        Returns:
            The larger square size the whole model takes: 256 for 224, for example.
        """
        return int(round(image_size / self.crop_fraction))


# The ImageNet weights were trained at 224 x 224, but a network without its top accepts any of
# these sizes, and the one file serves them all: Keras would otherwise look for a separate
# download per size, which an offline server does not have.
BACKBONES: dict[str, Backbone] = {
    "mobilenet_v2": Backbone(
        name="mobilenet_v2",
        application="MobileNetV2",
        image_sizes=(96, 128, 160, 192, 224),
        default_image_size=224,
        feature_count=1280,
        pixel_scale=1.0 / 127.5,
        pixel_offset=-1.0,
        crop_fraction=0.875,
        weights_file="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
        weights_url=(
            "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
        ),
        last_conv_layer="out_relu",
        # Keras names MobileNetV2's inverted-residual blocks `block_1_...` to `block_16_...`;
        # the layers after the last block (the final 1x1 convolution) belong to the top.
        block_name_pattern=r"^block_(\d+)_",
        block_count=16,
        # "1.0" is the width multiplier (`alpha`) of the weights.
        id_format="{name}_1.0-{image_size}",
        constructor_arguments=(("alpha", 1.0),),
    ),
}

DEFAULT_BACKBONE = "mobilenet_v2"


def get_backbone(name: str) -> Backbone:
    """Looks a backbone up by name.

    Args:
        name: A key of `BACKBONES`.

    Returns:
        The backbone's row.

    Raises:
        SettingsError: If there is no backbone of that name.
    """
    try:
        return BACKBONES[name]
    except KeyError:
        known = ", ".join(sorted(BACKBONES))
        raise errors.SettingsError(
            f"There is no pretrained network called '{name}'. Choose one of: {known}."
        ) from None


def check_image_size(backbone: Backbone, image_size: int) -> int:
    """Checks that a backbone accepts an input size.

    Args:
        backbone: The backbone's row.
        image_size: The requested square input size in pixels.

    Returns:
        The size, as an int.

    Raises:
        SettingsError: If the size is not one the backbone accepts.
    """
    if image_size not in backbone.image_sizes:
        sizes = ", ".join(str(size) for size in backbone.image_sizes)
        raise errors.SettingsError(
            f"The image size must be one of {sizes} pixels, not {image_size}."
        )
    return int(image_size)


def named_in_settings(settings: dict | None) -> tuple[str, int]:
    """Returns the backbone and image size that saved training settings name.

    Read from the plain settings of a training's record, without importing TensorFlow, for
    work that must embed photos as the next training will (the embedder of new photos).

    Args:
        settings: `TrainingSettings.to_dict()` as saved; None or empty for a project never
            trained.

    Returns:
        The backbone's name and the image size: the default backbone at its default size
        when the settings name none, or none that can be used.
    """
    settings = settings or {}
    try:
        backbone = get_backbone(settings.get("backbone", DEFAULT_BACKBONE))
        image_size = settings.get("image_size") or backbone.default_image_size
        return backbone.name, check_image_size(backbone, image_size)
    except (errors.TlcoreError, TypeError):
        backbone = get_backbone(DEFAULT_BACKBONE)
        return backbone.name, backbone.default_image_size
