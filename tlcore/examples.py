"""A built-in set of example photos, drawn on the fly, so the app can be tried offline.

The pictures are simple product-like drawings: red round apples, green limes, yellow bananas
and white milk cartons. Each photo varies in position, size, rotation, background and noise, so
the classes are easy to learn but no two photos are the same. Everything derives from one seed,
so the same call always returns the same bytes.
"""

import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: The classes of the example set, in the order the app shows them.
EXAMPLE_CLASS_NAMES = ("Apple", "Banana", "Lime", "Milk")

#: The name the app gives a project made from the example photos.
EXAMPLE_PROJECT_NAME = "Example: fruit and milk"

_BACKGROUNDS = (
    (236, 230, 218),  # A light table top.
    (205, 180, 150),  # Light wood.
    (190, 196, 204),  # A grey shelf.
    (244, 244, 240),  # White paper.
    (170, 150, 125),  # Dark wood.
    (214, 226, 232),  # A pale blue cloth.
)


def example_photos(
    photos_per_class: int = 20, seed: int = 0, image_size: int = 224
) -> dict[str, list[tuple[str, bytes]]]:
    """Draws the example photo set.

    Args:
        photos_per_class: How many photos to draw for each class.
        seed: The seed of every random choice; the same seed gives the same photos.
        image_size: The width and height of each photo in pixels.

    Returns:
        A mapping from class name to a list of `(file_name, jpeg_bytes)` pairs, one per photo.

    Raises:
        ValueError: If `photos_per_class` is below 1 or `image_size` below 32.
    """
    if photos_per_class < 1:
        raise ValueError("photos_per_class must be at least 1.")
    if image_size < 32:
        raise ValueError("image_size must be at least 32 pixels.")
    painters = {
        "Apple": _draw_apple,
        "Banana": _draw_banana,
        "Lime": _draw_lime,
        "Milk": _draw_milk_carton,
    }
    photos: dict[str, list[tuple[str, bytes]]] = {}
    for class_index, class_name in enumerate(EXAMPLE_CLASS_NAMES):
        class_photos = []
        for photo_index in range(photos_per_class):
            # Each photo has its own generator, so changing the number of photos in one class
            # does not change the photos of another.
            generator = random.Random(f"{seed}-{class_index}-{photo_index}")
            image = _draw_photo(painters[class_name], generator, image_size)
            file_name = f"{class_name.lower()}_{photo_index + 1:03d}.jpg"
            class_photos.append((file_name, _encode_jpeg(image)))
        photos[class_name] = class_photos
    return photos


