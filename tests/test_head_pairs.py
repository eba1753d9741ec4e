"""The model's head and the headline's second head fitted side by side (`training.head_pairs`).

First with plain fittings that report epochs (the order of reports, the thread they reach
the caller from, errors and Cancel), then with real trainings on real photos: side by side
gives the very model that one after the other gives, and Cancel stops both heads.
"""

import threading

import numpy as np
import pytest

from tlcore.training import head_pairs, trainer, types


class CancelPressedError(Exception):
    """What a job's progress callback raises when someone pressed Cancel."""


def fitting(name: str, epochs: int, log: list, fail_at: int | None = None):
    """Returns a fitting that reports `epochs` epochs, noting each in `log` as it runs."""

    def fit(report):
        for epoch in range(1, epochs + 1):
            if epoch == fail_at:
                raise ValueError(f"{name} broke")
            log.append((name, epoch))
            report(types.Progress(phase=name, done=epoch, total=epochs, epoch=epoch))
        return name

    return fit


def test_both_results_come_back_and_every_report_reaches_the_calling_thread():
    log, reports, threads = [], [], set()

    def report(progress):
        reports.append((progress.phase, progress.epoch))
        threads.add(threading.get_ident())

    pair = head_pairs.HeadPair(report, report, side_by_side=True)
    results = pair.run(fitting("training", 5, log), fitting("measuring", 4, log))
    assert results == ("training", "measuring")
    assert threads == {threading.get_ident()}
    # The model's epochs first, all of them; then the second head's, in order.
    assert reports == [("training", epoch) for epoch in range(1, 6)] + [
        ("measuring", epoch) for epoch in range(1, 5)
    ]


def test_the_second_head_starts_after_the_first_heads_first_epoch():
    log = []
    pair = head_pairs.HeadPair(lambda _: None, lambda _: None, side_by_side=True)
    pair.run(fitting("training", 3, log), fitting("measuring", 3, log))
    assert log.index(("training", 1)) < log.index(("measuring", 1))


def test_an_error_in_the_second_head_reaches_the_caller():
    pair = head_pairs.HeadPair(lambda _: None, lambda _: None, side_by_side=True)
    with pytest.raises(ValueError, match="measuring broke"):
        pair.run(fitting("training", 3, []), fitting("measuring", 5, [], fail_at=2))


def test_cancel_during_the_first_head_stops_the_second_and_passes_on_nothing_of_it():
    log, second_reports = [], []

    def report(progress):
        if progress.epoch == 3:
            raise CancelPressedError

    pair = head_pairs.HeadPair(report, second_reports.append, side_by_side=True)
    with pytest.raises(CancelPressedError):
        pair.run(fitting("training", 10, log), fitting("measuring", 1000, log))
    # The second head stopped within an epoch of being told; none of it reached the caller.
    assert len([entry for entry in log if entry[0] == "measuring"]) <= 3
    assert second_reports == []
    assert not [thread for thread in threading.enumerate() if "second-head" in thread.name]


def test_one_after_the_other_when_asked():
    log = []
    pair = head_pairs.HeadPair(lambda _: None, lambda _: None, side_by_side=False)
    pair.run(fitting("training", 3, log), fitting("measuring", 2, log))
    assert log == [("training", 1), ("training", 2), ("training", 3)] + [
        ("measuring", 1),
        ("measuring", 2),
    ]


@pytest.mark.slow
def test_side_by_side_trains_the_same_model_as_one_after_the_other(small_training, monkeypatch):
    settings = types.TrainingSettings(epochs=6, image_size=96, seed=3)
    models = {}
    for side_by_side in (True, False):
        monkeypatch.setattr(head_pairs, "SIDE_BY_SIDE", side_by_side)
        reports = []
        trained = trainer.train(small_training.dataset, settings, on_progress=reports.append)
        phases = [report.phase for report in reports]
        assert list(dict.fromkeys(phases)) == [
            "loading",
            "embedding",
            "training",
            "measuring",
            "finished",
        ]
        models[side_by_side] = trained
    together, apart = models[True], models[False]
    np.testing.assert_allclose(together.history["loss"], apart.history["loss"], rtol=1e-5)
    assert together.headline.to_dict() == apart.headline.to_dict()
    for mine, theirs in zip(together.model.get_weights(), apart.model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)


@pytest.mark.slow
def test_cancel_during_a_real_training_stops_both_heads(small_training, monkeypatch):
    monkeypatch.setattr(head_pairs, "SIDE_BY_SIDE", True)
    settings = types.TrainingSettings(epochs=30, image_size=96, seed=4)
    reports = []

    def cancel_at_epoch_five(progress):
        reports.append(progress)
        if progress.phase == "training" and progress.epoch == 5:
            raise CancelPressedError

    with pytest.raises(CancelPressedError):
        trainer.train(small_training.dataset, settings, on_progress=cancel_at_epoch_five)
    assert "measuring" not in {report.phase for report in reports}
    assert not [thread for thread in threading.enumerate() if "second-head" in thread.name]
