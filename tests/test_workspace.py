"""The app's on-disk projects: classes, photos and models kept safely as they are added."""

import io
import threading
import zipfile

import pytest
from app_fixtures import GROCERY_TRAIN, tiny_photo

from tlcore import errors, store
from tlcore.data import datasets, examples, images, loading

RED = (200, 30, 30)
GREEN = (30, 160, 40)
BLUE = (30, 60, 200)


@pytest.fixture
def space(tmp_path) -> store.Workspace:
    return store.Workspace(tmp_path / "workspace")


@pytest.fixture
def project(space) -> store.Project:
    made = space.create_project("Fruit", "owner-a")
    made.add_class("Apple")
    made.add_class("Lime")
    return made


def shades(base: tuple[int, int, int], count: int) -> list[tuple[str, bytes]]:
    """Returns `count` different small photos close to one colour."""
    return [
        (f"photo_{index}.jpg", tiny_photo((base[0], base[1], (base[2] + 7 * index) % 256)))
        for index in range(count)
    ]


def test_a_new_project_is_empty_and_saved_under_a_random_id(space):
    made = space.create_project("  My   fruit ", "owner-a")
    assert made.name == "My fruit"
    assert store.is_project_id(made.id)
    assert "fruit" not in made.id
    saved = space.read_metadata(made.id)
    assert saved["owner"] == "owner-a" and saved["classes"] == []
    assert made.class_names == [] and made.photo_count() == 0
    assert not made.has_trained_model and made.training_record() is None


def test_each_owner_lists_only_their_own_projects(space):
    space.create_project("Mine", "owner-a")
    space.create_project("Also mine", "owner-a")
    space.create_project("Theirs", "owner-b")
    assert {listed.name for listed in space.list_projects("owner-a")} == {"Mine", "Also mine"}
    assert [listed.name for listed in space.list_projects("owner-b")] == ["Theirs"]
    assert space.list_projects("nobody") == []


def test_projects_are_listed_most_recently_changed_first(space):
    first = space.create_project("First", "owner-a")
    space.create_project("Second", "owner-a")
    first.add_class("Apple")
    assert [listed.name for listed in space.list_projects("owner-a")] == ["First", "Second"]


def test_a_project_is_found_by_its_exact_name_among_its_owners_projects(space):
    theirs = space.create_project("Shop shelf", "owner-b")
    assert space.find_by_name("Shop shelf", "owner-b").id == theirs.id
    assert space.find_by_name("  shop   SHELF ", "owner-b").id == theirs.id
    assert space.find_by_name("Shop shelf", "owner-a") is None
    assert space.find_by_name("Shop", "owner-b") is None
    assert space.find_by_name("   ", "owner-b") is None


def test_project_names_must_be_free_and_not_empty(space):
    space.create_project("Fruit", "owner-a")
    with pytest.raises(store.WorkspaceError, match="already a project called 'Fruit'"):
        space.create_project("fruit", "owner-a")
    with pytest.raises(store.WorkspaceError):
        space.create_project("   ", "owner-a")
    assert space.unique_name("Fruit", "owner-a") == "Fruit (2)"
    assert space.unique_name("Vegetables", "owner-a") == "Vegetables"


def test_rename_and_delete_a_project(space, project):
    other = space.create_project("Other", "owner-a")
    space.rename_project(project.id, "Fresh fruit")
    assert space.open_project(project.id).name == "Fresh fruit"
    with pytest.raises(store.WorkspaceError, match="already a project"):
        space.rename_project(other.id, "fresh FRUIT")
    space.delete_project(project.id)
    assert not (space.root / project.id).exists()
    assert [listed.name for listed in space.list_projects("owner-a")] == ["Other"]
    with pytest.raises(store.WorkspaceError, match="no longer exists"):
        space.open_project(project.id)


@pytest.mark.parametrize("bad_id", ["", "../etc", "ABCDEF0123456789", "0123", "a" * 65, "..."])
def test_only_real_project_ids_open(space, bad_id):
    with pytest.raises(store.WorkspaceError):
        space.open_project(bad_id)


