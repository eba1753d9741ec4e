"""Tests of tlcore.data.images: every kind of bad file is refused, every good one becomes RGB."""

import hashlib

import imagefactory
import numpy
import pytest
from PIL import Image, ImageFile

from tlcore import errors
from tlcore.data import images


def colour_at(image: Image.Image, position=None) -> numpy.ndarray:
    """Returns the RGB value at `position` (the centre by default), as ints."""
    if position is None:
        position = (image.width // 2, image.height // 2)
    return numpy.array(image.getpixel(position), dtype=int)


def assert_close(actual, expected, tolerance=12):
    """Checks that a colour is within `tolerance` of another, in every channel (JPEG is lossy)."""
    difference = numpy.abs(numpy.array(actual, dtype=int) - numpy.array(expected, dtype=int))
    assert difference.max() <= tolerance, f"{tuple(actual)} is not close to {tuple(expected)}"


def refusal(data: bytes, file_name=None) -> errors.UnreadableImageError:
    """Loads bytes that must be refused and returns the error; the quicker check
    (`check_photo`, JPEGs decoded at an eighth of their size) must refuse them alike."""
    with pytest.raises(errors.UnreadableImageError) as caught:
        images.load_image(data, file_name)
    with pytest.raises(errors.UnreadableImageError) as checked:
        images.check_photo(data, file_name)
    assert (checked.value.file_name, checked.value.reason) == (
        caught.value.file_name,
        caught.value.reason,
    )
    return caught.value


# Good photos.


@pytest.mark.parametrize(
    ("image_format", "options"),
    [
        ("JPEG", {}),
        ("PNG", {}),
        ("WEBP", {"lossless": True}),
        ("BMP", {}),
        ("GIF", {}),
    ],
)
def test_every_allowed_format_loads_as_rgb(image_format, options):
    data = imagefactory.encode(
        Image.new("RGB", (16, 12), imagefactory.RED), image_format, **options
    )
    image = images.load_image(data)
    assert image.mode == "RGB"
    assert image.size == (16, 12)
    assert_close(colour_at(image), imagefactory.RED)


def test_mpo_from_a_phone_gives_its_first_picture():
    image = images.load_image(
        imagefactory.make_mpo_bytes(colors=(imagefactory.RED, imagefactory.BLUE))
    )
    assert image.mode == "RGB"
    assert_close(colour_at(image), imagefactory.RED)


def test_loads_from_a_path(tmp_path):
    path = tmp_path / "apple.png"
    path.write_bytes(imagefactory.make_png_bytes(imagefactory.GREEN))
    image = images.load_image(path)
    assert image.mode == "RGB"
    assert_close(colour_at(image), imagefactory.GREEN, tolerance=0)
    # A string path works too, and the picture stays usable once the file is gone.
    image = images.load_image(str(path))
    path.unlink()
    assert image.getpixel((0, 0)) == imagefactory.GREEN


def test_one_pixel_photo_loads():
    image = images.load_image(imagefactory.make_png_bytes(imagefactory.BLUE, size=(1, 1)))
    assert image.size == (1, 1)


def test_big_jpeg_is_decoded_at_reduced_scale_keeping_a_long_short_side():
    data = imagefactory.make_jpeg_bytes(size=(2400, 2200))
    image = images.load_image(data)
    assert image.size == (1200, 1100)
    assert min(image.size) >= images.DRAFT_SHORT_SIDE


def test_big_mpo_is_decoded_at_reduced_scale_too():
    image = images.load_image(imagefactory.make_mpo_bytes(size=(2400, 2200)))
    assert image.size == (1200, 1100)


def test_jpeg_too_small_to_reduce_keeps_its_size():
    image = images.load_image(imagefactory.make_jpeg_bytes(size=(1500, 900)))
    assert image.size == (1500, 900)


# Colour modes.


def test_cmyk_jpeg_becomes_rgb():
    cmyk_red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    image = images.load_image(imagefactory.encode(cmyk_red, "JPEG", quality=95))
    assert image.mode == "RGB"
    assert_close(colour_at(image), (255, 0, 0), tolerance=20)


def test_sixteen_bit_png_is_scaled_not_clipped():
    values = numpy.array([[0, 257 * 64, 257 * 128, 65535]], dtype=numpy.uint16)
    sixteen_bit = Image.fromarray(values)
    assert sixteen_bit.mode == "I;16"
    image = images.load_image(imagefactory.encode(sixteen_bit, "PNG"))
    assert image.mode == "RGB"
    assert [image.getpixel((column, 0)) for column in range(4)] == [
        (0, 0, 0),
        (64, 64, 64),
        (128, 128, 128),
        (255, 255, 255),
    ]


def test_palette_png_with_transparency_is_drawn_on_white():
    palette_image = Image.new("P", (4, 1), 0)
    palette_image.putpalette([0, 0, 0, *imagefactory.BLUE] + [0, 0, 0] * 254)
    palette_image.putpixel((2, 0), 1)
    palette_image.putpixel((3, 0), 1)
    data = imagefactory.encode(palette_image, "PNG", transparency=0)
    image = images.load_image(data)
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((3, 0)) == imagefactory.BLUE


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_channel_is_drawn_on_white(mode):
    transparent = Image.new(mode, (2, 1), (0, 0, 0, 0) if mode == "RGBA" else (0, 0))
    transparent.putpixel((1, 0), (10, 20, 30, 255) if mode == "RGBA" else (50, 255))
    image = images.load_image(imagefactory.encode(transparent, "PNG"))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((1, 0)) == ((10, 20, 30) if mode == "RGBA" else (50, 50, 50))


def test_grayscale_becomes_rgb_with_equal_channels():
    image = images.load_image(imagefactory.make_png_bytes(90, mode="L"))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (90, 90, 90)


def test_black_and_white_becomes_rgb():
    one_bit = Image.new("1", (2, 1), 0)
    one_bit.putpixel((1, 0), 1)
    image = images.load_image(imagefactory.encode(one_bit, "PNG"))
    assert image.getpixel((0, 0)) == (0, 0, 0)
    assert image.getpixel((1, 0)) == (255, 255, 255)


def test_animated_gif_gives_its_first_frame():
    data = imagefactory.make_animated_gif_bytes(colors=(imagefactory.GREEN, imagefactory.RED))
    image = images.load_image(data)
    assert image.mode == "RGB"
    assert_close(colour_at(image), imagefactory.GREEN, tolerance=8)


# EXIF orientation.


def test_exif_orientation_six_turns_the_photo_upright():
    # Orientation 6 means the camera was turned; the photo is shown turned 90 degrees clockwise,
    # so the left half (red) ends at the top.
    image = images.load_image(imagefactory.make_two_colour_jpeg_bytes(orientation=6))
    assert image.size == (20, 40)
    assert_close(colour_at(image, (10, 5)), imagefactory.RED)
    assert_close(colour_at(image, (10, 35)), imagefactory.BLUE)


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_invalid_exif_orientation_is_ignored(orientation):
    data = imagefactory.make_two_colour_jpeg_bytes(orientation=orientation)
    image = images.load_image(data)
    assert image.size == (40, 20)
    assert_close(colour_at(image, (5, 10)), imagefactory.RED)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_block_is_ignored():
    data = imagefactory.make_jpeg_bytes(exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x01")
    assert images.load_image(data).size == (16, 12)


# Refusals.


def test_empty_bytes_are_refused():
    error = refusal(b"")
    assert error.reason == "the file is empty"
    assert error.file_name == "photo"


def test_empty_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"")
    with pytest.raises(errors.UnreadableImageError) as caught:
        images.load_image(path)
    assert caught.value.file_name == "holiday.jpg"
    assert "holiday.jpg" in str(caught.value)
    assert caught.value.reason == "the file is empty"


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(errors.UnreadableImageError, match="does not exist"):
        images.load_image(tmp_path / "nowhere.jpg")


@pytest.mark.parametrize(
    "data",
    [
        b"These are my holiday notes, not a photo.\n",
        imagefactory.HTML_TEXT,
        imagefactory.SVG_TEXT,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        imagefactory.encode(Image.new("RGB", (8, 8)), "TIFF"),
    ],
    ids=["text", "html", "svg", "pdf", "tiff"],
)
def test_files_that_are_not_photos_are_refused(data):
    error = refusal(data, "cat.jpg")
    assert error.file_name == "cat.jpg"
    assert error.reason == "the file is not a photo (JPEG, PNG, WebP, BMP or GIF)"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_photo_is_refused(image_format):
    data = imagefactory.make_noise_bytes(image_format)
    assert images.load_image(data).size == (64, 64)
    error = refusal(data[: len(data) // 2])
    assert error.reason == "the file is damaged or incomplete"


def test_truncation_is_never_tolerated_globally():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_corrupt_png_is_refused():
    data = bytearray(imagefactory.make_noise_bytes("PNG"))
    data[200:260] = b"\x00" * 60
    assert refusal(bytes(data)).reason == "the file is damaged or incomplete"


def test_png_claiming_fifty_thousand_squared_pixels_is_refused_before_decoding():
    error = refusal(imagefactory.png_header_claiming(50_000, 50_000))
    assert error.reason == "the picture is too large (over 89 megapixels; the limit is 64)"


def test_picture_over_the_limit_but_under_pillows_is_refused_with_its_size():
    error = refusal(imagefactory.png_header_claiming(9_000, 9_000))
    assert error.reason == "the picture is too large (81 megapixels; the limit is 64)"


def test_picture_in_pillows_warning_range_is_refused():
    # 100 megapixels makes Pillow warn rather than refuse; the warning must not get through.
    error = refusal(imagefactory.png_header_claiming(10_000, 10_000))
    assert "too large" in error.reason


def test_forty_megapixel_photo_is_within_the_limit():
    assert 7728 * 5152 < images.MAX_PIXELS


def test_picture_with_no_pixels_is_refused():
    refusal(imagefactory.png_header_claiming(0, 0))


def test_wrong_argument_type_is_a_programming_error():
    with pytest.raises(TypeError):
        images.load_image(12345)


# Arrays and hashes.


def test_image_to_array_squashes_to_a_square_of_uint8():
    image = images.load_image(imagefactory.make_png_bytes(imagefactory.RED, size=(300, 100)))
    pixels = images.image_to_array(image, 32)
    assert pixels.shape == (32, 32, 3)
    assert pixels.dtype == numpy.uint8
    assert (pixels == numpy.array(imagefactory.RED, dtype=numpy.uint8)).all()
    pixels[0, 0] = 0


def test_image_to_array_converts_other_modes():
    pixels = images.image_to_array(Image.new("L", (5, 7), 40), 4)
    assert pixels.shape == (4, 4, 3)
    assert (pixels == 40).all()


@pytest.mark.parametrize("bad_size", [0, -3, 2.5, True, "224"])
def test_image_to_array_refuses_a_bad_size(bad_size):
    with pytest.raises(errors.SettingsError):
        images.image_to_array(Image.new("RGB", (4, 4)), bad_size)


def test_load_pixels_reads_and_resizes():
    pixels = images.load_pixels(imagefactory.make_jpeg_bytes(imagefactory.BLUE), 8)
    assert pixels.shape == (8, 8, 3)
    assert_close(pixels[4, 4], imagefactory.BLUE)


def test_load_pixels_refuses_bad_files_with_the_given_name():
    with pytest.raises(errors.UnreadableImageError, match="'notes.jpg'"):
        images.load_pixels(b"not a photo", 8, file_name="notes.jpg")


def test_content_hash_is_the_sha256_of_the_bytes():
    data = imagefactory.make_jpeg_bytes()
    assert images.content_hash(data) == hashlib.sha256(data).hexdigest()
    assert images.content_hash(data) != images.content_hash(data + b"\x00")


@pytest.mark.parametrize("progressive", [False, True])
def test_the_quick_check_accepts_good_jpegs_and_refuses_cut_ones(progressive):
    picture = Image.new("RGB", (640, 480), imagefactory.RED)
    data = imagefactory.encode(picture, "JPEG", quality=90, progressive=progressive)
    images.check_photo(data, "whole.jpg")
    images.check_photo(imagefactory.encode(picture.convert("CMYK"), "JPEG"), "cmyk.jpg")
    images.check_photo(imagefactory.make_mpo_bytes(size=(2400, 2200)), "phone.jpg")
    assert "damaged or incomplete" in refusal(data[: len(data) // 2], "cut.jpg").reason
