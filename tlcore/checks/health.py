"""Data health: what in a project's photos will hold its model back, and what fixes it.

Each finding names its photos and the fix a person can make:

- **Small classes**: a class with less than half the photos of the typical class. Fix: add
  photos.
- **Taken in one sitting**: a class of at least 5 photos that fall into at most 2 groups of
  near-copies (`features.splitting.near_copy_groups`). The model learns that day's light and
  background, and its validation figures look better than new photos will make them. Fix: add
  photos from another day, place or light.
- **Blurred, dark, over-exposed, plain and tiny photos**, measured on the pixels the model sees
  (the photo shrunk to the model's input). Fix: remove them (or replace them).
- **The same photo in two classes**: near-duplicates across classes
  (`checks.near_duplicates.near_duplicates`). Fix: keep it in one class.

The thresholds were set on the 2,936 Grocery Store photos (`train` and `val`), so real photos are
rarely flagged: see `HealthSettings`.
"""

import dataclasses
import statistics
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from tlcore import errors, wording
from tlcore.checks import look_cache, photo_references, quality
from tlcore.data import images
from tlcore.features import splitting

# The side of the grey square the photo is shrunk to before its sharpness and light are
# measured: the model's default input, so a photo sharp enough for the model counts as sharp.
_MEASURE_SIDE = 224


@dataclasses.dataclass(frozen=True)
class HealthSettings:
    """Where the findings start.

    Args:
        small_class_share: A class is small below this share of the median class's photos.
        sitting_groups: A class whose photos fall into at most this many near-copy groups was
            taken in one sitting.
        sitting_least_photos: Classes with fewer photos are not judged on sittings.
        blurred_sharpness: A photo is blurred below this variance of its Laplacian.
        dark_brightness: A photo is dark below this mean brightness (0-255).
        bright_brightness: A photo is over-exposed above this mean brightness ...
        bright_share: ... or when more than this share of its pixels are white (250 or more).
        plain_contrast: A photo is plain (almost nothing in it) below this spread of brightness
            ...
        plain_sharpness: ... and this sharpness (a dark photo also has little spread, but
            edges).
        tiny_fraction: A photo is tiny when its short side is below this share of the model's
            image size: the model would see it enlarged and soft.
    """

    # Measured on the 2,936 Grocery Store photos: the sharpness (Laplacian variance at 224 px)
    # is 12-2,197, 68 at the 0.5th percentile; a photo blurred with a Gaussian of radius 3 px
    # scores 11-21, of radius 2 px 30-55. Brightness is 50-174, at most 12% of a photo white
    # (a banana photo made 3 times brighter: 195, 19% white); the spread of brightness is at
    # least 29. So a sharpness threshold of 15 flags 2 real photos (0.07%), the light and
    # plain thresholds none.
    small_class_share: float = 0.5
    sitting_groups: int = 2
    sitting_least_photos: int = 5
    blurred_sharpness: float = 15.0
    dark_brightness: float = 35.0
    bright_brightness: float = 185.0
    bright_share: float = 0.25
    plain_contrast: float = 12.0
    plain_sharpness: float = 5.0
    tiny_fraction: float = 0.5


