"""A corpus of hostile and broken input, built by the tests themselves.

Each case is one kind of bad input, with a short description a person understands, the name the
file would have, a function that builds its bytes, and what tlcore must do with it: refuse it
with a message, set it aside while keeping the rest of the batch, or accept it. The lists are:

- `BAD_PHOTOS`: files handed in as photos (uploads, files of a folder or zip, the CLI).
- `BAD_ZIPS`: zip archives handed in as a dataset.
- `BAD_PROJECTS`: files handed in as a saved project.
- `HOSTILE_NAMES`: names typed for a class or a project.

Nothing is stored in the repository: every file is made here, in memory, and the costly ones (a
40-megapixel photo, zip bombs, Keras models) once per test session. The module imports without
TensorFlow; the project builders import Keras when they are first called.

`Case.param(area, through)` turns a case into a `pytest.param` carrying the `reliability`
marker, so each test over the corpus becomes a row of `docs/reliability.md`.
"""

import contextlib
import dataclasses
import functools
import io
import json
import os
import pathlib
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable

import imagefactory
import numpy
import pytest
from PIL import Image

REFUSED = "refused"
"""The input is refused as a whole, with a message (an error the caller shows)."""

SET_ASIDE = "set aside"
"""The input loads, but some of its files are left out with a reason; the rest is kept."""

ACCEPTED = "accepted"
"""The input is used (maybe after conversion), and nothing is left out."""

MARKER_VARIABLE = "TLCORE_HOSTILE_MARKER"
"""The environment variable naming the file that hostile model code touches if it ever runs."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One kind of hostile or broken input.

    Attributes:
        key: A short identifier, used as the pytest id.
        description: What the input is, in words, for test reports and docs/reliability.md.
        file_name: The name the file has when it is written or uploaded.
        build: Returns the bytes of the file.
        expect: `REFUSED`, `SET_ASIDE` or `ACCEPTED`.
        message: Text that the refusal's message, or the reason a file was set aside, holds.
        note: What acceptance means for this input, in words.
        check: Optional further checks on what tlcore returned (a picture, a dataset or a
            trained model); it raises AssertionError when something is wrong.
    """

    key: str
    description: str
    file_name: str
    build: Callable[[], bytes] = dataclasses.field(repr=False)
    expect: str
    message: str = ""
    note: str = ""
    check: Callable[[object], None] | None = dataclasses.field(default=None, repr=False)

    def data(self) -> bytes:
        """Returns the bytes of the file."""
        return self.build()

    @property
    def expected(self) -> str:
        """What tlcore must do with the input, in words, for the reliability report."""
        if self.expect == REFUSED:
            return f"refused: {self.message}"
        if self.expect == SET_ASIDE:
            return f"loads, bad file set aside: {self.message}; the rest kept"
        return f"accepted: {self.note}" if self.note else "accepted"

    def param(self, area: str, through: str, expected: str | None = None):
        """Returns this case as a `pytest.param` with the `reliability` marker.

        Args:
            area: The report's area, such as "Bad photos".
            through: The entry point tried, such as "data.images.load_image".
            expected: What must happen through this entry point; `expected` by default.

        Returns:
            The parameter, with the case as its value and `key` as its id.
        """
        reliability = pytest.mark.reliability(
            area=area,
            case=self.description,
            through=through,
            expected=expected or self.expected,
        )
        return pytest.param(self, id=self.key, marks=reliability)


# Photos.


def good_photo(index: int) -> bytes:
    """Returns a small, valid PNG, different for each index below 11: the photos that bad ones
    are mixed among."""
    return imagefactory.make_png_bytes((index * 23, 90, 160), size=(12, 10))


def make_empty() -> bytes:
    """A file of zero bytes, as a failed copy leaves behind."""
    return b""


def make_text_renamed() -> bytes:
    """Notes typed in a text editor and saved as .jpg."""
    return b"Shopping list: apples, pears, oat milk.\n"


def make_html_renamed() -> bytes:
    """A web page saved with 'Save as' under a .jpg name instead of the picture itself."""
    return imagefactory.HTML_TEXT


def make_svg() -> bytes:
    """A vector drawing: XML text, which tlcore never hands to a decoder."""
    return imagefactory.SVG_TEXT


