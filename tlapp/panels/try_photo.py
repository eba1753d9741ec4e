"""Try a photo without a file: the Predict page shows one of the project's set-aside photos.

When a model is trained, a share of each class's photos is kept aside to check it (its
validation photos); the model never learned from them, so they are fair photos to try it on,
and their true class is known. The model's evaluation names each of them by content hash and
class. Each press of the button shows the next one, class after class in turn, and the true
class is shown next to the model's answer.
"""

import dataclasses

import streamlit as st

from tlcore import store
from tlcore.evaluation import metrics

#: The key of the button, part of the app's interface.
BUTTON_KEY = "try_example_photo"

# Per browser session: for each project id, how many photos were tried and the one shown now.
_STATE_KEY = "try_example_photo_state"


@dataclasses.dataclass(frozen=True)
class TriedPhoto:
    """A set-aside photo shown on the Predict page.

    Args:
        photo: The photo as the project stores it.
        true_class: The class it belongs to: the class that holds it now in the project.
    """

    photo: store.StoredPhoto
    true_class: str


def set_aside_in_turn(
    scores: metrics.Evaluation | None, class_names: list[str]
) -> list[metrics.PhotoPrediction]:
    """Orders a model's set-aside photos class after class: one of each class, then again.

    Args:
        scores: The model's evaluation on its set-aside photos; None for a model without one.
        class_names: The model's classes, in the order to take them.

    Returns:
        The set-aside photos, the first of each class, then the second of each class, and so on.
        Empty when the evaluation does not name its photos (models saved before it did).
    """
    if scores is None:
        return []
    by_class: dict[str, list[metrics.PhotoPrediction]] = {name: [] for name in class_names}
    for answer in scores.predictions:
        by_class.setdefault(answer.true_class, []).append(answer)
    longest = max((len(photos) for photos in by_class.values()), default=0)
    return [
        photos[depth]
        for depth in range(longest)
        for photos in by_class.values()
        if depth < len(photos)
    ]


def photos_still_there(
    project: store.Project, in_turn: list[metrics.PhotoPrediction]
) -> list[store.StoredPhoto]:
    """Returns the set-aside photos the project still holds, in the same order.

    Args:
        project: The project the model was trained on.
        in_turn: The set-aside photos, as `set_aside_in_turn` orders them.

    Returns:
        The stored photos; those deleted since the training are left out.
    """
    found = (project.find_photo(answer.content_hash) for answer in in_turn)
    return [photo for photo in found if photo is not None and photo.path.is_file()]


def offer_set_aside_photo(
    project: store.Project, trained, sources: list[tuple[str, bytes]]
) -> TriedPhoto | None:
    """Shows the "Try one of your set-aside photos" button and the photo it chose.

    The photo chosen is added to `sources` as `(name, bytes)`, so the page answers it like an
    uploaded photo. It stays until the button is pressed again or the person adds photos of
    their own, which it then gives way to.

    The press is handled by the button's callback (`_choose_next_photo`), not by the value
    `st.button` returns: Streamlit runs callbacks before the page's script, and the value is
    True for one run only, so a press whose run another rerun cuts short before it reaches
    the button (the live camera's component reports its state a moment after Predict loads)
    showed nothing. A press sent in the same instant as another rerun can still be dropped by
    Streamlit itself (its fast reruns start the newest request alone).

    Args:
        project: The open project.
        trained: Its trained model (`tlcore.serving.project_models.ProjectModel`).
        sources: The page's photos to answer, from the upload and the camera; extended here.

    Returns:
        The photo shown and its true class, or None when none is shown.
    """
    remembered = _remembered(project.id)
    st.button(
        "Try one of your set-aside photos",
        key=BUTTON_KEY,
        icon=":material/casino:",
        disabled=bool(sources),
        help="Clear your own photos above first."
        if sources
        else "A photo kept aside when the model trained: it never learned from it, and you "
        "see whether it gets it right. Each press shows the next class.",
        on_click=_choose_next_photo,
        args=(project, trained),
    )
    if sources:
        remembered["shown"] = None
        remembered["none_left"] = False
        return None
    if remembered["none_left"]:
        st.info(
            "This model has no set-aside photo left to try: it was made from a project "
            "file, or the photos kept aside to check it were deleted since. Add a photo of "
            "your own above.",
            icon=":material/info:",
        )
        return None
    return _add_shown_photo(project, remembered, sources)


def _remembered(project_id: str) -> dict:
    """This browser session's record for a project: photos tried, the one shown, none left."""
    remembered = st.session_state.setdefault(_STATE_KEY, {}).setdefault(project_id, {})
    for name, empty in (("tried", 0), ("shown", None), ("none_left", False)):
        remembered.setdefault(name, empty)
    return remembered


def _choose_next_photo(project: store.Project, trained) -> None:
    """The button's callback: chooses the next set-aside photo, or notes that none is left."""
    remembered = _remembered(project.id)
    available = photos_still_there(
        project, set_aside_in_turn(trained.evaluation, list(trained.class_names))
    )
    remembered["none_left"] = not available
    if not available:
        remembered["shown"] = None
        return
    chosen = available[remembered["tried"] % len(available)]
    remembered["tried"] += 1
    remembered["shown"] = chosen.content_hash


def _add_shown_photo(
    project: store.Project, remembered: dict, sources: list[tuple[str, bytes]]
) -> TriedPhoto | None:
    """Adds the photo being shown to `sources`, unless it was deleted since it was chosen."""
    if remembered["shown"] is None:
        return None
    photo = project.find_photo(remembered["shown"])
    try:
        data = photo.path.read_bytes() if photo is not None else None
    except OSError:
        data = None
    if data is None:
        remembered["shown"] = None
        st.info(
            "The set-aside photo shown before was deleted since. Press the button for another.",
            icon=":material/info:",
        )
        return None
    sources.append((f"{photo.file_name} (set aside)", data))
    return TriedPhoto(photo=photo, true_class=photo.class_name)


def show_true_class(tried: TriedPhoto | None, best_class: str | None) -> None:
    """Shows a set-aside photo's true class next to the model's answer, ticked or crossed.

    Args:
        tried: The photo shown, or None when the answer is for a photo of the person's own.
        best_class: The class the model found most likely; None when it gave no answer.
    """
    if tried is None:
        return
    if best_class == tried.true_class:
        st.success(
            f"It is really: **{tried.true_class}**. The model's answer is right.",
            icon=":material/check_circle:",
        )
    else:
        st.error(
            f"It is really: **{tried.true_class}**. The model's answer is wrong.",
            icon=":material/cancel:",
        )
