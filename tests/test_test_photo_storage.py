"""Test photos kept in a project: stored apart from the training photos, checked like uploads,
carried by the project file, and never given to training."""

import io
import zipfile

import numpy as np
import pytest
from app_fixtures import grocery_photos, tiny_photo
from engine_fixtures import TEST_IMAGE_SIZE

from tlcore import errors, store
from tlcore.data import datasets, images, loading
from tlcore.evaluation import headline, testing_photos
from tlcore.store import locks
from tlcore.training import heads, trainer, types


@pytest.fixture
def project(tmp_path) -> store.Project:
    made = store.Workspace(tmp_path / "workspace").create_project("Shop", "owner-a")
    made.add_class("Banana")
    made.add_class("Carrots")
    return made


def zip_of(layout: dict[str, list[tuple[str, bytes]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, files in layout.items():
            for name, data in files:
                archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()


def test_test_photos_are_stored_apart_and_counted_apart(project):
    project.add_photos("Banana", grocery_photos("Banana", 3))
    result = project.add_photos("Banana", grocery_photos("Banana", 5)[3:], test=True)
    assert result.added == [name for name, _ in grocery_photos("Banana", 5)[3:]]

    assert project.photo_counts() == {"Banana": 3, "Carrots": 0}
    assert project.test_photo_counts() == {"Banana": 2, "Carrots": 0}
    assert project.photo_count() == 3
    training_hashes = {photo.content_hash for photo in project.to_dataset().photos}
    test_set = testing_photos.test_dataset(project)
    assert len(test_set.photos) == 2
    assert not training_hashes & {photo.content_hash for photo in test_set.photos}
    for stored in project.photos("Banana", test=True):
        # Content-addressed, in the class's own test folder.
        assert stored.path.parent.name == testing_photos.SUBFOLDER
        assert images.content_hash(stored.path.read_bytes()) == stored.content_hash
    # A project without test photos gives training none.
    other = project.workspace.create_project("Other", "owner-a")
    other.add_class("Banana")
    assert testing_photos.test_dataset(other) is None


def test_a_photo_is_never_both_a_training_and_a_test_photo(project):
    photo = grocery_photos("Banana", 1)
    project.add_photos("Banana", photo)
    as_test = project.add_photos("Banana", [("again.jpg", photo[0][1])], test=True)
    assert as_test.added == [] and as_test.duplicates[0].duplicate_of_class == "Banana"

    carrot = grocery_photos("Carrots", 1)
    project.add_photos("Carrots", carrot, test=True)
    as_training = project.add_photos("Carrots", [("copy.jpg", carrot[0][1])])
    assert as_training.added == []
    assert (
        as_training.duplicates[0].duplicate_of_class == "Carrots" + testing_photos.TEST_CLASS_SUFFIX
    )
    assert project.photo_counts()["Carrots"] == 0


def test_bad_test_photos_are_named_and_the_rest_kept(project):
    good = grocery_photos("Carrots", 1)
    result = project.add_photos(
        "Carrots", good + [("notes.txt", b"not a photo"), ("empty.jpg", b"")], test=True
    )
    assert result.added == [good[0][0]]
    assert {skipped.file_name for skipped in result.skipped} == {"notes.txt", "empty.jpg"}
    assert all(skipped.reason for skipped in result.skipped)
    with pytest.raises(errors.ClassNameError, match="no class called 'Kiwi'"):
        project.add_photos("Kiwi", good, test=True)


def test_a_zip_of_test_photos_makes_no_class(project):
    layout = {
        "Banana": [("b.jpg", tiny_photo((230, 220, 40)))],
        "Kiwi": [("k.jpg", tiny_photo((90, 140, 40)))],
    }
    result = project.add_dataset(loading.load_zip(zip_of(layout)), test=True)
    assert result.added == ["b.jpg"] and result.created_classes == []
    assert project.class_names == ["Banana", "Carrots"]
    (skipped,) = result.skipped
    assert skipped.file_name == "k.jpg" and "no class called 'Kiwi'" in skipped.reason
    assert project.test_photo_counts() == {"Banana": 1, "Carrots": 0}


def test_test_photos_are_removed_renamed_and_deleted_with_their_class(project):
    project.add_photos("Banana", [("b.jpg", tiny_photo((230, 220, 40)))], test=True)
    (stored,) = project.photos("Banana", test=True)
    project.rename_class("Banana", "Yellow banana")
    assert project.test_photo_counts()["Yellow banana"] == 1
    project.remove_photo("Yellow banana", stored.content_hash, test=True)
    assert project.test_photo_counts()["Yellow banana"] == 0 and not stored.path.exists()

    project.add_photos("Carrots", [("c.jpg", tiny_photo((230, 120, 40)))], test=True)
    (carrot,) = project.photos("Carrots", test=True)
    project.delete_class("Carrots")
    assert not carrot.path.exists() and "Carrots" not in project.test_photo_counts()


def test_test_photos_count_towards_the_photo_limit(tmp_path):
    limits = store.Limits(max_photos_per_project=2)
    made = store.Workspace(tmp_path / "limited", limits).create_project("Small", "owner-a")
    made.add_class("Banana")
    made.add_photos("Banana", [("a.jpg", tiny_photo((10, 20, 30)))])
    result = made.add_photos(
        "Banana",
        [("b.jpg", tiny_photo((40, 50, 60))), ("c.jpg", tiny_photo((70, 80, 90)))],
        test=True,
    )
    assert result.added == ["b.jpg"] and result.left_out[0].file_name == "c.jpg"


def test_a_near_copy_of_a_training_photo_is_found():
    rng = np.random.default_rng(0)
    training_features = rng.random((6, 32)).astype(np.float32)
    test_features = np.vstack(
        [training_features[2] + 0.001, rng.random((1, 32)).astype(np.float32)]
    )

    def photo(name: str) -> datasets.Photo:
        return datasets.Photo(name, "Banana", name, data=b"x")

    training_set = [photo(f"t{index}") for index in range(6)]
    test_set = [photo("copy"), photo("new")]
    (found,) = testing_photos.near_copies_of_training(
        test_set, test_features, training_set, training_features
    )
    assert found.test_photo.file_name == "copy" and found.training_photo.file_name == "t2"
    assert found.similarity > 0.99


@pytest.mark.slow
def test_the_project_file_carries_test_photos_and_import_keeps_them_apart(project, small_training):
    for class_name in small_training.trained.class_names:
        if class_name not in project.class_names:
            project.add_class(class_name)
    project.save_trained(small_training.trained)
    project.add_photos("Banana", grocery_photos("Banana", 2, split="val"), test=True)

    data = testing_photos.project_file_bytes(project)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert testing_photos.ARCHIVE_ENTRY in archive.namelist()
    imported = project.workspace.import_project_file(data, "owner-b", "Imported")
    assert imported.test_photo_counts()["Banana"] == 2
    assert imported.photo_count() == 0 and not imported.changed_since_training
    assert imported.load_trained().class_names == small_training.trained.class_names


@pytest.mark.slow
def test_a_projects_test_photos_never_reach_training(
    tmp_path, small_photo_folder, small_val_folder, monkeypatch
):
    made = store.Workspace(tmp_path / "workspace").create_project("Shop", "owner-a")
    made.add_dataset(loading.load_folder(small_photo_folder))
    made.add_dataset(loading.load_folder(small_val_folder), test=True)
    test_set = testing_photos.test_dataset(made)

    fitted = []
    original_fit = heads.fit_head

    def recording_fit(head, training_data, validation_data, settings, callbacks):
        fitted.append((np.asarray(training_data[0]), np.asarray(validation_data[0])))
        return original_fit(head, training_data, validation_data, settings, callbacks)

    monkeypatch.setattr(heads, "fit_head", recording_fit)
    settings = types.TrainingSettings(epochs=5, image_size=TEST_IMAGE_SIZE)
    trained = trainer.train(made.to_dataset(), settings, test_dataset=test_set)
    assert trained.headline.photo_count == len(test_set.photos)
    assert "test photos you added" in trained.headline.basis

    test_features = trainer.embeddings.embed_photos(
        test_set.photos,
        trainer.model.get_base("mobilenet_v2", TEST_IMAGE_SIZE),
        trainer.embeddings.EmbeddingCache(),
    )
    assert fitted
    for learned, checked in fitted:
        # Neither the rows a head learned from nor those it was checked on are test photos.
        for rows in (learned, checked):
            distances = np.abs(rows[:, None, :] - test_features[None, :, :]).max(axis=2)
            assert distances.min() > 1e-4


def test_a_headline_of_all_right_test_photos_is_read_back():
    measured = headline.test_headline([True] * 27, list(range(27)))
    assert measured.high == 1.0 and measured.accuracy == 1.0
    assert headline.Headline.from_dict(measured.to_dict()) == measured
    # As trainings before this fix saved it.
    saved = {**measured.to_dict(), "high": 0.9999999999999999}
    assert headline.Headline.from_dict(saved).accuracy == 1.0


def test_a_stray_test_photo_file_is_removed_and_listed_ones_kept(project):
    project.add_photos("Banana", [("b.jpg", tiny_photo((230, 220, 40)))], test=True)
    (kept,) = project.photos("Banana", test=True)
    # A photo a killed server wrote but never listed.
    stray = kept.path.parent / ("0" * 64 + ".jpg")
    stray.write_bytes(tiny_photo((1, 2, 3)))
    # Opening the project in a new server process tidies it.
    locks._tidied.clear()
    store.Workspace(project.workspace.root).open_project(project.id)
    assert not stray.exists() and kept.path.exists()