def make_pdf_renamed() -> bytes:
    """The start of a PDF document renamed .jpg."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def make_tiff() -> bytes:
    """A TIFF picture: a real picture, but of a format tlcore does not accept."""
    return imagefactory.encode(Image.new("RGB", (8, 8), imagefactory.RED), "TIFF")


def make_jpeg_start_then_garbage() -> bytes:
    """The first bytes of a JPEG followed by text: a file that pretends to be a photo."""
    return b"\xff\xd8\xff\xe0 not really a photo, only its first bytes"


def make_truncated_jpeg() -> bytes:
    """A JPEG cut off halfway, as an interrupted download leaves it."""
    data = imagefactory.make_noise_bytes("JPEG")
    return data[: len(data) // 2]


def make_truncated_png() -> bytes:
    """A PNG cut off halfway."""
    data = imagefactory.make_noise_bytes("PNG")
    return data[: len(data) // 2]


def make_png_claiming_fifty_thousand_squared() -> bytes:
    """A tiny, well-formed PNG whose header claims 50,000 x 50,000 pixels (2.5 billion)."""
    return imagefactory.png_header_claiming(50_000, 50_000)


def make_jpeg_claiming_sixty_five_thousand_squared() -> bytes:
    """A small JPEG whose frame header is changed to claim 65,000 x 65,000 pixels."""
    data = bytearray(imagefactory.make_jpeg_bytes(size=(16, 12)))
    frame_header = data.find(b"\xff\xc0")
    # A baseline frame header holds its length (2 bytes) and precision (1 byte), then the
    # height and the width.
    struct.pack_into(">HH", data, frame_header + 5, 65_000, 65_000)
    return bytes(data)


def make_cmyk_jpeg() -> bytes:
    """A CMYK JPEG, as print workflows write them; pure cyan."""
    return imagefactory.encode(Image.new("CMYK", (16, 16), (255, 0, 0, 0)), "JPEG", quality=95)


def make_sixteen_bit_rgba_png() -> bytes:
    """A 16-bit RGBA PNG, written by hand (Pillow cannot write one): a transparent pixel, then
    an opaque red one."""
    header = struct.pack(">IIBBBBB", 2, 1, 16, 6, 0, 0, 0)
    row = b"\x00" + struct.pack(">4H", 0, 0, 0, 0) + struct.pack(">4H", 65535, 0, 0, 65535)
    return (
        b"\x89PNG\r\n\x1a\n"
        + imagefactory.png_chunk(b"IHDR", header)
        + imagefactory.png_chunk(b"IDAT", zlib.compress(row))
        + imagefactory.png_chunk(b"IEND", b"")
    )


def make_sixteen_bit_grey_png_with_transparency() -> bytes:
    """A 16-bit greyscale PNG whose mid-grey value is marked transparent: black, transparent,
    white."""
    values = numpy.array([[0, 30_000, 65_535]], dtype=numpy.uint16)
    return imagefactory.encode(Image.fromarray(values), "PNG", transparency=30_000)


def make_palette_png_with_transparency() -> bytes:
    """A palette PNG whose first colour is transparent: transparent, then blue."""
    picture = Image.new("P", (2, 1), 0)
    picture.putpalette([0, 0, 0, *imagefactory.BLUE] + [0, 0, 0] * 254)
    picture.putpixel((1, 0), 1)
    return imagefactory.encode(picture, "PNG", transparency=0)


def make_animated_gif() -> bytes:
    """An animated GIF of three frames: green, red, blue."""
    return imagefactory.make_animated_gif_bytes(
        colors=(imagefactory.GREEN, imagefactory.RED, imagefactory.BLUE)
    )


def make_jpeg_with_impossible_orientation() -> bytes:
    """A JPEG whose EXIF orientation tag holds 9, a value no camera writes."""
    return imagefactory.make_two_colour_jpeg_bytes(orientation=9)


def make_jpeg_with_text_orientation() -> bytes:
    """A JPEG whose EXIF orientation tag is text ("up") instead of a number, written by hand."""
    exif = (
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"
        + struct.pack(">H", 1)
        # The tag 0x0112 (orientation), of type 2 (ASCII text), holding 4 bytes.
        + struct.pack(">HHI", 0x0112, 2, 4)
        + b"up\x00\x00"
        + struct.pack(">I", 0)
    )
    image = Image.new("RGB", (40, 20), imagefactory.RED)
    return imagefactory.encode(image, "JPEG", quality=95, exif=exif)


def make_one_pixel_jpeg() -> bytes:
    """A JPEG of a single red pixel."""
    return imagefactory.make_jpeg_bytes(imagefactory.RED, size=(1, 1))


FORTY_MEGAPIXEL_SIZE = (7300, 5500)


@functools.cache
def make_forty_megapixel_jpeg() -> bytes:
    """A 7300 x 5500 (40-megapixel) JPEG, the size of a high-end phone's photo.

    It is one flat colour at low quality, so it takes a fraction of a second to make and about
    600 KB; it is made once per test session.
    """
    image = Image.new("RGB", FORTY_MEGAPIXEL_SIZE, (200, 120, 40))
    return imagefactory.encode(image, "JPEG", quality=20)


def _check_colours(expected_pixels: dict[tuple[int, int], tuple[int, int, int]], tolerance=0):
    """Returns a check that the picture has the expected colours at some positions."""

    def check(image):
        for position, colour in expected_pixels.items():
            actual = numpy.array(image.getpixel(position), dtype=int)
            difference = numpy.abs(actual - numpy.array(colour, dtype=int)).max()
            assert difference <= tolerance, f"{position}: {tuple(actual)} is not {colour}"

    return check


def _check_size(size: tuple[int, int]):
    """Returns a check that the picture has a given size."""

    def check(image):
        assert image.size == size, f"{image.size} is not {size}"

    return check


def _check_all(*checks):
    """Returns a check that runs several checks."""

    def check(result):
        for one_check in checks:
            one_check(result)

    return check


NOT_A_PHOTO = "the file is not a photo (JPEG, PNG, WebP, BMP or GIF)"
DAMAGED = "the file is damaged or incomplete"
TOO_LARGE = "the picture is too large"

BAD_PHOTOS = [
    Case("zero-bytes", "zero bytes", "empty.jpg", make_empty, REFUSED, "the file is empty"),
    Case("text-as-jpg", "a text file renamed .jpg", "notes.jpg", make_text_renamed, REFUSED,
         NOT_A_PHOTO),
    Case("html-as-jpg", "an HTML page renamed .jpg", "page.jpg", make_html_renamed, REFUSED,
         NOT_A_PHOTO),
    Case("svg", "an SVG drawing", "drawing.svg", make_svg, REFUSED, NOT_A_PHOTO),
    Case("pdf-as-jpg", "a PDF renamed .jpg", "scan.jpg", make_pdf_renamed, REFUSED, NOT_A_PHOTO),
    Case("tiff", "a TIFF picture", "scan.tif", make_tiff, REFUSED, NOT_A_PHOTO),
    Case("jpeg-start-then-garbage", "the first bytes of a JPEG, then text", "fake.jpg",
         make_jpeg_start_then_garbage, REFUSED, DAMAGED),
    Case("truncated-jpeg", "a JPEG cut off halfway", "cut.jpg", make_truncated_jpeg, REFUSED,
         DAMAGED),
    Case("truncated-png", "a PNG cut off halfway", "cut.png", make_truncated_png, REFUSED,
         DAMAGED),
    Case("png-claiming-50000-squared", "a PNG claiming 50,000 x 50,000 pixels", "bomb.png",
         make_png_claiming_fifty_thousand_squared, REFUSED, TOO_LARGE),
    Case("jpeg-claiming-65000-squared", "a JPEG claiming 65,000 x 65,000 pixels", "bomb.jpg",
         make_jpeg_claiming_sixty_five_thousand_squared, REFUSED, TOO_LARGE),
    Case("cmyk-jpeg", "a CMYK JPEG", "print.jpg", make_cmyk_jpeg, ACCEPTED,
         note="converted to RGB",
         check=_check_colours({(8, 8): (0, 255, 255)}, tolerance=24)),
    Case("sixteen-bit-rgba-png", "a 16-bit PNG with transparency", "deep.png",
         make_sixteen_bit_rgba_png, ACCEPTED, note="8-bit RGB, transparent parts white",
         check=_check_colours({(0, 0): (255, 255, 255), (1, 0): (255, 0, 0)})),
    Case("sixteen-bit-grey-png-transparent-value",
         "a 16-bit greyscale PNG with a transparent grey value", "deep-grey.png",
         make_sixteen_bit_grey_png_with_transparency, ACCEPTED,
         note="8-bit RGB, transparent parts white",
         check=_check_colours({(0, 0): (0, 0, 0), (1, 0): (255, 255, 255),
                               (2, 0): (255, 255, 255)})),
    Case("palette-png-transparency", "a palette PNG with transparency", "palette.png",
         make_palette_png_with_transparency, ACCEPTED, note="transparent parts white",
         check=_check_colours({(0, 0): (255, 255, 255), (1, 0): imagefactory.BLUE})),
    Case("animated-gif", "an animated GIF", "animated.gif", make_animated_gif, ACCEPTED,
         note="its first frame", check=_check_colours({(5, 5): imagefactory.GREEN}, 8)),
    Case("exif-orientation-nine", "a JPEG whose EXIF orientation is 9 (no such value)",
         "turned.jpg", make_jpeg_with_impossible_orientation, ACCEPTED,
         note="the tag is ignored, the photo is not turned",
         check=_check_all(_check_size((40, 20)),
                          _check_colours({(5, 10): imagefactory.RED}, tolerance=12))),
    Case("exif-orientation-text", "a JPEG whose EXIF orientation is text, not a number",
         "turned-text.jpg", make_jpeg_with_text_orientation, ACCEPTED,
         note="the tag is ignored, the photo is not turned", check=_check_size((40, 20))),
    Case("one-pixel", "a photo of 1 x 1 pixel", "dot.jpg", make_one_pixel_jpeg, ACCEPTED,
         check=_check_size((1, 1))),
    Case("forty-megapixels", "a 40-megapixel photo (7300 x 5500)", "big.jpg",
         make_forty_megapixel_jpeg, ACCEPTED,
         note="decoded at a quarter of its size (1825 x 1375), never in full",
         check=_check_size((1825, 1375))),
]  # fmt: skip


# Zips.

# The class folders that every zip of the corpus holds besides its bad part.
GOOD_ZIP_COUNTS = {"apples": 2, "pears": 2}


def good_zip_entries(prefix: str = "") -> dict[str, bytes]:
    """Returns the entries of two good classes of two photos each, under `prefix`."""
    return {
        f"{prefix}apples/a1.png": good_photo(0),
        f"{prefix}apples/a2.png": good_photo(1),
        f"{prefix}pears/p1.png": good_photo(2),
        f"{prefix}pears/p2.png": good_photo(3),
    }


@dataclasses.dataclass(frozen=True)
class RawEntry:
    """One entry of a zip written by hand, its content already compressed.

    Attributes:
        name: The entry's name.
        payload: The bytes stored in the zip.
        crc: The CRC-32 of the uncompressed content.
        size: The uncompressed size the headers declare.
        method: 0 (stored) or 8 (deflated).
        flags: The general-purpose flags; bit 0 marks an encrypted entry.
    """

    name: str
    payload: bytes
    crc: int
    size: int
    method: int = zipfile.ZIP_STORED
    flags: int = 0


def stored_entry(name: str, content: bytes) -> RawEntry:
    """Returns a stored (uncompressed) entry."""
    return RawEntry(name, content, zlib.crc32(content), len(content))


def write_raw_zip(entries: list[RawEntry]) -> bytes:
    """Writes a zip by hand, so that one compressed payload can be shared by many entries.

    Args:
        entries: The entries, in order.

    Returns:
        The zip's bytes: local headers and payloads, the central directory, its end record.
    """
    body, directory = io.BytesIO(), io.BytesIO()
    for entry in entries:
        name = entry.name.encode("utf-8")
        offset = body.tell()
        # Local header: signature, version, flags, method, time, date, CRC, sizes, name length,
        # extra length; then the name and the payload.
        body.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                entry.flags,
                entry.method,
                0,
                0x21,
                entry.crc,
                len(entry.payload),
                entry.size,
                len(name),
                0,
            )
        )
        body.write(name + entry.payload)
        # Central directory record: the same fields, plus where the local header is.
        directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                entry.flags,
                entry.method,
                0,
                0x21,
                entry.crc,
                len(entry.payload),
                entry.size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
    end = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        len(entries),
        len(entries),
        directory.tell(),
        body.tell(),
        0,
    )
    return body.getvalue() + directory.getvalue() + end


BOMB_ENTRY_SIZE = 300 * 1024**2
"""What one zip-bomb entry unpacks to: 300 MB of zeros, in about 300 KB."""


@functools.cache
def _compressed_zeros() -> tuple[bytes, int]:
    """Returns 300 MB of zeros deflated (about 300 KB) and their CRC-32, made once."""
    chunk = bytes(1024**2)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    parts, crc = [], 0
    for _ in range(BOMB_ENTRY_SIZE // len(chunk)):
        parts.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(compressor.flush())
    return b"".join(parts), crc


def _zeros_entry(name: str) -> RawEntry:
    payload, crc = _compressed_zeros()
    return RawEntry(name, payload, crc, BOMB_ENTRY_SIZE, zipfile.ZIP_DEFLATED)


def _good_raw_entries() -> list[RawEntry]:
    return [stored_entry(name, content) for name, content in good_zip_entries().items()]


@functools.cache
def make_zip_bomb_one_entry() -> bytes:
    """A zip of about 300 KB with one entry that unpacks to 300 MB, among good photos."""
    return write_raw_zip([*_good_raw_entries(), _zeros_entry("pears/bomb.png")])


@functools.cache
def make_zip_bomb_many_entries() -> bytes:
    """A zip of about 2.4 MB whose 8 entries unpack to 2.3 GB (8 x 300 MB) in all, among good
    photos."""
    bombs = [_zeros_entry(f"apples/bomb-{index}.png") for index in range(8)]
    return write_raw_zip([*_good_raw_entries(), *bombs])


def make_zip_with_encrypted_entry() -> bytes:
    """A zip with one password-protected entry among good photos."""
    secret = RawEntry("pears/secret.png", b"\x8a" * 40, 0, 28, zipfile.ZIP_STORED, flags=0x1)
    return write_raw_zip([*_good_raw_entries(), secret])


def _zip_with(extra_entries: dict[str, bytes]) -> bytes:
    return imagefactory.make_zip_bytes(good_zip_entries() | extra_entries)


def make_zip_with_parent_entry() -> bytes:
    """A zip with an entry named ../evil.jpg, which would land outside a folder unpacked."""
    return _zip_with({"../evil.jpg": good_photo(5)})


def make_zip_with_deep_parent_entry() -> bytes:
    """A zip with an entry named apples/../../evil.jpg."""
    return _zip_with({"apples/../../evil.jpg": good_photo(5)})


def make_zip_with_backslash_parent_entry() -> bytes:
    """A zip with an entry named ..\\evil.jpg, Windows' way of writing ../evil.jpg."""
    return _zip_with({"..\\evil.jpg": good_photo(5)})