def test_classes_are_added_renamed_and_deleted(space, project):
    with pytest.raises(errors.ClassNameError, match="already a class"):
        project.add_class("Apple")
    with pytest.raises(errors.ClassNameError):
        project.add_class("apple")
    with pytest.raises(errors.ClassNameError):
        project.add_class("a/b")
    project.add_photos("Apple", shades(RED, 2))
    assert project.rename_class("Apple", "Red apple") == "Red apple"
    assert project.class_names == ["Red apple", "Lime"]
    assert project.photo_counts() == {"Red apple": 2, "Lime": 0}
    folder = project.photos("Red apple")[0].path.parent
    project.delete_class("Red apple")
    assert project.class_names == ["Lime"]
    assert not folder.exists()
    with pytest.raises(errors.ClassNameError):
        project.delete_class("Red apple")


def test_photos_are_stored_by_content_with_their_real_format(project):
    png_named_jpg = tiny_photo(GREEN, "PNG")
    jpeg = tiny_photo(RED)
    result = project.add_photos("Apple", [("red.jpg", jpeg), ("green.jpg", png_named_jpg)])
    assert result.added == ["red.jpg", "green.jpg"]
    assert result.skipped == [] and result.duplicates == []
    stored = {photo.file_name: photo for photo in project.photos("Apple")}
    assert stored["red.jpg"].path.name == f"{images.content_hash(jpeg)}.jpg"
    assert stored["green.jpg"].path.name == f"{images.content_hash(png_named_jpg)}.png"
    assert stored["red.jpg"].path.read_bytes() == jpeg
    assert stored["red.jpg"].path.parent.parent == project.folder / store.PHOTOS_FOLDER


def test_unreadable_files_are_named_and_skipped_and_the_rest_kept(project):
    good = shades(RED, 3)
    bad = [("notes.jpg", b"just some text"), ("empty.png", b""), ("cut.jpg", tiny_photo(RED)[:60])]
    result = project.add_photos("Apple", good[:2] + bad + good[2:])
    assert result.added == ["photo_0.jpg", "photo_1.jpg", "photo_2.jpg"]
    assert [skipped.file_name for skipped in result.skipped] == [
        "notes.jpg",
        "empty.png",
        "cut.jpg",
    ]
    assert all(skipped.reason for skipped in result.skipped)
    assert project.photo_counts()["Apple"] == 3


def test_duplicates_are_flagged_within_a_class_and_across_classes(project):
    photo = tiny_photo(RED)
    project.add_photos("Apple", [("a.jpg", photo)])
    again = project.add_photos("Apple", [("a copy.jpg", photo), ("b.jpg", tiny_photo(BLUE))])
    assert again.added == ["b.jpg"]
    assert again.duplicates == [
        datasets.DuplicatePhoto("a copy.jpg", "Apple", "a.jpg", "Apple"),
    ]
    elsewhere = project.add_photos("Lime", [("lime.jpg", photo)])
    assert elsewhere.added == []
    assert elsewhere.duplicates[0].duplicate_of_class == "Apple"
    twice_in_batch = project.add_photos("Lime", [("g.jpg", tiny_photo(GREEN))] * 2)
    assert twice_in_batch.added == ["g.jpg"] and len(twice_in_batch.duplicates) == 1
    assert project.photo_counts() == {"Apple": 2, "Lime": 1}


def test_a_single_photo_is_removed(project):
    project.add_photos("Apple", shades(RED, 3))
    victim = project.photos("Apple")[1]
    project.remove_photo("Apple", victim.content_hash)
    assert [photo.file_name for photo in project.photos("Apple")] == ["photo_0.jpg", "photo_2.jpg"]
    assert not victim.path.exists()
    assert project.find_photo(victim.content_hash) is None


def test_the_dataset_points_at_the_stored_photos(project):
    project.add_photos("Apple", shades(RED, 3))
    project.add_photos("Lime", shades(GREEN, 2))
    dataset = project.to_dataset()
    assert dataset.class_names == ["Apple", "Lime"]
    assert dataset.counts() == {"Apple": 3, "Lime": 2}
    for photo in dataset.photos:
        assert images.content_hash(photo.path.read_bytes()) == photo.content_hash
    datasets.check_trainable(dataset)


def test_everything_comes_back_after_a_restart(space, project):
    project.add_photos("Apple", shades(RED, 2))
    reopened = store.Workspace(space.root).open_project(project.id)
    assert reopened.name == "Fruit" and reopened.owner == "owner-a"
    assert reopened.photo_counts() == {"Apple": 2, "Lime": 0}
    assert [photo.file_name for photo in reopened.photos("Apple")] == ["photo_0.jpg", "photo_1.jpg"]


