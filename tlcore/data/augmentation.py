"""Random changes to photos (flip, rotation, zoom, brightness, contrast) that can be repeated.

With a few dozen photos a class, a model learns more from each photo when it also sees it
mirrored, a little turned, closer or further, lighter or darker. Here every change is drawn
from a random generator seeded by the photo's content hash and a view number, so view 3 of a
photo is always the same picture: its features can be computed once and cached like the
photo's own, and the preview on the Train page shows exactly the views the model learns from.

The changes are made with NumPy and Pillow on the decoded photo, before it is resized to the
model's input, so they behave the same under every Keras backend. Test-time augmentation
(`test_time_pixels`) averages the probabilities of a photo and of `TEST_TIME_VIEW_COUNT`
changed copies of it, made with the training's settings but never mirrored: on the grocery
photos a mirrored photo (its packaging's writing backwards) scored 2-4 points below the photo
itself in each of 6 trainings.
"""

import dataclasses
import hashlib
import json
import math
import os

import numpy as np
from PIL import Image

from tlcore import errors
from tlcore.data import images

# The most a setting may ask for. Beyond them the changed photos stop looking like photos of
# the same thing, and the reflected border used to fill the corners would show.
MAX_ROTATION_DEGREES = 30.0
MAX_ZOOM = 0.3
MAX_BRIGHTNESS = 0.5
MAX_CONTRAST = 0.5

# Photos are shrunk to at most this many times the output's side before they are changed.
_WORKING_SIZE_FACTOR = 1.5

# How many random numbers each view draws. It is fixed, so that each number keeps its meaning
# (the first decides the flip, the second the angle...) whatever the settings are: a stronger
# rotation turns view 3 further in the same direction, and the preview changes smoothly.
_DRAWS_PER_VIEW = 5