@dataclasses.dataclass(frozen=True)
class PhotoLook:
    """What a photo's pixels look like.

    Args:
        width: Its width in pixels, as stored.
        height: Its height.
        sharpness: The variance of the Laplacian of its grey picture at 224 x 224.
        brightness: Its mean brightness, 0-255.
        white_share: The share of its pixels at 250 or more.
        contrast: The standard deviation of its brightness.
    """

    width: int
    height: int
    sharpness: float
    brightness: float
    white_share: float
    contrast: float


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem in the photos, with what fixes it.

    Args:
        kind: "small class", "one sitting", "blurred", "dark", "over-exposed", "plain",
            "tiny" or "two classes".
        title: A short line for people.
        advice: What to do about it.
        fix: The one-click fix: "remove" (the photos), "keep one" (of a photo in two
            classes) or "add photos" (no click fixes it: more photos must be taken).
        photos: The photos it is about.
        class_name: The class it is about, for class findings.
        missing_photos: For "add photos": about how many more would help.
    """

    kind: str
    title: str
    advice: str
    fix: str
    photos: tuple[photo_references.PhotoReference, ...]
    class_name: str | None = None
    missing_photos: int = 0


def look_at(source, file_name: str | None = None) -> PhotoLook:
    """Measures a photo's size, sharpness and light.

    Args:
        source: The photo's bytes or path.
        file_name: Its name, for messages.

    Returns:
        Its look.

    Raises:
        UnreadableImageError: If it cannot be read as a photo.
    """
    picture = images.load_image(source, file_name)
    width, height = picture.size
    grey = np.asarray(
        picture.convert("L").resize((_MEASURE_SIDE, _MEASURE_SIDE), Image.BILINEAR),
        dtype=np.float32,
    )
    laplacian = (
        grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    )
    return PhotoLook(
        width=width,
        height=height,
        sharpness=float(laplacian.var()),
        brightness=float(grey.mean()),
        white_share=float((grey >= 250).mean()),
        contrast=float(grey.std()),
    )


def look_at_photos(
    photos,
    on_progress: Callable[[int, int], None] | None = None,
    cache: look_cache.LookCache | None = None,
) -> dict[str, PhotoLook]:
    """Measures every photo that can still be read, each only once with a cache.

    Args:
        photos: `data.datasets.Photo`s (anything with `content_hash`, `file_name` and
            `read_bytes()`).
        on_progress: Called with (photos done, photos in all).
        cache: Where looks measured before are kept by content hash; the photos found there
            are not decoded again, and those measured now are added.

    Returns:
        Each readable photo's look, by content hash.
    """
    cached = cache.get_many(photo.content_hash for photo in photos) if cache else {}
    looks = {content_hash: PhotoLook(**fields) for content_hash, fields in cached.items()}
    measured = {}
    for done, photo in enumerate(photos, start=1):
        if photo.content_hash not in looks:
            try:
                looks[photo.content_hash] = look_at(photo.read_bytes(), photo.file_name)
                measured[photo.content_hash] = dataclasses.asdict(looks[photo.content_hash])
            except (OSError, errors.TlcoreError):
                # A photo that can no longer be read is another page's problem (training
                # says so).
                pass
        if on_progress is not None:
            on_progress(done, len(photos))
    if cache is not None and measured:
        cache.put_many(measured)
    return looks


def photo_problem(look: PhotoLook, image_size: int, settings: HealthSettings) -> str | None:
    """Returns the worst problem of one photo's pixels, or None.

    A plain photo is also blurred, dark or bright; it is named for what it is.
    """
    if look.contrast < settings.plain_contrast and look.sharpness < settings.plain_sharpness:
        return "plain"
    if min(look.width, look.height) < settings.tiny_fraction * image_size:
        return "tiny"
    if look.brightness < settings.dark_brightness:
        return "dark"
    if look.brightness > settings.bright_brightness or look.white_share > settings.bright_share:
        return "over-exposed"
    if look.sharpness < settings.blurred_sharpness:
        return "blurred"
    return None


_PHOTO_WORDS = {
    "plain": (
        "Almost nothing in the picture (one flat colour)",
        "A picture with nothing in it teaches the model nothing about its class; it was "
        "probably added by mistake. Remove it.",
    ),
    "tiny": (
        "Too small",
        "The model sees photos enlarged to {size} x {size} pixels; these have less than half "
        "of that on their short side, so their details are lost. Remove them and add larger "
        "photos.",
    ),
    "dark": (
        "Too dark",
        "The product can hardly be seen. Remove, and take again in better light.",
    ),
    "over-exposed": (
        "Over-exposed",
        "Much of the picture is white, so the product's colours and details are lost. Remove, "
        "and take again with less light.",
    ),
    "blurred": (
        "Blurred",
        "Shaken or out of focus, even at the size the model sees. Remove, and take again.",
    ),
}


def photo_title(kind: str, count: int) -> str:
    """The title of a finding about `count` photos with one problem of their pixels."""
    return f"{_PHOTO_WORDS[kind][0]}: {wording.plural(count, 'photo', 'photos')}"


def photo_findings(
    report: quality.QualityReport,
    looks: dict[str, PhotoLook],
    image_size: int,
    settings: HealthSettings,
) -> list[Finding]:
    """One finding for each kind of problem in the photos' pixels, with all its photos."""
    found: dict[str, list[photo_references.PhotoReference]] = {}
    for photo in report.photos:
        look = looks.get(photo.content_hash)
        problem = photo_problem(look, image_size, settings) if look is not None else None
        if problem is not None:
            found.setdefault(problem, []).append(photo)
    findings = []
    for kind, (_, advice) in _PHOTO_WORDS.items():
        photos = found.get(kind)
        if photos:
            findings.append(
                Finding(
                    kind=kind,
                    title=photo_title(kind, len(photos)),
                    advice=advice.format(size=image_size),
                    fix="remove",
                    photos=tuple(photos),
                )
            )
    return findings