def test_two_tabs_adding_at_once_lose_nothing(space, project):
    # Two objects for the same project, as two browser tabs would have.
    tabs = [space.open_project(project.id), space.open_project(project.id)]
    batches = [shades(RED, 12), shades(BLUE, 12)]

    def add(tab, batch):
        for file_name, data in batch:
            tab.add_photos("Apple", [(file_name, data)])

    threads = [
        threading.Thread(target=add, args=(tab, batch))
        for tab, batch in zip(tabs, batches, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert project.refresh().photo_counts()["Apple"] == 24
    assert not list(project.folder.rglob("*.tmp"))


def test_a_zip_with_a_folder_per_class_adds_classes_and_photos(project):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in shades(RED, 2):
            archive.writestr(f"photos/apple/{name}", data)
        for name, data in shades(BLUE, 3):
            archive.writestr(f"photos/Plum/{name}", data)
        archive.writestr("photos/Plum/readme.jpg", b"not a photo")
    result = project.add_dataset(loading.load_zip(buffer.getvalue()))
    # "apple" joins the existing class "Apple"; "Plum" is new.
    assert result.created_classes == ["Plum"]
    assert len(result.added) == 5
    assert [skipped.file_name for skipped in result.skipped] == ["photos/Plum/readme.jpg"]
    assert project.photo_counts() == {"Apple": 2, "Lime": 0, "Plum": 3}


def test_a_file_that_is_not_a_project_is_refused_and_nothing_is_made(space):
    with pytest.raises(errors.ProjectFileError):
        space.import_project_file(b"not a zip at all", "owner-a", "Broken")
    assert space.list_projects("owner-a") == []


def test_the_example_photos_are_real_photos_of_their_classes_with_their_licence():
    photos = examples.example_photos()
    assert list(photos) == list(examples.EXAMPLE_CLASS_NAMES)
    # Class names exactly as the dataset's folders.
    if GROCERY_TRAIN.is_dir():
        assert set(photos) <= {folder.name for folder in GROCERY_TRAIN.iterdir()}
    hashes = set()
    total_bytes = 0
    for files in photos.values():
        assert 20 <= len(files) <= 30
        for _, data in files:
            assert min(images.load_image(data).size) >= 224
            hashes.add(images.content_hash(data))
            total_bytes += len(data)
    assert len(hashes) == sum(len(files) for files in photos.values())
    assert total_bytes < 5_000_000
    licence = (examples.PHOTOS_FOLDER / "LICENSE").read_text()
    assert "MIT License" in licence and "Klasson" in licence
    assert "Grocery Store Dataset" in (examples.PHOTOS_FOLDER / "README.md").read_text()


def test_the_example_project_is_ready_to_train(space):
    made = space.create_example_project("owner-a")
    assert made.name == examples.EXAMPLE_PROJECT_NAME
    assert made.photo_counts() == {
        name: len(files) for name, files in examples.example_photos().items()
    }
    datasets.check_trainable(made.to_dataset())
    assert space.create_example_project("owner-a").name == f"{examples.EXAMPLE_PROJECT_NAME} (2)"


@pytest.mark.slow
def test_a_trained_model_is_saved_and_loaded_back(space, small_training):
    made = space.create_project("Trained", "owner-a")
    for class_name in small_training.trained.class_names:
        made.add_class(class_name)
    made.save_trained(small_training.trained)
    assert made.has_trained_model and not made.changed_since_training
    record = made.training_record()
    assert record.class_names == small_training.trained.class_names
    assert record.evaluation["accuracy"] == small_training.trained.evaluation.accuracy
    assert len(record.history["val_accuracy"]) == small_training.settings.epochs
    loaded = made.load_trained()
    assert loaded.class_names == small_training.trained.class_names
    made.add_class("New")
    assert made.changed_since_training
    imported = space.import_project_file(made.model_path.read_bytes(), "owner-a", "Trained")
    assert imported.name == "Trained (2)"
    assert imported.class_names == small_training.trained.class_names
    assert imported.has_trained_model


@pytest.mark.slow
def test_a_project_deleted_while_training_does_not_come_back(space, small_training):
    doomed = space.create_project("Doomed", "owner-a")
    space.delete_project(doomed.id)
    with pytest.raises(store.WorkspaceError, match="deleted while it was training"):
        doomed.save_trained(small_training.trained)
    assert not doomed.folder.exists()
