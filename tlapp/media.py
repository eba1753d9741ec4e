"""Small pictures for the pages: thumbnails of stored photos, cached once made."""

import base64
import io

import streamlit as st
from PIL import Image, ImageOps

from tlcore import errors
from tlcore.data import images

THUMBNAIL_SIZE = 192

#: The photo formats an upload box offers, as MIME types and extensions. The MIME types also
#: make Streamlit leave the check of each file to tlcore, which reads its content and names each
#: bad file while keeping the rest; Streamlit's own check of file names would instead fail the
#: whole batch with an error when a browser (or anything posing as one) sends another name.
PHOTO_UPLOAD_TYPES = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/bmp",
    "image/gif",
    *("jpg", "jpeg", "png", "webp", "bmp", "gif"),
]


#: What a table's preview cell shows for a file that is not a photo: a grey square with a
#: cross, instead of the word "None".
NO_PREVIEW = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
    b'<rect width="96" height="96" fill="#e5e7eb"/>'
    b'<path d="M30 30L66 66M66 30L30 66" stroke="#9ca3af" stroke-width="6"/></svg>'
).decode("ascii")


def make_thumbnail(source: bytes | str, size: int = THUMBNAIL_SIZE) -> bytes | None:
    """Returns a square JPEG thumbnail of a photo, or None when the photo cannot be read.

    Args:
        source: The photo's bytes or path.
        size: The side of the square, in pixels.

    Returns:
        The thumbnail's JPEG bytes, or None.
    """
    try:
        picture = images.load_image(source)
    except errors.UnreadableImageError:
        return None
    square = ImageOps.fit(picture, (size, size), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    square.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@st.cache_data(max_entries=4000, show_spinner=False)
def thumbnail(path: str, content_hash: str) -> bytes | None:
    """Returns the cached thumbnail of a stored photo.

    Args:
        path: Where the photo is stored.
        content_hash: The hash of its bytes; part of the cache key, so a changed file is new.

    Returns:
        The thumbnail's JPEG bytes, or None when the file cannot be read.
    """
    del content_hash  # Only part of the cache key.
    return make_thumbnail(path)


def data_url(jpeg: bytes | None) -> str | None:
    """Returns a JPEG as a `data:` address that a table's image column can show.

    Args:
        jpeg: The JPEG bytes, or None.

    Returns:
        The address, or None when there is no picture.
    """
    if jpeg is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
