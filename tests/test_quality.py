"""Data quality: likely mislabelled photos, near-duplicates and outliers, and fixing them."""

import io
import shutil

import imagefactory
import numpy as np
import pytest
from app_fixtures import tiny_photo
from PIL import Image

from tlcore import errors, store
from tlcore.checks import mislabelled, near_duplicates, outliers, photo_references, quality
from tlcore.data import loading

CLASSES = ["apple", "banana", "cherry"]


def clusters(per_class=30, dimensions=24, seed=0):
    """Three well separated clouds of positive feature vectors, like pooled ReLU features."""
    generator = np.random.default_rng(seed)
    centres = generator.uniform(0, 3, (len(CLASSES), dimensions))
    features, labels = [], []
    for label, centre in enumerate(centres):
        features.append(centre + generator.normal(0, 0.35, (per_class, dimensions)))
        labels.extend([label] * per_class)
    features = np.clip(np.concatenate(features), 0, None).astype(np.float32)
    labels = np.array(labels)
    photos = [
        photo_references.PhotoReference(f"{CLASSES[label]}_{row}.jpg", CLASSES[label], f"hash{row}")
        for row, label in enumerate(labels)
    ]
    return features, labels, photos


def relabel(photos, labels, row, label):
    labels = labels.copy()
    labels[row] = label
    photos = list(photos)
    photos[row] = photo_references.PhotoReference(
        photos[row].file_name, CLASSES[label], f"hash{row}"
    )
    return photos, labels


def test_folds_hold_each_class_evenly_and_are_reproducible():
    labels = np.array([0] * 10 + [1] * 7 + [2] * 3)
    assignment = mislabelled.fold_assignment(labels, folds=5, seed=3)
    assert np.array_equal(assignment, mislabelled.fold_assignment(labels, folds=5, seed=3))
    assert set(assignment) == set(range(5))
    assert np.bincount(assignment[labels == 0], minlength=5).tolist() == [2] * 5
    counts = np.bincount(assignment[labels == 1], minlength=5)
    assert counts.max() - counts.min() <= 1


