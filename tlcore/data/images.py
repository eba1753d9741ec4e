"""Reading photos safely, and turning them into arrays of pixels.

Every photo comes from someone's disk or upload and is treated as untrusted: it may be empty,
another kind of file renamed `.jpg`, cut short, or a small file that claims billions of pixels
(a decompression bomb). `load_image` refuses all of these with an `UnreadableImageError` whose
reason a person can act on, and returns a plain RGB picture for everything else.

Accepted formats are JPEG (with MPO, the multi-picture JPEG some phones write), PNG, WebP, BMP
and GIF. TIFF, SVG, PDF, HEIC and every other format are refused: phones and browsers share
photos in the accepted formats, and each further decoder is more untrusted code to run.
"""

import hashlib
import io
import math
import os
import pathlib
import struct
import warnings

import numpy
from PIL import Image, ImageOps

from tlcore import errors

MAX_PIXELS = 64_000_000
"""The most pixels a photo may have. A 40-megapixel phone photo loads; bigger ones are refused
before they are decoded, so that a small file cannot fill the memory."""

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "MPO")
"""The Pillow format names of the files accepted as photos."""

# The readers Pillow is asked to try. It has no separate reader for MPO: its JPEG reader
# recognises an MPO file and returns it as one.
_READERS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")

DRAFT_SHORT_SIDE = 1024
"""Big JPEGs are decoded at a reduced scale, but never below this many pixels on the short
side, which is far more than any model input needs."""

# Pillow's decoders raise many kinds of exceptions for damaged data, depending on the format and
# on where the damage is; every one of them means the same thing to the person.
_DAMAGED_FILE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
)

_NOT_A_PHOTO = "the file is not a photo (JPEG, PNG, WebP, BMP or GIF)"
_DAMAGED = "the file is damaged or incomplete"

# Modes whose pixels are 16-bit (or wider) integers; they are scaled down to 8 bits.
_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")

# The EXIF tag that says how the camera was held (1: upright).
_ORIENTATION_TAG = 0x0112

# Modes that carry an alpha channel, which is flattened onto a white background.
_MODES_WITH_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")


