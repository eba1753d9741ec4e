"""A large labelled photo folder made from a small one, for the scale benchmark.

A project of 20,000 photos in 200 classes must import, embed, train and be evaluated without
running out of memory. No such folder ships with the repository, so one is made from real
photos: class `k` of the new folder is source class `k % source classes` seen through one of a
few fixed colour changes (the channels of every pixel swapped in a fixed order), so the classes
stay apart for the model, and each of its photos is a different random crop, turn and exposure
of one of the source class's photos, so no two photos have the same bytes. The result is as
large and as varied in size as real uploads, which is what the benchmark measures; its accuracy
says little about real data."""

import concurrent.futures
import os
import pathlib
import random

from PIL import Image, ImageEnhance

from tlcore.data import loading

# The channel orders that tell the copies of one source class apart. The first keeps the
# colours as they are.
_CHANNEL_ORDERS = ("RGB", "BRG", "GBR", "BGR", "RBG", "GRB")

_LONGER_SIDE = 400
_JPEG_QUALITY = 85


def _class_folder_name(source_class: str, edition: int) -> str:
    return source_class if edition == 0 else f"{source_class}-{_CHANNEL_ORDERS[edition]}"


def _varied_photo(source: pathlib.Path, channel_order: str, seed: int, target: pathlib.Path):
    generator = random.Random(seed)
    with Image.open(source) as opened:
        picture = opened.convert("RGB")
    if channel_order != "RGB":
        bands = dict(zip("RGB", picture.split(), strict=True))
        picture = Image.merge("RGB", [bands[name] for name in channel_order])
    width, height = picture.size
    # A crop of 70-100% of each side, somewhere in the photo.
    share = generator.uniform(0.7, 1.0)
    crop_width, crop_height = int(width * share), int(height * share)
    left = generator.randint(0, width - crop_width)
    top = generator.randint(0, height - crop_height)
    picture = picture.crop((left, top, left + crop_width, top + crop_height))
    picture = picture.rotate(generator.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    picture = ImageEnhance.Brightness(picture).enhance(generator.uniform(0.75, 1.25))
    scale = _LONGER_SIDE / max(picture.size) * generator.uniform(0.8, 1.0)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    picture = picture.resize(size, Image.Resampling.BILINEAR)
    picture.save(target, format="JPEG", quality=_JPEG_QUALITY)


def make_scale_folder(
    source: str | os.PathLike,
    target: str | os.PathLike,
    class_count: int = 200,
    photos_per_class: int = 100,
    seed: int = 0,
    workers: int | None = None,
) -> pathlib.Path:
    """Writes a folder of `class_count` classes of `photos_per_class` photos each.

    A folder already holding every photo is left as it is, so a second run costs nothing.

    Args:
        source: A folder of one sub-folder a class (the photos the new ones are made from).
        target: Where the new folder goes; made when missing.
        class_count: How many classes to make. At most six times the source's classes.
        photos_per_class: How many photos each class gets.
        seed: Fixes every random choice, so a second run makes the same photos.
        workers: Processes making photos; the machine's cores when None.

    Returns:
        The target folder.

    Raises:
        ValueError: If the source has too few classes for `class_count`.
    """
    dataset = loading.load_dataset(source)
    source_classes = dataset.class_names
    if class_count > len(source_classes) * len(_CHANNEL_ORDERS):
        raise ValueError(
            f"{len(source_classes)} source classes make at most "
            f"{len(source_classes) * len(_CHANNEL_ORDERS)} classes, not {class_count}."
        )
    target = pathlib.Path(target)
    jobs = []
    for class_index in range(class_count):
        source_class = source_classes[class_index % len(source_classes)]
        edition = class_index // len(source_classes)
        folder = target / _class_folder_name(source_class, edition)
        folder.mkdir(parents=True, exist_ok=True)
        photos = dataset.photos_of(source_class)
        for photo_index in range(photos_per_class):
            destination = folder / f"{photo_index:04d}.jpg"
            if destination.exists():
                continue
            photo = photos[photo_index % len(photos)]
            photo_seed = seed * 1_000_003 + class_index * 10_007 + photo_index
            jobs.append((photo.path, _CHANNEL_ORDERS[edition], photo_seed, destination))
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(_varied_photo, *job) for job in jobs]
        for future in concurrent.futures.as_completed(futures):
            future.result()
    return target