ABSOLUTE_ENTRY = "/tmp/tlcore-hostile-absolute/evil.jpg"
"""The entry name of the absolute-path case; tests check that no file appears there."""


def make_zip_with_absolute_entry() -> bytes:
    """A zip with an entry named with an absolute path."""
    return _zip_with({ABSOLUTE_ENTRY: good_photo(5)})


def make_zip_with_windows_drive_entry() -> bytes:
    """A zip with an entry named C:\\Windows\\evil.jpg."""
    return _zip_with({"C:\\Windows\\evil.jpg": good_photo(5)})


def make_zip_with_link() -> bytes:
    """A zip whose entry apples/link.png is a symbolic link to /etc/passwd."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in good_zip_entries().items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("apples/link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def make_nested_zip() -> bytes:
    """A zip holding another zip (named .zip, and one renamed .png) among good photos."""
    inner = imagefactory.make_zip_bytes(good_zip_entries())
    return _zip_with({"pears/more.zip": inner, "pears/more.png": inner})


def make_zip_without_class_folders() -> bytes:
    """A zip of photos lying at its top, in no class folder."""
    return imagefactory.make_zip_bytes({"a.png": good_photo(0), "b.png": good_photo(1)})


def make_zip_of_one_class() -> bytes:
    """A zip with a single class folder."""
    return imagefactory.make_zip_bytes(
        {"apples/a1.png": good_photo(0), "apples/a2.png": good_photo(1)}
    )


def make_zip_with_classes_differing_in_case() -> bytes:
    """A zip with the class folders Apples and apples."""
    return _zip_with({"Apples/a3.png": good_photo(5)})


def make_zip_of_bad_photos_only() -> bytes:
    """A zip whose two classes hold only files that are not photos."""
    return imagefactory.make_zip_bytes(
        {"apples/notes.jpg": make_text_renamed(), "pears/page.jpg": make_html_renamed()}
    )


def make_not_a_zip() -> bytes:
    """A text file named .zip."""
    return b"These are not the photos you are looking for.\n"


def make_truncated_zip() -> bytes:
    """A good zip cut off before its end record."""
    data = imagefactory.make_zip_bytes(good_zip_entries())
    return data[: len(data) // 2]


def _check_good_classes_kept(dataset) -> None:
    assert dataset.counts() == GOOD_ZIP_COUNTS, dataset.counts()


def _check_one_class(dataset) -> None:
    assert dataset.counts() == {"apples": 2}, dataset.counts()


def _check_no_photos(dataset) -> None:
    assert dataset.counts() == {"apples": 0, "pears": 0}, dataset.counts()
    assert len(dataset.skipped) == 2


UNSAFE = "unsafe entry"
NOT_A_ZIP = "not a zip archive, or it is damaged"

BAD_ZIPS = [
    Case("parent-entry", "an entry named ../evil.jpg", "photos.zip", make_zip_with_parent_entry,
         REFUSED, UNSAFE),
    Case("deep-parent-entry", "an entry named apples/../../evil.jpg", "photos.zip",
         make_zip_with_deep_parent_entry, REFUSED, UNSAFE),
    Case("backslash-parent-entry", "an entry named ..\\evil.jpg (Windows separators)",
         "photos.zip", make_zip_with_backslash_parent_entry, REFUSED, UNSAFE),
    Case("absolute-entry", "an entry with an absolute path", "photos.zip",
         make_zip_with_absolute_entry, REFUSED, "absolute path"),
    Case("windows-drive-entry", "an entry named C:\\Windows\\evil.jpg", "photos.zip",
         make_zip_with_windows_drive_entry, REFUSED, "absolute path"),
    Case("link", "a symbolic link to /etc/passwd", "photos.zip", make_zip_with_link, REFUSED,
         "is a link"),
    Case("nested-zip", "zips inside the zip (one renamed .png)", "photos.zip", make_nested_zip,
         SET_ASIDE, "zip inside the zip", check=_check_good_classes_kept),
    Case("bomb-one-entry", "a zip bomb: 300 KB unpacking to 300 MB", "photos.zip",
         make_zip_bomb_one_entry, SET_ASIDE, "too large to be a photo",
         check=_check_good_classes_kept),
    Case("bomb-many-entries", "a zip bomb: 2.4 MB unpacking to 2.3 GB", "photos.zip",
         make_zip_bomb_many_entries, REFUSED, "would unpack to 2.3 GB"),
    Case("encrypted-entry", "a password-protected entry", "photos.zip",
         make_zip_with_encrypted_entry, SET_ASIDE, "protected by a password",
         check=_check_good_classes_kept),
    Case("no-class-folders", "a zip with no class folders", "photos.zip",
         make_zip_without_class_folders, REFUSED, "No class folders found"),
    Case("one-class", "a zip with a single class", "photos.zip", make_zip_of_one_class,
         ACCEPTED, note="loads as one class",
         check=_check_one_class),
    Case("classes-differing-in-case", "class folders Apples and apples", "photos.zip",
         make_zip_with_classes_differing_in_case, REFUSED, "would be the same class"),
    Case("bad-photos-only", "a zip of classes holding no usable photo", "photos.zip",
         make_zip_of_bad_photos_only, SET_ASIDE, "not a photo", check=_check_no_photos),
    Case("not-a-zip", "a text file named .zip", "photos.zip", make_not_a_zip, REFUSED, NOT_A_ZIP),
    Case("empty-zip-file", "an empty file named .zip", "photos.zip", make_empty, REFUSED,
         NOT_A_ZIP),
    Case("truncated-zip", "a zip cut off halfway", "photos.zip", make_truncated_zip, REFUSED,
         NOT_A_ZIP),
]  # fmt: skip


# Projects. Their models are tiny Keras models on 8 x 8 photos: loading them takes milliseconds,
# and the checks that matter (refusal, never running code) do not depend on the model's size.

TINY_CLASS_NAMES = ["apples", "pears"]
TINY_INPUT_SIZE = 8


def project_description(class_names: list[str]) -> dict:
    """Returns a `project.json` that tlcore accepts, for a project of `class_names`."""
    return {
        "format": "tlcore-project",
        "format_version": 1,
        "class_names": list(class_names),
        "settings": {"image_size": 96, "epochs": 1},
        "history": {"loss": [1.0]},
        "evaluation": {
            "accuracy": 0.5,
            "class_names": list(class_names),
            "per_class": [],
            "confusion_matrix": [],
            "misclassified": [],
            "photo_count": 0,
        },
        "backbone_id": "tiny-test-model",
        "created_at": "2024-01-01T00:00:00+00:00",
        "photo_count": 4,
    }


def make_project_zip(entries: dict[str, bytes | str | dict]) -> bytes:
    """Returns a project file holding `entries`; a dict is written as JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            if isinstance(content, dict):
                content = json.dumps(content)
            archive.writestr(name, content)
    return buffer.getvalue()