def load_image(source: bytes | str | os.PathLike, file_name: str | None = None) -> Image.Image:
    """Reads a photo and returns it as an RGB picture, the right way up.

    The photo is fully decoded, so a damaged or cut-short file is caught here and not later.
    Animated GIF, PNG and WebP files give their first frame. The EXIF orientation a camera
    records is applied; a broken orientation tag is ignored. Every colour mode (CMYK, palette,
    grayscale, 16-bit, black and white) is converted to 8-bit RGB, and transparent parts become
    white. JPEGs much bigger than `DRAFT_SHORT_SIDE` are decoded at a half, quarter or eighth
    of their size, which is several times faster and keeps at least `DRAFT_SHORT_SIDE` pixels
    on the short side.

    Args:
        source: The content of the file, or its path.
        file_name: The name shown in error messages. Defaults to the path's file name, or
            "photo" when `source` is bytes.

    Returns:
        A fully loaded picture in mode "RGB", independent of the file.

    Raises:
        UnreadableImageError: The file is empty, missing, not an accepted photo format,
            damaged or incomplete, has no pixels, or has more than `MAX_PIXELS` pixels.
        TypeError: `source` is neither bytes nor a path.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(io.BytesIO(source), file_name or "photo")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_image needs the photo's bytes or its path, not {type(source)}.")
    path = pathlib.Path(source)
    file_name = file_name or path.name
    with _open_photo(path, file_name) as stream:
        return _decode(stream, file_name)


def check_photo(data: bytes, file_name: str | None = None) -> None:
    """Refuses, with the same `UnreadableImageError`, every file `load_image` refuses, for less
    work: a JPEG is decoded at an eighth of its size.

    Reading a folder of photos checks each one before anything else (`data.builder`), then
    decodes it again to embed it; the check need not make the full picture. At an eighth of
    the size, the JPEG decoder still reads and decodes every byte of the file, so a damaged or
    cut-short file fails exactly as in full; only the last steps (the inverse transform, the
    colours) work on fewer pixels.

    Args:
        data: The content of the file.
        file_name: The name shown in error messages; "photo" when None.

    Raises:
        UnreadableImageError: As `load_image`.
    """
    _decode(io.BytesIO(data), file_name or "photo", draft_side=1)


def image_to_array(image: Image.Image, image_size: int) -> numpy.ndarray:
    """Resizes a picture to a square and returns its pixels.

    The picture is squashed to a square rather than cropped, so nothing at its edges is lost;
    a model trained and used on squashed pictures sees the same distortion both times. Resizing
    uses bilinear filtering after a fast integer reduction (`reducing_gap`), which is quick for
    big photos and looks the same as a full-quality filter at model input sizes.

    Args:
        image: Any picture; one not in RGB is converted first.
        image_size: The side of the square, in pixels.

    Returns:
        A new array of shape `(image_size, image_size, 3)` and dtype uint8.

    Raises:
        SettingsError: `image_size` is not a positive whole number.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise errors.SettingsError(
            f"The picture size must be a positive whole number of pixels, not {image_size!r}."
        )
    if image.mode != "RGB":
        image = image.convert("RGB")
    resized = image.resize((image_size, image_size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return numpy.array(resized, dtype=numpy.uint8)


def read_photo(source: bytes | str | os.PathLike, file_name: str | None = None) -> bytes:
    """Returns a photo's content: the bytes as given, or the file's content.

    Args:
        source: The content of the file, or its path.
        file_name: The name shown in error messages (see `load_image`).

    Returns:
        The content, not yet checked to be a photo.

    Raises:
        UnreadableImageError: The file is missing or cannot be opened.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    path = pathlib.Path(source)
    with _open_photo(path, file_name or path.name) as stream:
        return stream.read()


def _open_photo(path: pathlib.Path, file_name: str):
    """Opens a photo's file for reading, naming a missing or unreadable file in words."""
    try:
        return path.open("rb")
    except FileNotFoundError as error:
        raise errors.UnreadableImageError(file_name, "the file does not exist") from error
    except OSError as error:
        raise errors.UnreadableImageError(file_name, "the file cannot be opened") from error


def load_pixels(
    source: bytes | str | os.PathLike, image_size: int, file_name: str | None = None
) -> numpy.ndarray:
    """Reads a photo and returns its pixels as a square array: `load_image`, then
    `image_to_array`.

    Args:
        source: The content of the file, or its path.
        image_size: The side of the square, in pixels.
        file_name: The name shown in error messages (see `load_image`).

    Returns:
        An array of shape `(image_size, image_size, 3)` and dtype uint8.

    Raises:
        UnreadableImageError: The file is not a usable photo (see `load_image`).
        SettingsError: `image_size` is not a positive whole number.
    """
    return image_to_array(load_image(source, file_name), image_size)


def content_hash(data: bytes) -> str:
    """Returns the SHA-256 of a file's content, as 64 lowercase hex digits.

    Args:
        data: The content of the file.

    Returns:
        The hex digest; equal contents give equal hashes.
    """
    return hashlib.sha256(data).hexdigest()


def _decode(
    stream: io.BufferedIOBase, file_name: str, draft_side: int = DRAFT_SHORT_SIDE
) -> Image.Image:
    """Decodes a photo from an open binary stream; the body of `load_image`.

    Args:
        stream: The file, positioned at its start.
        file_name: The name shown in error messages.
        draft_side: A JPEG is decoded at the smallest scale (a half, a quarter, an eighth)
            that keeps this many pixels on each side.

    Returns:
        The picture in mode "RGB".

    Raises:
        UnreadableImageError: The data is not a usable photo.
    """
    if not stream.read(1):
        raise errors.UnreadableImageError(file_name, "the file is empty")
    stream.seek(0)
    try:
        # Pillow warns about pictures between 89 and 179 megapixels and refuses bigger ones. The
        # warning is turned into an error here, so that no such picture is ever decoded. Warning
        # filters are shared by all threads; at worst, two threads loading at once leave this
        # one filter in place for the process, which only refuses pictures tlcore refuses anyway.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=_READERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise errors.UnreadableImageError(file_name, _too_large_reason(None)) from error
    except Image.UnidentifiedImageError as error:
        raise errors.UnreadableImageError(file_name, _NOT_A_PHOTO) from error
    except _DAMAGED_FILE_ERRORS as error:
        raise errors.UnreadableImageError(file_name, _DAMAGED) from error

    if image.format not in ALLOWED_FORMATS:
        raise errors.UnreadableImageError(file_name, _NOT_A_PHOTO)
    width, height = image.size
    if width < 1 or height < 1:
        raise errors.UnreadableImageError(file_name, "the picture has no pixels")
    if width * height > MAX_PIXELS:
        raise errors.UnreadableImageError(file_name, _too_large_reason(width * height))

    try:
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (draft_side, draft_side))
        # Loading decodes every pixel now. Pillow's LOAD_TRUNCATED_IMAGES is left False, so a
        # file that stops early raises here instead of giving a half-grey picture.
        image.load()
    except Image.DecompressionBombError as error:
        raise errors.UnreadableImageError(file_name, _too_large_reason(None)) from error
    except _DAMAGED_FILE_ERRORS as error:
        raise errors.UnreadableImageError(file_name, _DAMAGED) from error

    image = _apply_orientation(image)
    try:
        return _to_rgb(image)
    except _DAMAGED_FILE_ERRORS as error:
        raise errors.UnreadableImageError(
            file_name, "the colours of the picture cannot be read"
        ) from error


def _too_large_reason(pixel_count: int | None) -> str:
    """Says that a picture has too many pixels, and how many it has when that is known.

    Args:
        pixel_count: The picture's pixels, or None when Pillow refused it first; Pillow refuses
            only pictures bigger than its own limit, `Image.MAX_IMAGE_PIXELS`.

    Returns:
        The reason, in plain words.
    """
    limit = MAX_PIXELS // 1_000_000
    if pixel_count is None:
        pillow_limit = (Image.MAX_IMAGE_PIXELS or MAX_PIXELS) // 1_000_000
        return f"the picture is too large (over {pillow_limit} megapixels; the limit is {limit})"
    megapixels = math.ceil(pixel_count / 1_000_000)
    return f"the picture is too large ({megapixels} megapixels; the limit is {limit})"


def _apply_orientation(image: Image.Image) -> Image.Image:
    """Turns a picture the right way up according to its EXIF orientation tag.

    Args:
        image: A loaded picture.

    Returns:
        A new picture, turned, if the tag asks for a turn; else the picture itself. A
        missing, unknown (such as 9) or unreadable tag leaves the picture as it is, since the
        pixels themselves are fine.
    """
    try:
        # Most photos need no turning. Pillow's `exif_transpose` then returns a copy of the
        # whole picture, which cost a sixth of decoding a 348-pixel JPEG: it is only called
        # for a tag that asks for a turn.
        if image.getexif().get(_ORIENTATION_TAG, 1) == 1:
            return image
        return ImageOps.exif_transpose(image)
    except _DAMAGED_FILE_ERRORS:
        return image.copy()


def _to_rgb(image: Image.Image) -> Image.Image:
    """Converts a loaded picture of any mode to 8-bit RGB.

    Args:
        image: A loaded picture.

    Returns:
        The picture in mode "RGB"; transparent parts are drawn on white.
    """
    if image.mode in _SIXTEEN_BIT_MODES:
        # Pillow's own conversion clips 16-bit values at 255, which turns most of a 16-bit
        # photo white; scaling by 257 maps 0..65535 onto 0..255 exactly. Of the accepted
        # formats only 16-bit grayscale PNGs give these modes, so the 16-bit range is assumed.
        values = numpy.asarray(image)
        pixels = numpy.clip(values.astype(numpy.float64), 0, 65535)
        eight_bit = Image.fromarray(numpy.rint(pixels / 257).astype(numpy.uint8))
        # A 16-bit PNG may mark one grey value as transparent; the new picture does not carry
        # that mark, so it becomes an alpha channel, flattened onto white below.
        transparent_value = image.info.get("transparency")
        if isinstance(transparent_value, int):
            opacity = numpy.where(values == transparent_value, 0, 255).astype(numpy.uint8)
            eight_bit.putalpha(Image.fromarray(opacity))
        image = eight_bit
    if image.mode in _MODES_WITH_ALPHA or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode == "RGB":
        return image
    return image.convert("RGB")
