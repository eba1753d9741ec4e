"""Tests of tlcore.data.datasets: folders and zips of class folders, with every kind of bad
entry."""

import io
import pathlib
import shutil
import stat
import zipfile

import imagefactory
import pytest

from tlcore import errors
from tlcore.data import builder, datasets, images, loading

GROCERY_CLASSES = ("Banana", "Carrots", "Watermelon")
NOT_A_PHOTO = "the file is not a photo (JPEG, PNG, WebP, BMP or GIF)"


def write_files(root: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    """Writes `files` (relative path: content) under `root` and returns `root`."""
    for relative_path, content in files.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def tiny_photos(count: int, first_shade: int = 0) -> list[bytes]:
    """Returns `count` different tiny PNGs."""
    return [imagefactory.make_png_bytes((first_shade + index, 90, 160)) for index in range(count)]


@pytest.fixture
def grocery_folder(tmp_path, grocery_dir):
    """3 real classes x 3 real photos, plus a broken file, a duplicate and computer clutter."""
    root = tmp_path / "groceries"
    for class_name in GROCERY_CLASSES:
        (root / class_name).mkdir(parents=True)
        for source in sorted((grocery_dir / "train" / class_name).glob("*.jpg"))[:3]:
            shutil.copy(source, root / class_name / source.name)
    (root / "Carrots" / "broken.jpg").write_bytes(b"this is not a photo")
    shutil.copy(root / "Banana" / "Banana_001.jpg", root / "Watermelon" / "copy.jpg")
    write_files(
        root,
        {
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
            "readme.txt": b"my groceries",
            "Banana/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "Banana/Thumbs.db": b"\xd0\xcf\x11\xe0",
            "Banana/._Banana_001.jpg": b"\x00\x05\x16\x07",
            "__MACOSX/Banana/._Banana_001.jpg": b"\x00\x05\x16\x07",
            ".hidden/photo.jpg": imagefactory.make_jpeg_bytes(),
        },
    )
    return root


@pytest.fixture
def tiny_folder(tmp_path):
    """Two classes of two tiny photos each."""
    apples, pears = tiny_photos(2, 0), tiny_photos(2, 100)
    return write_files(
        tmp_path / "tiny",
        {
            "apples/a1.png": apples[0],
            "apples/a2.png": apples[1],
            "pears/p1.png": pears[0],
            "pears/p2.png": pears[1],
        },
    )


# Folders of real photos.


def test_load_folder_reads_real_photos_and_sets_bad_ones_aside(grocery_folder):
    dataset = loading.load_folder(grocery_folder)
    assert dataset.class_names == ["Banana", "Carrots", "Watermelon"]
    assert dataset.counts() == {"Banana": 3, "Carrots": 3, "Watermelon": 3}
    assert dataset.labels == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert dataset.skipped == [
        datasets.SkippedFile("Carrots/broken.jpg", NOT_A_PHOTO),
    ]
    assert dataset.duplicates == [
        datasets.DuplicatePhoto("copy.jpg", "Watermelon", "Banana_001.jpg", "Banana"),
    ]
    assert [photo.file_name for photo in dataset.photos_of("Carrots")] == [
        "Carrots_001.jpg",
        "Carrots_002.jpg",
        "Carrots_003.jpg",
    ]


def test_photos_from_a_folder_keep_their_path_and_hash(grocery_folder):
    photo = loading.load_folder(grocery_folder).photos[0]
    assert photo.data is None
    assert photo.path == (grocery_folder / "Banana" / "Banana_001.jpg").resolve()
    assert photo.read_bytes() == photo.path.read_bytes()
    assert photo.content_hash == images.content_hash(photo.read_bytes())


def test_load_folder_is_deterministic(grocery_folder):
    assert loading.load_folder(grocery_folder) == loading.load_folder(grocery_folder)


def test_real_folder_is_trainable(grocery_folder):
    datasets.check_trainable(loading.load_folder(grocery_folder), minimum_per_class=3)


# Folders of tiny photos.


def test_class_folders_differing_only_in_case_are_refused(tmp_path):
    photos = tiny_photos(2)
    write_files(tmp_path, {"Apples/a.png": photos[0], "apples/b.png": photos[1]})
    with pytest.raises(errors.DatasetError, match="'Apples' and 'apples'"):
        loading.load_folder(tmp_path)


def test_class_folder_with_an_unusable_name_has_its_files_skipped(tmp_path):
    photos = tiny_photos(3)
    long_name = "x" * 100
    write_files(
        tmp_path,
        {
            "apples/a.png": photos[0],
            f"{long_name}/b.png": photos[1],
            f"{long_name}/c.png": photos[2],
        },
    )
    dataset = loading.load_folder(tmp_path)
    assert dataset.class_names == ["apples"]
    assert [skipped.file_name for skipped in dataset.skipped] == [
        f"{long_name}/b.png",
        f"{long_name}/c.png",
    ]
    assert "cannot be used as a class name" in dataset.skipped[0].reason


def test_folder_name_is_cleaned_into_the_class_name(tmp_path):
    write_files(tmp_path, {"  Red   apples /a.png": tiny_photos(1)[0]})
    assert loading.load_folder(tmp_path).class_names == ["Red apples"]


def test_folders_inside_class_folders_are_skipped(tiny_folder):
    write_files(tiny_folder, {"apples/old/a3.png": tiny_photos(1, 50)[0]})
    dataset = loading.load_folder(tiny_folder)
    assert dataset.counts() == {"apples": 2, "pears": 2}
    assert [skipped.file_name for skipped in dataset.skipped] == ["apples/old"]
    assert "inside the class folder 'apples'" in dataset.skipped[0].reason


def test_links_out_of_the_folder_are_not_followed(tmp_path, tiny_folder):
    outside = write_files(
        tmp_path / "outside",
        {"secret.png": tiny_photos(1, 200)[0], "class/s.png": tiny_photos(1, 210)[0]},
    )
    (tiny_folder / "apples" / "link.png").symlink_to(outside / "secret.png")
    (tiny_folder / "linked-class").symlink_to(outside / "class", target_is_directory=True)
    (tiny_folder / "pears" / "inside.png").symlink_to(tiny_folder / "apples" / "a1.png")
    dataset = loading.load_folder(tiny_folder)
    assert dataset.class_names == ["apples", "pears"]
    assert {skipped.file_name for skipped in dataset.skipped} == {"apples/link.png", "linked-class"}
    assert all("outside" in skipped.reason for skipped in dataset.skipped)
    # A link inside the folder is followed, and found to be a copy.
    assert [duplicate.file_name for duplicate in dataset.duplicates] == ["inside.png"]


def test_empty_class_folder_is_a_class_with_no_photos(tiny_folder):
    (tiny_folder / "plums").mkdir()
    dataset = loading.load_folder(tiny_folder)
    assert dataset.counts() == {"apples": 2, "pears": 2, "plums": 0}
    with pytest.raises(errors.DatasetError, match="'plums' \\(0\\)"):
        datasets.check_trainable(dataset)


def test_folder_without_class_folders_is_refused(tmp_path):
    write_files(tmp_path, {"a.png": tiny_photos(1)[0], ".DS_Store": b""})
    with pytest.raises(errors.DatasetError, match="No class folders found"):
        loading.load_folder(tmp_path)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(errors.DatasetError):
        loading.load_folder(tmp_path / "nowhere")


# Zips.


def tiny_zip_entries(prefix: str = "") -> dict[str, bytes]:
    """Returns the entries of a zip with two classes of two tiny photos, under `prefix`."""
    apples, pears = tiny_photos(2, 0), tiny_photos(2, 100)
    return {
        f"{prefix}apples/a1.png": apples[0],
        f"{prefix}apples/a2.png": apples[1],
        f"{prefix}pears/p1.png": pears[0],
        f"{prefix}pears/p2.png": pears[1],
    }


def test_load_zip_reads_photos_into_memory():
    entries = tiny_zip_entries()
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert dataset.class_names == ["apples", "pears"]
    assert dataset.labels == [0, 0, 1, 1]
    first = dataset.photos[0]
    assert (first.file_name, first.class_name, first.path) == ("a1.png", "apples", None)
    assert first.read_bytes() == entries["apples/a1.png"]


def test_zip_of_a_folder_is_unwrapped(tmp_path):
    entries = {"myphotos/": b"", "myphotos/apples/": b"", "myphotos/pears/": b""}
    entries |= tiny_zip_entries("myphotos/")
    entries |= {"myphotos/notes.txt": b"top-level notes", "myphotos/pears/bad.png": b"oops"}
    path = tmp_path / "photos.zip"
    path.write_bytes(imagefactory.make_zip_bytes(entries))
    dataset = loading.load_zip(path)
    assert dataset.counts() == {"apples": 2, "pears": 2}
    assert dataset.skipped == [datasets.SkippedFile("myphotos/pears/bad.png", NOT_A_PHOTO)]


def test_zip_of_one_folder_of_photos_is_one_class():
    entries = {"apples/a1.png": tiny_photos(1)[0], "apples/a2.png": tiny_photos(1, 9)[0]}
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert dataset.counts() == {"apples": 2}
    with pytest.raises(errors.DatasetError, match="at least 2 classes"):
        datasets.check_trainable(dataset)


def test_zip_ignores_computer_clutter_and_skips_sub_folders_once():
    entries = tiny_zip_entries() | {
        "__MACOSX/apples/._a1.png": b"\x00\x05\x16\x07",
        "apples/.DS_Store": b"\x00",
        "pears/Thumbs.db": b"\x00",
        "pears/old/p3.png": tiny_photos(1, 30)[0],
        "pears/old/p4.png": tiny_photos(1, 40)[0],
    }
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert dataset.counts() == {"apples": 2, "pears": 2}
    assert [skipped.file_name for skipped in dataset.skipped] == ["pears/old"]


def test_zip_duplicates_across_classes_are_set_aside():
    entries = tiny_zip_entries()
    entries["pears/again.png"] = entries["apples/a1.png"]
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert dataset.duplicates == [datasets.DuplicatePhoto("again.png", "pears", "a1.png", "apples")]
    assert len(dataset.photos) == 4


def test_nested_zip_is_skipped_with_a_reason():
    inner = imagefactory.make_zip_bytes(tiny_zip_entries())
    entries = tiny_zip_entries() | {"pears/more.zip": inner, "pears/more.bin": inner}
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert [skipped.file_name for skipped in dataset.skipped] == [
        "pears/more.bin",
        "pears/more.zip",
    ]
    assert all("zip inside the zip" in skipped.reason for skipped in dataset.skipped)


@pytest.mark.parametrize(
    "evil_name",
    ["../evil.jpg", "apples/../../evil.jpg", "/evil.jpg", "/tmp/apples/evil.jpg", "C:/evil.jpg"],
)
def test_zip_with_a_name_pointing_outside_is_refused(evil_name):
    entries = tiny_zip_entries() | {evil_name: imagefactory.make_jpeg_bytes()}
    with pytest.raises(errors.DatasetError, match="unsafe entry"):
        loading.load_zip(imagefactory.make_zip_bytes(entries))


def test_zip_with_a_link_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in tiny_zip_entries().items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("apples/link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(errors.DatasetError, match="is a link"):
        loading.load_zip(buffer.getvalue())


def test_zip_unpacking_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(loading, "MAX_ZIP_UNCOMPRESSED_BYTES", 100_000)
    entries = tiny_zip_entries() | {"apples/zeros.png": b"\x00" * 200_000}
    data = imagefactory.make_zip_bytes(entries)
    assert len(data) < 10_000
    with pytest.raises(errors.DatasetError, match="would unpack to"):
        loading.load_zip(data)


def test_zip_declaring_a_huge_entry_is_refused_without_reading_it():
    data = imagefactory.make_zip_bytes(tiny_zip_entries() | {"apples/big.png": b"\x00" * 1000})
    lying = imagefactory.set_declared_size(data, "apples/big.png", 3 * 1024**3)
    with pytest.raises(errors.DatasetError, match="would unpack to 3.0 GB"):
        loading.load_zip(lying)


def test_zip_entry_bigger_than_its_header_says_is_never_read_past_it():
    zeros = b"\x00" * 1_000_000
    data = imagefactory.make_zip_bytes(tiny_zip_entries() | {"apples/bomb.png": zeros})
    lying = imagefactory.set_declared_size(data, "apples/bomb.png", 100)
    dataset = loading.load_zip(lying)
    assert dataset.counts() == {"apples": 2, "pears": 2}
    assert dataset.skipped == [
        datasets.SkippedFile("apples/bomb.png", "the file is damaged inside the zip")
    ]


def test_zip_with_too_many_entries_is_refused(monkeypatch):
    monkeypatch.setattr(loading, "MAX_ZIP_ENTRIES", 3)
    with pytest.raises(errors.DatasetError, match="holds 4 files"):
        loading.load_zip(imagefactory.make_zip_bytes(tiny_zip_entries()))


def test_zip_entry_too_big_for_a_photo_is_skipped(monkeypatch):
    monkeypatch.setattr(builder, "MAX_PHOTO_BYTES", 1000)
    entries = tiny_zip_entries() | {"pears/huge.png": b"\x00" * 5000}
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    assert [skipped.file_name for skipped in dataset.skipped] == ["pears/huge.png"]
    assert "too large" in dataset.skipped[0].reason


def test_zip_without_class_folders_is_refused():
    data = imagefactory.make_zip_bytes({"a.png": tiny_photos(1)[0], "b.png": tiny_photos(1, 5)[0]})
    with pytest.raises(errors.DatasetError, match="No class folders found"):
        loading.load_zip(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a zip at all",
        imagefactory.make_jpeg_bytes(),
        imagefactory.make_zip_bytes(tiny_zip_entries())[:-30],
    ],
    ids=["empty", "text", "photo", "truncated"],
)
def test_bytes_that_are_not_a_zip_are_refused(data):
    with pytest.raises(errors.DatasetError, match="not a zip archive, or it is damaged"):
        loading.load_zip(data)


def test_missing_zip_is_refused(tmp_path):
    with pytest.raises(errors.DatasetError, match="does not exist"):
        loading.load_zip(tmp_path / "nowhere.zip")


# load_dataset.


def test_load_dataset_reads_folders_and_zips(tmp_path, tiny_folder):
    zip_path = tmp_path / "photos.ZIP"
    zip_path.write_bytes(imagefactory.make_zip_bytes(tiny_zip_entries()))
    from_folder = loading.load_dataset(tiny_folder)
    from_zip = loading.load_dataset(zip_path)
    assert from_folder.counts() == from_zip.counts() == {"apples": 2, "pears": 2}
    assert [photo.content_hash for photo in from_folder.photos] == [
        photo.content_hash for photo in from_zip.photos
    ]


def test_load_dataset_refuses_a_missing_path(tmp_path):
    with pytest.raises(errors.DatasetError, match="does not exist"):
        loading.load_dataset(tmp_path / "nowhere")


def test_load_dataset_refuses_other_files(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(imagefactory.make_jpeg_bytes())
    with pytest.raises(errors.DatasetError, match="neither a folder nor a .zip file"):
        loading.load_dataset(path)


# The dataclasses and check_trainable.


def make_photo(class_name: str, index: int) -> datasets.Photo:
    """Returns a photo held in memory; its content need not be a real photo here."""
    data = f"{class_name}-{index}".encode()
    return datasets.Photo(f"{index}.png", class_name, images.content_hash(data), data=data)


def test_dataset_sorts_class_names_case_insensitively():
    photos = [make_photo("banana", 1), make_photo("Apple", 2), make_photo("cherry", 3)]
    dataset = datasets.Dataset(["cherry", "banana", "Apple"], photos)
    assert dataset.class_names == ["Apple", "banana", "cherry"]
    assert dataset.labels == [1, 0, 2]
    assert dataset.counts() == {"Apple": 1, "banana": 1, "cherry": 1}
    assert dataset.photos_of("banana") == [photos[0]]
    assert dataset.skipped == [] and dataset.duplicates == []


def test_dataset_refuses_photos_of_unknown_classes():
    with pytest.raises(errors.DatasetError, match="do not exist"):
        datasets.Dataset(["apples"], [make_photo("pears", 1)])


def test_dataset_refuses_class_names_differing_only_in_case():
    with pytest.raises(errors.DatasetError, match="differ only in capital letters"):
        datasets.Dataset(["apples", "Apples"], [])


def test_photo_needs_a_path_or_data():
    with pytest.raises(errors.DatasetError):
        datasets.Photo("a.png", "apples", "0" * 64)


def test_photo_whose_file_went_away_cannot_be_read(tmp_path):
    photo = datasets.Photo("a.png", "apples", "0" * 64, path=tmp_path / "a.png")
    with pytest.raises(errors.UnreadableImageError, match="'a.png'"):
        photo.read_bytes()


def test_check_trainable_names_the_small_classes():
    photos = [make_photo("apples", 1), make_photo("apples", 2), make_photo("pears", 1)]
    dataset = datasets.Dataset(["apples", "pears", "plums"], photos)
    with pytest.raises(errors.DatasetError) as caught:
        datasets.check_trainable(dataset)
    assert "'pears' (1)" in str(caught.value)
    assert "'plums' (0)" in str(caught.value)
    assert "'apples'" not in str(caught.value)


def test_check_trainable_needs_two_classes():
    dataset = datasets.Dataset(["apples"], [make_photo("apples", 1), make_photo("apples", 2)])
    with pytest.raises(errors.DatasetError, match="at least 2 classes.*'apples'"):
        datasets.check_trainable(dataset)


def test_check_trainable_accepts_enough_photos():
    photos = [make_photo(class_name, index) for class_name in ("a", "b") for index in range(3)]
    dataset = datasets.Dataset(["a", "b"], photos)
    datasets.check_trainable(dataset, minimum_per_class=3)
    with pytest.raises(errors.DatasetError, match="at least 4 photos"):
        datasets.check_trainable(dataset, minimum_per_class=4)