def taken_in_one_sitting(
    photo_count: int, group_count: int, settings: HealthSettings | None = None
) -> bool:
    """Tells whether a class's photos look taken in one sitting: enough photos to judge, in
    at most `settings.sitting_groups` groups of near-copies. Training uses the same rule on
    its own split's groups (`training.scores.one_sitting_classes`)."""
    settings = settings or HealthSettings()
    return photo_count >= settings.sitting_least_photos and group_count <= settings.sitting_groups


def class_findings(report: quality.QualityReport, settings: HealthSettings) -> list[Finding]:
    """Small classes and classes taken in one sitting."""
    labels = np.asarray(report.labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=len(report.class_names))
    used = [int(count) for count in counts if count > 0]
    typical = round(statistics.median(used)) if used else 0
    groups = splitting.near_copy_groups(report.features, labels) if len(labels) else labels
    findings = []
    for class_index, class_name in enumerate(report.class_names):
        rows = np.flatnonzero(labels == class_index)
        photos = tuple(report.photos[row] for row in rows)
        if 0 < len(rows) < settings.small_class_share * typical:
            missing = typical - len(rows)
            findings.append(
                Finding(
                    kind="small class",
                    title=f"{class_name} has {len(rows)} photos; a typical class has {typical}",
                    advice=f"Add about {missing} more photos of {class_name}: the model sees "
                    "few examples of it and leans towards the bigger classes.",
                    fix="add photos",
                    photos=photos,
                    class_name=class_name,
                    missing_photos=missing,
                )
            )
        sittings = len(np.unique(groups[rows]))
        if taken_in_one_sitting(len(rows), sittings, settings):
            findings.append(
                Finding(
                    kind="one sitting",
                    title=f"{class_name}: all {len(rows)} photos look taken in one sitting "
                    f"({wording.plural(sittings, 'group', 'groups')} of near-copies)",
                    advice="Add photos from another day, place or light. The model learns this "
                    "sitting's background and light, and its checks look better than new "
                    "photos will make them.",
                    fix="add photos",
                    photos=photos,
                    class_name=class_name,
                    missing_photos=max(5, len(rows) // 2),
                )
            )
    return findings


def two_class_findings(report: quality.QualityReport) -> list[Finding]:
    """Photos that are the same picture in two classes (near-duplicates across classes)."""
    return [
        Finding(
            kind="two classes",
            title=f"The same photo is in {pair.first.class_name} and {pair.second.class_name} "
            f"({pair.similarity:.0%} alike)",
            advice="A photo cannot teach two classes at once. Keep it in the class it shows.",
            fix="keep one",
            photos=(pair.first, pair.second),
        )
        for pair in report.near_duplicates
        if not pair.same_class
    ]


def check_health(
    report: quality.QualityReport,
    looks: dict[str, PhotoLook],
    image_size: int = 224,
    settings: HealthSettings | None = None,
) -> list[Finding]:
    """Finds everything in a project's photos that will hold its model back.

    Args:
        report: The quality report of the photos (`checks.quality.check_dataset`), for their
            features and near-duplicates.
        looks: Each photo's look, by content hash (`look_at_photos`).
        image_size: The model's image size, for "tiny".
        settings: Where the findings start; the defaults when None.

    Returns:
        The findings: photos that are the same in two classes first, then the photos' pixels,
        then the classes.
    """
    settings = settings or HealthSettings()
    return (
        two_class_findings(report)
        + photo_findings(report, looks, image_size, settings)
        + class_findings(report, settings)
    )


def without_photo(findings: Sequence[Finding], content_hash: str) -> list[Finding]:
    """Returns the findings with one photo left out (it was moved or removed); a photo
    finding left with no photo, or a pair left with one, is dropped."""
    kept = []
    for finding in findings:
        photos = tuple(photo for photo in finding.photos if photo.content_hash != content_hash)
        if finding.fix == "add photos":
            kept.append(dataclasses.replace(finding, photos=photos))
        elif finding.fix == "keep one" and len(photos) < 2:
            continue
        elif photos:
            title = photo_title(finding.kind, len(photos)) if finding.kind in _PHOTO_WORDS else None
            kept.append(dataclasses.replace(finding, photos=photos, title=title or finding.title))
    return kept