def test_out_of_fold_predictions_recognise_clear_clusters():
    features, labels, _ = clusters()
    probabilities = mislabelled.out_of_fold_probabilities(features, labels, len(CLASSES))
    assert probabilities.shape == (len(labels), len(CLASSES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == labels).mean() >= 0.95
    # The fit is deterministic: the same photos give the same predictions.
    again = mislabelled.out_of_fold_probabilities(features, labels, len(CLASSES))
    np.testing.assert_array_equal(probabilities, again)


def test_a_photo_labelled_with_the_wrong_class_is_listed_first():
    features, labels, photos = clusters()
    # Photo 5 is an apple by its features, but labelled cherry.
    photos, labels = relabel(photos, labels, 5, 2)
    report = quality.check_features(features, labels, CLASSES, photos)
    assert report.mislabelled, "the relabelled photo was not found"
    first = report.mislabelled[0]
    assert first.photo.content_hash == "hash5" and first.photo.class_name == "cherry"
    assert first.suggested_class == "apple"
    assert first.confidence >= 0.6 and first.label_probability < 0.2
    assert len(report.mislabelled) <= 2


def test_a_class_with_one_photo_is_not_called_mislabelled():
    probabilities = np.array([[0.9, 0.1], [0.95, 0.05], [0.9, 0.1]])
    photos = [photo_references.PhotoReference(f"{row}.jpg", "x", f"h{row}") for row in range(3)]
    found = mislabelled.likely_mislabelled(probabilities, [0, 0, 1], photos, ["a", "b"])
    assert found == []


def test_near_duplicates_across_classes_come_first():
    features, labels, photos = clusters()
    # A barely changed copy of apple photo 3 under "banana", and of banana photo 40 under
    # "banana" again.
    copies = np.stack([features[3] * 1.01, features[40] + 0.01]).astype(np.float32)
    features = np.concatenate([features, copies])
    labels = np.concatenate([labels, [1, 1]])
    photos = photos + [
        photo_references.PhotoReference("copy_of_apple.jpg", "banana", "copy1"),
        photo_references.PhotoReference("copy_of_banana.jpg", "banana", "copy2"),
    ]
    pairs = near_duplicates.near_duplicates(features, photos, threshold=0.99)
    found = {(pair.first.content_hash, pair.second.content_hash) for pair in pairs}
    assert found == {("hash3", "copy1"), ("hash40", "copy2")}
    assert not pairs[0].same_class and pairs[1].same_class
    assert pairs[0].similarity > 0.99


def test_the_same_photo_twice_is_not_a_near_duplicate():
    features, _, photos = clusters(per_class=5)
    features = np.concatenate([features, features[:1]])
    photos = photos + [photos[0]]
    assert near_duplicates.near_duplicates(features, photos, threshold=0.999) == []


def test_a_photo_unlike_its_class_is_an_outlier():
    features, labels, photos = clusters()
    odd = np.full((1, features.shape[1]), 0.0, dtype=np.float32)
    odd[0, :3] = 9.0
    features = np.concatenate([features, odd])
    labels = np.concatenate([labels, [0]])
    photos = photos + [photo_references.PhotoReference("odd.jpg", "apple", "odd")]
    found = outliers.outliers(features, labels, photos)
    assert found[0].photo.content_hash == "odd"
    assert found[0].deviations > 6 and found[0].similarity < found[0].typical_similarity
    assert all(item.deviations < found[0].deviations / 2 for item in found[1:])


def test_small_classes_have_no_outliers():
    features, labels, photos = clusters(per_class=4)
    features[0] = 50.0
    assert outliers.outliers(features, labels, photos) == []


def test_a_report_can_leave_a_fixed_photo_out():
    features, labels, photos = clusters()
    photos, labels = relabel(photos, labels, 5, 2)
    report = quality.check_features(features, labels, CLASSES, photos)
    assert any(item.photo.content_hash == "hash5" for item in report.mislabelled)
    fixed = report.without_photo("hash5")
    assert all(item.photo.content_hash != "hash5" for item in fixed.mislabelled)
    assert len(fixed.photos) == len(report.photos)


def test_the_checks_report_their_progress_fold_by_fold_and_block_by_block():
    # 1,200 photos: 5 folds, 2 blocks of photos compared with all the others, the outliers.
    features, labels, photos = clusters(per_class=400)
    reports = []
    quality.check_features(
        features, labels, CLASSES, photos, on_progress=lambda *report: reports.append(report)
    )
    assert reports[0] == (0, 8) and reports[-1] == (8, 8)
    assert [done for done, _ in reports] == list(range(9))
    # Four photos make at most four folds, not five; the count still ends at the total.
    few = []
    quality.check_features(
        features[[0, 1, 400, 401]],
        labels[[0, 1, 400, 401]],
        CLASSES,
        [photos[row] for row in (0, 1, 400, 401)],
        on_progress=lambda *report: few.append(report),
    )
    done = [done for done, _ in few]
    assert done == sorted(done) and few[-1] == (7, 7)


def test_features_labels_and_photos_must_match():
    features, labels, photos = clusters(per_class=5)
    with pytest.raises(ValueError, match="as many"):
        quality.check_features(features, labels[:-1], CLASSES, photos)


def test_a_photo_moves_to_another_class_and_can_be_removed(tmp_path):
    project = store.Workspace(tmp_path).create_project("Fruit", "owner-token-quality-tests")
    for class_name in ("Apple", "Lime"):
        project.add_class(class_name)
    project.add_photos("Apple", [("red.jpg", tiny_photo((200, 20, 20)))])
    project.add_photos("Lime", [("green.jpg", tiny_photo((20, 200, 20)))])
    photo = project.photos("Apple")[0]
    project.move_photo(photo.content_hash, "Apple", "Lime")
    assert project.photo_counts() == {"Apple": 0, "Lime": 2}
    moved = project.find_photo(photo.content_hash)
    assert moved.class_name == "Lime" and moved.path.is_file() and not photo.path.exists()
    assert store.Workspace(tmp_path).open_project(project.id).photo_counts()["Lime"] == 2
    with pytest.raises(store.WorkspaceError, match="no longer in 'Apple'"):
        project.move_photo(photo.content_hash, "Apple", "Lime")
    with pytest.raises(errors.ClassNameError):
        project.move_photo(photo.content_hash, "Lime", "Cherry")
    project.remove_photo("Lime", photo.content_hash)
    assert project.find_photo(photo.content_hash) is None and not moved.path.exists()


@pytest.mark.slow
def test_real_photos_a_wrong_label_and_a_copy_in_another_class_are_found(
    small_photo_folder, tmp_path, engine_environment
):
    from tlcore.features import embeddings
    from tlcore.nets import model

    folder = shutil.copytree(small_photo_folder, tmp_path / "photos")
    # A banana photo filed under carrots.
    banana = sorted((folder / "Banana").glob("*.jpg"))[0]
    shutil.move(banana, folder / "Carrots" / banana.name)
    # A watermelon photo saved again at another quality and size, filed under oat milk.
    watermelon = sorted((folder / "Watermelon").glob("*.jpg"))[0]
    picture = Image.open(watermelon).convert("RGB")
    picture = picture.resize((picture.width * 3 // 4, picture.height * 3 // 4))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=70)
    (folder / "Oatly-Oat-Milk" / "copy.jpg").write_bytes(buffer.getvalue())
    # A picture of noise among the red peppers.
    (folder / "Red-Bell-Pepper" / "noise.jpg").write_bytes(
        imagefactory.make_noise_bytes("JPEG", size=(224, 224))
    )

    dataset = loading.load_folder(folder)
    shared_base = model.get_base(image_size=96)
    report = quality.check_dataset(dataset, shared_base, embeddings.EmbeddingCache())

    assert report.out_of_fold_accuracy >= 0.7
    mislabelled = {item.photo.file_name: item for item in report.mislabelled}
    assert banana.name in mislabelled
    assert mislabelled[banana.name].suggested_class == "Banana"
    across = [pair for pair in report.near_duplicates if not pair.same_class]
    assert {pair.first.file_name for pair in across} | {
        pair.second.file_name for pair in across
    } >= {"copy.jpg", watermelon.name}
    assert "noise.jpg" in [item.photo.file_name for item in report.outliers]