@dataclasses.dataclass(frozen=True)
class AugmentationSettings:
    """How strongly photos are changed. Each change is drawn at random, up to its strength.

    Args:
        flip: Whether half of the views are mirrored left to right.
        rotation_degrees: The largest turn, either way, in degrees.
        zoom: The largest change of scale, as a share: 0.15 shows the photo between 15%
            closer and 15% further away.
        brightness: The largest change of brightness, as a share of the full range.
        contrast: The largest change of contrast, as a share: 0.2 gives between 80% and 120%.
    """

    flip: bool = True
    rotation_degrees: float = 15.0
    zoom: float = 0.15
    brightness: float = 0.2
    contrast: float = 0.2

    def validate(self) -> "AugmentationSettings":
        """Checks every setting, returning the settings for chaining.

        Raises:
            SettingsError: Naming the first setting out of range and the range it must be in.
        """
        if not isinstance(self.flip, bool):
            raise errors.SettingsError(f"Mirroring must be on or off, not {self.flip!r}.")
        checks = [
            ("The largest turn of a photo", self.rotation_degrees, MAX_ROTATION_DEGREES),
            ("The largest zoom", self.zoom, MAX_ZOOM),
            ("The largest change of brightness", self.brightness, MAX_BRIGHTNESS),
            ("The largest change of contrast", self.contrast, MAX_CONTRAST),
        ]
        for label, value, highest in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise errors.SettingsError(f"{label} must be a number, not {value!r}.")
            if not 0 <= value <= highest:
                raise errors.SettingsError(
                    f"{label} must be between 0 and {highest:g}, not {value:g}."
                )
        return self

    @property
    def changes_anything(self) -> bool:
        """Whether any change is switched on."""
        return bool(
            self.flip or self.rotation_degrees or self.zoom or self.brightness or self.contrast
        )

    def to_dict(self) -> dict:
        """Returns the settings as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AugmentationSettings":
        """Rebuilds settings from `to_dict`'s output, ignoring unknown keys."""
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def cache_key(self) -> str:
        """Returns a short name for these settings, part of the cache key of augmented views.

        Views made with other strengths are other pictures, so their features are kept apart.

        Returns:
            A string such as `aug3f9c2a1b7e`, letters and digits only.
        """
        text = json.dumps(
            {key: float(value) for key, value in self.to_dict().items()}, sort_keys=True
        )
        return "aug" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def view_seed(content_hash: str, view: int) -> int:
    """Returns the random seed of one view of one photo.

    Args:
        content_hash: The photo's content hash (`data.images.content_hash`).
        view: The view's number, from 0.

    Returns:
        A 64-bit seed: the same photo and view always give the same seed.
    """
    digest = hashlib.sha256(f"{content_hash}/view-{int(view)}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def augment_image(
    image: Image.Image, settings: AugmentationSettings, seed: int, size: int
) -> np.ndarray:
    """Returns one randomly changed copy of a photo, resized to a square; the same seed gives
    the same copy.

    The photo is mirrored (half of the seeds, when `flip` is on), turned and zoomed about its
    centre, with the corners this uncovers filled with the photo's reflection (as Keras'
    `RandomRotation` and `RandomZoom` do), then made lighter or darker and given more or less
    contrast. Mirroring, turning, zooming and resizing to the square are one affine transform
    of the photo, so each view costs one pass over its pixels.

    Args:
        image: The photo, in RGB; `working_copy` makes big photos small enough first.
        settings: How strongly to change it.
        seed: The random seed, usually `view_seed(content_hash, view)`.
        size: The side of the square returned, in pixels: the model's input size.

    Returns:
        An array of shape `(size, size, 3)` and dtype uint8, squashed to a square like
        `data.images.image_to_array` does.
    """
    settings.validate()
    if image.mode != "RGB":
        image = image.convert("RGB")
    draws = np.random.default_rng(seed).uniform(-1.0, 1.0, size=_DRAWS_PER_VIEW)
    flip_draw, angle_draw, zoom_draw, brightness_draw, contrast_draw = draws
    flipped = settings.flip and flip_draw < 0
    angle = math.radians(angle_draw * settings.rotation_degrees)
    # A scale above 1 shows the photo closer (zooming in), below 1 further away.
    scale = 1.0 + zoom_draw * settings.zoom
    pixels = _transform(image, size, flipped, angle, scale).astype(np.float32)
    if settings.contrast:
        factor = 1.0 + contrast_draw * settings.contrast
        mean = pixels.mean(axis=(0, 1), keepdims=True)
        pixels = (pixels - mean) * factor + mean
    if settings.brightness:
        pixels += brightness_draw * settings.brightness * 255.0
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def _transform(
    image: Image.Image, size: int, flipped: bool, angle: float, scale: float
) -> np.ndarray:
    """Mirrors, turns and scales a photo about its centre and squashes it to a square.

    The photo is first surrounded by its own reflection, as wide as the turned output reaches
    beyond it, so that the corners uncovered by a turn show the photo's edges mirrored rather
    than black: a black corner would be something for the model to learn that real photos
    never have.

    Returns:
        A `(size, size, 3)` uint8 array.
    """
    width, height = image.size
    # Pillow's affine transform maps each pixel of the output back to the photo: the output's
    # centre lands on the photo's centre, and offsets from it are stretched to the photo's
    # width and height (the squash to a square), mirrored, turned and divided by the scale.
    stretch_x = (-width if flipped else width) / size
    stretch_y = height / size
    cosine, sine = math.cos(angle) / scale, math.sin(angle) / scale
    a, b = cosine * stretch_x, sine * stretch_y
    d, e = -sine * stretch_x, cosine * stretch_y
    # The border is as wide as the output's corners reach beyond the photo, and no wider.
    half = size / 2.0
    reach_x = (abs(a) + abs(b)) * half - width / 2.0
    reach_y = (abs(d) + abs(e)) * half - height / 2.0
    margin = max(0, math.ceil(max(reach_x, reach_y)) + 2)
    padded = np.asarray(image)
    if margin:
        padded = np.pad(padded, ((margin, margin), (margin, margin), (0, 0)), mode="reflect")
    source_x, source_y = margin + width / 2.0, margin + height / 2.0
    coefficients = (
        a,
        b,
        source_x - a * half - b * half,
        d,
        e,
        source_y - d * half - e * half,
    )
    transformed = Image.fromarray(padded).transform(
        (size, size),
        Image.Transform.AFFINE,
        coefficients,
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(transformed)


def working_copy(image: Image.Image, size: int) -> Image.Image:
    """Shrinks a big photo to little more than the size it will be squashed to.

    The affine transform of `augment_image` samples the photo without smoothing it first, so
    a photo much bigger than the output would look grainy; and turning a 12-megapixel photo
    costs far more than turning a small one. Pillow's thumbnail smooths as it shrinks.

    Args:
        image: The decoded photo.
        size: The side of the square the views will have.

    Returns:
        The photo itself when it is small enough, else a smaller copy of the same shape.
    """
    limit = int(_WORKING_SIZE_FACTOR * size)
    if max(image.size) <= limit:
        return image
    smaller = image.copy()
    smaller.thumbnail((limit, limit), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return smaller


def augmented_pixels(
    source: bytes | str | os.PathLike,
    settings: AugmentationSettings,
    seeds: list[int],
    input_size: int,
    file_name: str | None = None,
) -> list[np.ndarray]:
    """Reads a photo once and returns several randomly changed views of it for the model.

    Args:
        source: The photo's content, or its path.
        settings: How strongly to change it.
        seeds: One random seed per view (`view_seed`).
        input_size: The square size the model takes.
        file_name: The name shown in error messages.

    Returns:
        One array of shape `(input_size, input_size, 3)` and dtype uint8 per seed.

    Raises:
        UnreadableImageError: The file is not a usable photo.
    """
    image = working_copy(images.load_image(source, file_name), input_size)
    return [augment_image(image, settings, seed, input_size) for seed in seeds]


def preview(
    data: bytes,
    settings: AugmentationSettings,
    count: int = 8,
    size: int = 192,
    file_name: str | None = None,
) -> list[np.ndarray]:
    """Returns the first augmented views of one photo, as the model will learn from them.

    View k here is view k of training: the same seed, from the photo's content hash, and the
    same square the model is given.

    Args:
        data: The photo's content.
        settings: How strongly to change it.
        count: How many views.
        size: The side of each square view, in pixels.
        file_name: The name shown in error messages.

    Returns:
        `count` arrays of shape `(size, size, 3)` and dtype uint8.

    Raises:
        UnreadableImageError: The file is not a usable photo.
    """
    content_hash = images.content_hash(data)
    seeds = [view_seed(content_hash, view) for view in range(count)]
    return augmented_pixels(data, settings, seeds, size, file_name)


#: How many changed copies of a photo test-time augmentation averages with the photo itself.
TEST_TIME_VIEW_COUNT = 8


def test_time_settings(settings: AugmentationSettings) -> AugmentationSettings:
    """Returns the settings of test-time views: the training's, without mirroring."""
    return dataclasses.replace(settings, flip=False)


def test_time_view_count(settings: AugmentationSettings) -> int:
    """Returns how many test-time views a photo gets: none when the changes, without
    mirroring, change nothing."""
    return TEST_TIME_VIEW_COUNT if test_time_settings(settings).changes_anything else 0


def test_time_pixels(
    data: bytes, settings: AugmentationSettings, input_size: int, file_name: str | None = None
) -> np.ndarray:
    """Returns the test-time views of a photo: its augmented views 0, 1... under the
    training's settings without mirroring, made from the photo itself as training views are.

    Args:
        data: The photo's content.
        settings: The training's augmentation settings.
        input_size: The square size the model takes.
        file_name: The name shown in error messages.

    Returns:
        `(test_time_view_count(settings), input_size, input_size, 3)` uint8 RGB values.

    Raises:
        UnreadableImageError: The file is not a usable photo.
    """
    count = test_time_view_count(settings)
    if not count:
        return np.zeros((0, input_size, input_size, 3), dtype=np.uint8)
    content_hash = images.content_hash(data)
    seeds = [view_seed(content_hash, view) for view in range(count)]
    views = augmented_pixels(data, test_time_settings(settings), seeds, input_size, file_name)
    return np.stack(views)
