"""Every training kept with its figures, two compared, and an earlier model made current."""

import dataclasses

import pytest

from tlcore import store
from tlcore.evaluation import headline, history

pytestmark = pytest.mark.slow


def a_headline(accuracy: float, low: float, high: float) -> headline.Headline:
    return headline.Headline(accuracy, low, high, "made up for the test", 100)


def test_trainings_are_kept_compared_and_restored(small_training, tmp_path, monkeypatch):
    monkeypatch.setattr(history, "KEPT_TRAININGS", 2)
    project = store.Workspace(tmp_path).create_project("Fruit", "history-test-owner")
    first = dataclasses.replace(
        small_training.trained,
        created_at="2026-01-01T10:00:00+00:00",
        headline=a_headline(0.70, 0.65, 0.75),
    )
    second = dataclasses.replace(
        first,
        created_at="2026-01-02T10:00:00+00:00",
        settings=dataclasses.replace(first.settings, epochs=40),
        headline=a_headline(0.72, 0.67, 0.77),
    )
    third = dataclasses.replace(
        second, created_at="2026-01-03T10:00:00+00:00", headline=a_headline(0.9, 0.85, 0.94)
    )
    for trained in (first, second, third):
        project.save_trained(trained)

    kept = project.trainings()
    # Only the newest two are kept; newest first.
    assert [entry.created_at[:10] for entry in kept] == ["2026-01-03", "2026-01-02"]
    older = project.trainings()[1]
    comparison = history.compare(history.find(project.folder, older.entry_id), kept[0])
    assert comparison.headline.verdict == "better"
    assert all(change.verdict == "within the noise" for change in comparison.classes)

    # A training with other settings says which changed.
    fewer_epochs = {**older.record, "settings": {**older.record["settings"], "epochs": 25}}
    assert history.compare(dataclasses.replace(older, record=fewer_epochs), older).settings == [
        ("epochs", 25, 40)
    ]

    project.restore_training(older.entry_id)
    restored = project.refresh().training_record()
    assert restored.created_at == older.created_at
    assert restored.headline["accuracy"] == 0.72
    assert project.load_trained().class_names == small_training.trained.class_names
    with pytest.raises(store.WorkspaceError):
        project.restore_training("20260101T100000-abcdef")


def test_a_change_within_both_ranges_is_within_the_noise():
    change = history._change("Headline", (0.70, 0.65, 0.75), (0.73, 0.68, 0.78))
    assert change.verdict == "within the noise"
    assert history._change("x", (0.70, 0.65, 0.75), (0.60, 0.55, 0.64)).verdict == "worse"
