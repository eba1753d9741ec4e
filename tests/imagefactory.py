"""Tiny made-up photos and archives for tests, built in memory with Pillow and zipfile.

Every factory returns the bytes of a file, so a test can write them where it wants or pass them
straight to the engine. Test modules import this one with `import imagefactory`.
"""

import io
import random
import struct
import zipfile
import zlib

from PIL import Image

RED = (220, 20, 20)
GREEN = (20, 200, 40)
BLUE = (20, 40, 220)

SVG_TEXT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="red"/></svg>'
)
HTML_TEXT = b"<!DOCTYPE html><html><body><img src='cat.jpg'></body></html>"


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    """Returns the bytes of `image` saved in `image_format` (a Pillow format name)."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def make_jpeg_bytes(color=RED, size=(16, 12), **options) -> bytes:
    """Returns a JPEG of one colour."""
    return encode(Image.new("RGB", size, color), "JPEG", quality=95, **options)


def make_png_bytes(color=GREEN, size=(16, 12), mode="RGB") -> bytes:
    """Returns a PNG of one colour, in any mode Pillow can save as PNG."""
    return encode(Image.new(mode, size, color), "PNG")


def make_noise_bytes(image_format: str, size=(64, 64), seed=0) -> bytes:
    """Returns a picture of random pixels, which compresses badly and so makes a long file."""
    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    return encode(Image.frombytes("RGB", size, noise), image_format)


def make_two_colour_jpeg_bytes(orientation=None, size=(40, 20)) -> bytes:
    """Returns a JPEG whose left half is red and right half blue, with an EXIF orientation."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    return encode(image, "JPEG", quality=95, **options)


def make_animated_gif_bytes(colors=(RED, GREEN, BLUE), size=(10, 10)) -> bytes:
    """Returns an animated GIF with one frame of each colour."""
    frames = [Image.new("RGB", size, color) for color in colors]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def make_mpo_bytes(colors=(RED, BLUE), size=(16, 12)) -> bytes:
    """Returns an MPO (multi-picture JPEG, as some phones write) with one picture a colour."""
    pictures = [Image.new("RGB", size, color) for color in colors]
    return encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:])


def png_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    """Returns one PNG chunk with its length and a correct CRC."""
    crc = zlib.crc32(chunk_type + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", crc)


def png_header_claiming(width: int, height: int) -> bytes:
    """Returns a well-formed PNG that claims `width x height` pixels but holds one row of data.

    Only the size is wrong: the signature, the IHDR chunk and every CRC are correct, so a reader
    that trusted the size would try to decode (and allocate) the whole picture.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00" * 3 * min(width, 16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def make_zip_bytes(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    """Returns a zip holding `entries` (name: content); a name ending in '/' is a folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def set_declared_size(zip_bytes: bytes, entry_name: str, size: int) -> bytes:
    """Returns a copy of a zip whose headers declare `size` bytes for one entry, a lie.

    Both the entry's local header and its central directory record are changed; the data and
    its CRC are left as they were.
    """
    patched = bytearray(zip_bytes)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        local_offset = archive.getinfo(entry_name).header_offset
    # The uncompressed size sits 22 bytes into a local header.
    struct.pack_into("<I", patched, local_offset + 22, size)
    encoded_name = entry_name.encode("utf-8")
    position = patched.find(b"PK\x01\x02")
    while position != -1:
        (name_length,) = struct.unpack_from("<H", patched, position + 28)
        if bytes(patched[position + 46 : position + 46 + name_length]) == encoded_name:
            # The uncompressed size sits 24 bytes into a central directory record.
            struct.pack_into("<I", patched, position + 24, size)
        position = patched.find(b"PK\x01\x02", position + 4)
    return bytes(patched)