def leave_a_mark(tensor):
    """Stands for hostile code inside a custom layer: it touches the marker file when it runs."""
    marker = os.environ.get(MARKER_VARIABLE)
    if marker:
        pathlib.Path(marker).touch()
    return tensor


@contextlib.contextmanager
def _marker_off():
    """Clears the marker variable while a hostile model is built: building runs its layers
    once, and the marker must only record code run while a model is loaded."""
    saved = os.environ.pop(MARKER_VARIABLE, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[MARKER_VARIABLE] = saved


def _keras_bytes(model) -> bytes:
    """Returns a Keras model saved as the bytes of a `.keras` file."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _tiny_model(outputs: int, middle=None, input_shape=(TINY_INPUT_SIZE, TINY_INPUT_SIZE, 3)):
    """Returns a tiny classifier: pixels, an optional middle layer, average, softmax."""
    import keras

    pixels = keras.Input(input_shape)
    features = middle(pixels) if middle is not None else pixels
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(features))
    return keras.Model(pixels, keras.layers.Dense(outputs, activation="softmax")(pooled))


@functools.cache
def make_tiny_project() -> bytes:
    """A valid project of two classes: the control that shows the description is accepted."""
    model = _tiny_model(len(TINY_CLASS_NAMES))
    return make_project_zip(
        {
            "project.json": project_description(TINY_CLASS_NAMES),
            "model.keras": _keras_bytes(model),
        }
    )


def _hostile_lambda_layer():
    """Returns a Lambda layer around a Python lambda that touches the marker file when run.

    Keras stores a Python lambda in the model file as bytecode (a named function only by its
    name), so this code travels with the file and runs wherever the file is loaded unsafely.
    Like a hostile file's code, it imports what it needs itself.
    """
    import keras

    return keras.layers.Lambda(
        lambda tensor: (
            (marker := __import__("os").environ.get("TLCORE_HOSTILE_MARKER"))
            and open(marker, "a").close()
            or tensor
        )
    )


@functools.cache
def make_lambda_project() -> bytes:
    """A project whose model holds a Lambda layer with code that touches the marker file."""
    with _marker_off():
        model = _tiny_model(len(TINY_CLASS_NAMES), _hostile_lambda_layer())
        model_bytes = _keras_bytes(model)
    return make_project_zip(
        {"project.json": project_description(TINY_CLASS_NAMES), "model.keras": model_bytes}
    )


CUSTOM_LAYER_NAME = "hostile>MarkerLayer"
"""The name the custom layer was registered under while its model was saved."""


@functools.cache
def make_custom_layer_project() -> bytes:
    """A project whose model holds a custom, registered Layer subclass that touches the marker.

    The class is registered only while the model is saved, then unregistered, so that the
    test process, like any process that loads an uploaded project, does not know it.
    """
    import keras

    @keras.saving.register_keras_serializable(package="hostile")
    class MarkerLayer(keras.layers.Layer):
        def call(self, inputs):
            return leave_a_mark(inputs)

    try:
        with _marker_off():
            model_bytes = _keras_bytes(_tiny_model(len(TINY_CLASS_NAMES), MarkerLayer()))
    finally:
        keras.saving.get_custom_objects().pop(CUSTOM_LAYER_NAME, None)
    return make_project_zip(
        {"project.json": project_description(TINY_CLASS_NAMES), "model.keras": model_bytes}
    )


@functools.cache
def make_project_with_mismatched_classes() -> bytes:
    """A project whose model tells 3 classes apart but whose description lists 2."""
    return make_project_zip(
        {
            "project.json": project_description(TINY_CLASS_NAMES),
            "model.keras": _keras_bytes(_tiny_model(3)),
        }
    )


@functools.cache
def make_project_with_greyscale_model() -> bytes:
    """A project whose model takes one-channel (greyscale) pictures."""
    model = _tiny_model(2, input_shape=(TINY_INPUT_SIZE, TINY_INPUT_SIZE, 1))
    return make_project_zip(
        {"project.json": project_description(TINY_CLASS_NAMES), "model.keras": _keras_bytes(model)}
    )


def make_project_with_parent_entry() -> bytes:
    """A valid project with an extra entry named ../evil.txt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with zipfile.ZipFile(io.BytesIO(make_tiny_project())) as source:
            for name in source.namelist():
                archive.writestr(name, source.read(name))
        archive.writestr("../evil.txt", "written outside")
    return buffer.getvalue()


def make_project_without_model() -> bytes:
    """A zip holding a project's description but no model."""
    return make_project_zip({"project.json": project_description(TINY_CLASS_NAMES)})


def make_project_without_description() -> bytes:
    """A zip holding a model but no project.json."""
    return make_project_zip({"model.keras": b"PK\x05\x06" + bytes(18)})


def make_project_with_broken_description() -> bytes:
    """A project whose project.json is not JSON."""
    return make_project_zip({"project.json": "{this is not json", "model.keras": b"x"})


def make_project_with_deeply_nested_description() -> bytes:
    """A project whose project.json nests lists 100,000 deep, which exhausts a recursive
    parser."""
    return make_project_zip({"project.json": "[" * 100_000, "model.keras": b"x"})


def make_project_of_another_tool() -> bytes:
    """A zip of the same layout written by another tool."""
    return make_project_zip({"project.json": {"format": "other"}, "model.keras": b"x"})


def make_project_with_incomplete_description() -> bytes:
    """A project whose description lacks its class names and settings."""
    return make_project_zip({"project.json": {"format": "tlcore-project"}, "model.keras": b"x"})


def make_project_with_garbage_model() -> bytes:
    """A project whose model.keras is not a Keras file."""
    return make_project_zip(
        {"project.json": project_description(TINY_CLASS_NAMES), "model.keras": b"not a model"}
    )


def make_project_declaring_a_huge_model() -> bytes:
    """A project whose headers declare a 600 MB model."""
    data = make_project_zip(
        {"project.json": project_description(TINY_CLASS_NAMES), "model.keras": b"x" * 100}
    )
    return imagefactory.set_declared_size(data, "model.keras", 600 * 1024**2)


def _check_tiny_project(trained) -> None:
    assert trained.class_names == TINY_CLASS_NAMES
    assert trained.input_size == TINY_INPUT_SIZE


NOT_A_PROJECT = "not a project saved by this tool"
UNSAFE_MODEL = "cannot be loaded safely"

BAD_PROJECTS = [
    Case("not-a-zip", "a text file named .zip", "project.zip", make_text_renamed, REFUSED,
         "it is not a zip file"),
    Case("empty", "an empty file", "project.zip", make_empty, REFUSED, "it is not a zip file"),
    Case("no-model", "a zip missing the model", "project.zip", make_project_without_model,
         REFUSED, "it has no model.keras inside"),
    Case("no-description", "a zip missing project.json", "project.zip",
         make_project_without_description, REFUSED, "it has no project.json"),
    Case("broken-description", "a project.json that is not JSON", "project.zip",
         make_project_with_broken_description, REFUSED, "it is damaged"),
    Case("deeply-nested-description", "a project.json nested 100,000 levels deep",
         "project.zip", make_project_with_deeply_nested_description, REFUSED, "it is damaged"),
    Case("another-tool", "a zip of the same layout from another tool", "project.zip",
         make_project_of_another_tool, REFUSED, "its description is not a tlcore project's"),
    Case("incomplete-description", "a description without classes or settings", "project.zip",
         make_project_with_incomplete_description, REFUSED, "its description is incomplete"),
    Case("huge-model", "a model declared 600 MB", "project.zip",
         make_project_declaring_a_huge_model, REFUSED, "far larger than any this tool writes"),
    Case("garbage-model", "a model.keras that is not a Keras file", "project.zip",
         make_project_with_garbage_model, REFUSED, UNSAFE_MODEL),
    Case("lambda-layer", "a .keras model with a Lambda layer", "project.zip",
         make_lambda_project, REFUSED, "cannot be loaded safely: it contains a Lambda layer"),
    Case("custom-layer", "a .keras model with a custom registered layer", "project.zip",
         make_custom_layer_project, REFUSED, "does not know (MarkerLayer)"),
    Case("mismatched-classes", "a class list that disagrees with the model", "project.zip",
         make_project_with_mismatched_classes, REFUSED, "tells 3 classes apart"),
    Case("greyscale-model", "a model that takes greyscale pictures", "project.zip",
         make_project_with_greyscale_model, REFUSED, "does not take square colour photos"),
    Case("parent-entry", "a valid project with an extra entry ../evil.txt", "project.zip",
         make_project_with_parent_entry, ACCEPTED,
         note="the extra entry is never unpacked", check=_check_tiny_project),
    Case("tiny-valid", "a valid project (the control)", "project.zip", make_tiny_project,
         ACCEPTED, check=_check_tiny_project),
]  # fmt: skip


# Names.


@dataclasses.dataclass(frozen=True)
class NameCase:
    """A name someone may type for a class or a project.

    Attributes:
        key: A short identifier, used as the pytest id.
        description: What the name is, in words.
        name: The name itself.
        expect: `REFUSED` or `ACCEPTED`.
        message: For refused names, text the message holds.
        cleaned: For accepted names, the name once cleaned; the name itself when None.
    """

    key: str
    description: str
    name: str
    expect: str
    message: str = ""
    cleaned: str | None = None

    @property
    def expected(self) -> str:
        """What tlcore must do with the name, in words."""
        if self.expect == REFUSED:
            return f"refused: {self.message}"
        return "accepted, stored under a safe folder name"

    def param(self, area: str, through: str):
        """Returns this case as a `pytest.param` with the `reliability` marker."""
        marker = pytest.mark.reliability(
            area=area, case=self.description, through=through, expected=self.expected
        )
        return pytest.param(self, id=self.key, marks=marker)


HOSTILE_NAMES = [
    NameCase("empty", "an empty name", "", REFUSED, "cannot be empty"),
    NameCase("only-spaces", "only spaces", "     ", REFUSED, "cannot be empty"),
    NameCase("only-invisible", "only zero-width characters", "\u200b\u200d\ufeff", REFUSED,
             "cannot be empty"),
    NameCase("five-hundred-characters", "500 characters", "a" * 500, REFUSED,
             "at most 80 characters"),
    NameCase("parent-path", "../../etc", "../../etc", REFUSED, "cannot contain '/'"),
    NameCase("windows-parent-path", "..\\..\\windows", "..\\..\\windows", REFUSED,
             "cannot contain '/'"),
    NameCase("slash", "a name containing /", "apples/pears", REFUSED, "cannot contain '/'"),
    NameCase("backslash", "a name containing \\", "apples\\pears", REFUSED,
             "cannot contain '/'"),
    NameCase("dot", "a single dot", ".", REFUSED, "cannot be used"),
    NameCase("dot-dot", "two dots", "..", REFUSED, "cannot be used"),
    NameCase("null-character", "a name with a NUL character", "apples\x00", REFUSED,
             "control characters"),
    NameCase("line-break", "a name with a line break", "Granny\nSmith", ACCEPTED,
             cleaned="Granny Smith"),
    NameCase("con", "con (reserved on Windows)", "con", ACCEPTED),
    NameCase("nul", "nul (reserved on Windows)", "nul", ACCEPTED),
    NameCase("com1-with-extension", "COM1.txt (reserved on Windows)", "COM1.txt", ACCEPTED),
    NameCase("three-dots", "three dots", "...", ACCEPTED),
    NameCase("hidden-name", "a name starting with a dot", ".hidden", ACCEPTED),
    NameCase("emoji", "emoji", "🍎🍐", ACCEPTED),
    NameCase("emoji-sequence", "an emoji joined with zero-width joiners", "👨‍👩‍👧 family",
             ACCEPTED),
    NameCase("chinese", "Chinese", "苹果", ACCEPTED),
    NameCase("arabic", "Arabic (right to left)", "تفاح", ACCEPTED),
    NameCase("hindi", "Devanagari", "सेब", ACCEPTED),
    NameCase("cyrillic", "Cyrillic", "яблоко", ACCEPTED),
    NameCase("right-to-left-override", "a right-to-left override character",
             "apple\u202egnp.exe", ACCEPTED),
    NameCase("eighty-characters", "80 characters (the longest allowed)", "b" * 80, ACCEPTED),
]  # fmt: skip

CASE_TWINS = ("Apples", "APPLES")
"""Two names that differ only in letter case: the second is refused next to the first."""