def _draw_photo(painter, generator: random.Random, image_size: int) -> Image.Image:
    """Draws one photo: a background, one product, a light blur and sensor noise."""
    # Draw at twice the size and scale down, which smooths the edges of the shapes.
    canvas_size = image_size * 2
    background = _jitter_colour(generator.choice(_BACKGROUNDS), generator, 18)
    image = Image.new("RGB", (canvas_size, canvas_size), background)
    _draw_background_texture(image, generator, background)

    product = Image.new("RGBA", (canvas_size, canvas_size), (0, 0, 0, 0))
    painter(ImageDraw.Draw(product), generator, canvas_size)
    product = product.rotate(generator.uniform(0, 360), resample=Image.Resampling.BICUBIC)
    scale = generator.uniform(0.75, 1.1)
    scaled_size = int(canvas_size * scale)
    product = product.resize((scaled_size, scaled_size), Image.Resampling.LANCZOS)
    shift_limit = int(canvas_size * 0.15)
    offset_x = (canvas_size - scaled_size) // 2 + generator.randint(-shift_limit, shift_limit)
    offset_y = (canvas_size - scaled_size) // 2 + generator.randint(-shift_limit, shift_limit)

    shadow = Image.new("RGBA", product.size, (0, 0, 0, 0))
    shadow.putalpha(product.getchannel("A").point(lambda alpha: alpha * 60 // 255))
    shadow = shadow.filter(ImageFilter.GaussianBlur(canvas_size // 60))
    image.paste(shadow, (offset_x + canvas_size // 50, offset_y + canvas_size // 40), shadow)
    image.paste(product, (offset_x, offset_y), product)

    image = image.resize((image_size, image_size), Image.Resampling.LANCZOS)
    image = image.filter(ImageFilter.GaussianBlur(generator.uniform(0.0, 0.8)))
    return _add_noise(image, generator)


def _draw_background_texture(
    image: Image.Image, generator: random.Random, background: tuple[int, int, int]
) -> None:
    """Adds faint stripes, like wood grain or the folds of a cloth."""
    draw = ImageDraw.Draw(image)
    size = image.width
    for _ in range(generator.randint(3, 9)):
        y = generator.randint(0, size)
        colour = _jitter_colour(background, generator, 12)
        draw.line([(0, y), (size, y + generator.randint(-40, 40))], fill=colour, width=8)


def _draw_apple(draw: ImageDraw.ImageDraw, generator: random.Random, size: int) -> None:
    """Draws a red, slightly flattened round fruit with a stem and a leaf."""
    centre = size / 2
    radius = size * generator.uniform(0.2, 0.26)
    red = _jitter_colour((196, 28, 36), generator, 25)
    draw.ellipse(
        [centre - radius * 1.05, centre - radius * 0.95, centre + radius * 1.05, centre + radius],
        fill=red,
    )
    highlight = tuple(min(255, channel + 70) for channel in red)
    draw.ellipse(
        [
            centre - radius * 0.6,
            centre - radius * 0.65,
            centre - radius * 0.25,
            centre - radius * 0.3,
        ],
        fill=highlight,
    )
    stem_top = centre - radius * 1.3
    draw.line(
        [(centre, centre - radius * 0.85), (centre + radius * 0.1, stem_top)],
        fill=(90, 60, 30),
        width=max(2, int(radius * 0.08)),
    )
    draw.ellipse(
        [centre + radius * 0.1, stem_top, centre + radius * 0.55, stem_top + radius * 0.25],
        fill=_jitter_colour((60, 140, 50), generator, 20),
    )


def _draw_lime(draw: ImageDraw.ImageDraw, generator: random.Random, size: int) -> None:
    """Draws a small green oval fruit with a pale highlight and a little tip at each end."""
    centre = size / 2
    radius = size * generator.uniform(0.15, 0.2)
    green = _jitter_colour((78, 160, 40), generator, 22)
    draw.ellipse(
        [centre - radius * 1.15, centre - radius, centre + radius * 1.15, centre + radius],
        fill=green,
    )
    for side in (-1, 1):
        tip_x = centre + side * radius * 1.15
        draw.ellipse(
            [
                tip_x - radius * 0.12,
                centre - radius * 0.1,
                tip_x + radius * 0.12,
                centre + radius * 0.1,
            ],
            fill=green,
        )
    highlight = tuple(min(255, channel + 60) for channel in green)
    draw.ellipse(
        [
            centre - radius * 0.6,
            centre - radius * 0.6,
            centre - radius * 0.2,
            centre - radius * 0.3,
        ],
        fill=highlight,
    )


def _draw_banana(draw: ImageDraw.ImageDraw, generator: random.Random, size: int) -> None:
    """Draws a long, curved yellow fruit as a thick arc with brown tips."""
    centre = size / 2
    length = size * generator.uniform(0.55, 0.7)
    thickness = length * generator.uniform(0.22, 0.27)
    yellow = _jitter_colour((240, 205, 50), generator, 18)
    bend = generator.uniform(0.25, 0.45)
    points = []
    steps = 24
    for step in range(steps + 1):
        position = step / steps - 0.5
        x = centre + position * length
        y = centre + (position**2 - 0.0833) * length * bend * 2
        points.append((x, y))
    for index, (x, y) in enumerate(points):
        # The fruit is thickest in the middle and narrows toward both tips.
        taper = math.sin(math.pi * index / steps) ** 0.6
        radius = max(2.0, thickness / 2 * taper)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=yellow)
    for x, y in (points[0], points[-1]):
        tip_radius = thickness * 0.12
        draw.ellipse(
            [x - tip_radius, y - tip_radius, x + tip_radius, y + tip_radius], fill=(90, 65, 30)
        )


def _draw_milk_carton(draw: ImageDraw.ImageDraw, generator: random.Random, size: int) -> None:
    """Draws an upright white carton with a gable top and a coloured label."""
    centre = size / 2
    width = size * generator.uniform(0.26, 0.32)
    height = width * generator.uniform(1.7, 2.0)
    left, right = centre - width / 2, centre + width / 2
    top, bottom = centre - height / 2 + height * 0.18, centre + height / 2
    white = _jitter_colour((246, 246, 244), generator, 6)
    shade = tuple(channel - 30 for channel in white)
    outline = (150, 150, 150)
    draw.rectangle([left, top, right, bottom], fill=white, outline=outline, width=3)
    gable_top = top - height * 0.18
    draw.polygon([(left, top), (centre, gable_top), (right, top)], fill=shade, outline=outline)
    draw.rectangle(
        [centre - width * 0.06, gable_top - height * 0.05, centre + width * 0.06, gable_top + 2],
        fill=shade,
        outline=outline,
    )
    label = generator.choice([(30, 90, 200), (20, 140, 200), (40, 60, 160)])
    label_top = top + (bottom - top) * 0.3
    draw.rectangle([left + 3, label_top, right - 3, label_top + (bottom - top) * 0.35], fill=label)
    draw.ellipse(
        [
            centre - width * 0.18,
            label_top + (bottom - top) * 0.06,
            centre + width * 0.18,
            label_top + (bottom - top) * 0.06 + width * 0.36,
        ],
        fill=(250, 250, 250),
    )


def _jitter_colour(
    colour: tuple[int, int, int], generator: random.Random, amount: int
) -> tuple[int, int, int]:
    """Returns the colour with each channel moved by up to `amount` either way."""
    return tuple(
        max(0, min(255, channel + generator.randint(-amount, amount))) for channel in colour
    )


def _add_noise(image: Image.Image, generator: random.Random) -> Image.Image:
    """Adds Gaussian sensor noise of a random strength."""
    noise_generator = np.random.default_rng(generator.randrange(2**32))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += noise_generator.normal(0.0, generator.uniform(2.0, 9.0), size=pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _encode_jpeg(image: Image.Image) -> bytes:
    """Encodes an image as a JPEG file in memory."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
