"""Test photos in the app: added and removed on Evaluate, counted on Collect, checked on Check
data. They are kept apart from the training photos (`tlcore.evaluation.testing_photos`); training
measures the headline on them.

Widget keys: `test_photos_class` (the class chosen), `test_photos_upload_<class key>` (one
uploader a class), `test_photos_zip`, `test_photos_remove_<content hash>`,
`test_photos_near_copy_remove_<content hash>`. Uploads are handled in their `on_change`
callback, so the keys stay the same from run to run and a file stays added once.
"""

import streamlit as st

from tlapp import figures, media, messages, state
from tlcore import errors, store, wording
from tlcore.data import loading
from tlcore.evaluation import headline, testing_photos

EXPANDER_KEY = "test_photos_expander"
CLASS_KEY = "test_photos_class"
ZIP_KEY = "test_photos_zip"
# A class's test photos shown at once on Evaluate, with a note for the rest.
THUMBNAILS_SHOWN = 12
THUMBNAIL_COLUMNS = 6
# Near-copies of training photos shown on Check data.
NEAR_COPIES_SHOWN = 8


def upload_key(project_class: store.ProjectClass) -> str:
    """The key of a class's test-photo uploader."""
    return f"test_photos_upload_{project_class.key}"


def result_messages(result: store.AddResult, class_name: str | None) -> list[tuple[str, str]]:
    """Describes a batch of test photos added; photos that are training photos are told
    apart, since a test photo must be one the model never learned from.

    Args:
        result: What `Project.add_photos(..., test=True)` or `add_dataset` returned.
        class_name: The class they went to; None for a zip.

    Returns:
        The messages, the good news first.
    """
    # The uploader keeps its files after a change, so a file added earlier comes back as a
    # test photo already there: said only when nothing else happened.
    already = [
        item
        for item in result.duplicates
        if item.duplicate_of_class.endswith(testing_photos.TEST_CLASS_SUFFIX)
    ]
    training = [item for item in result.duplicates if item not in already]
    where = f" to **{class_name}**" if class_name else ""
    added = (
        "success",
        f"Added {wording.plural(len(result.added), 'test photo', 'test photos')}{where}. Train "
        "again to measure the model on them.",
    )
    # Collect's messages for the files left out, with the news of what was added in words
    # for test photos.
    problems = store.AddResult(added=result.added, skipped=result.skipped, left_out=result.left_out)
    found = [
        added if kind == "success" and text.startswith("Added ") else (kind, text)
        for kind, text in messages.add_result_messages(problems, class_name)
        if text != "No photos were added."
    ]
    if training:
        names = messages.names_listed([item.file_name for item in training])
        are = "is already a training photo" if len(training) == 1 else "are already training photos"
        found.append(
            (
                "warning",
                f"{wording.plural(len(training), 'photo', 'photos')} {are}, so not kept as test "
                f"photos: {names}. A test photo must be one the model never learns from.",
            )
        )
    if not found:
        found.append(("info", "These photos are already test photos of this project."))
    return found


def add_uploaded(project: store.Project, class_name: str, key: str) -> None:
    """Keeps the files of a class's uploader as test photos (its `on_change` callback)."""
    files = st.session_state.get(key) or []
    if not files:
        return
    try:
        result = project.add_photos(
            class_name, [(item.name, item.getvalue()) for item in files], test=True
        )
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    for kind, text in result_messages(result, class_name):
        state.add_message(kind, text)


def add_zip(project: store.Project) -> None:
    """Keeps the photos of a zip, one folder a class, as test photos (its `on_change`)."""
    upload = st.session_state.get(ZIP_KEY)
    if upload is None:
        return
    try:
        dataset = loading.load_zip(upload.getvalue())
        result = project.add_dataset(dataset, test=True)
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    for kind, text in result_messages(result, None):
        state.add_message(kind, text)


def remove(project: store.Project, class_name: str, content_hash: str, name: str) -> None:
    """Removes one test photo (a button's `on_click`)."""
    with state.user_errors():
        project.remove_photo(class_name, content_hash, test=True)
        state.add_message("success", f"Removed the test photo **{name}** from {class_name}.")


def count_words(total: int) -> str:
    """ "12 test photos kept apart"."""
    return f"{wording.plural(total, 'test photo', 'test photos')} kept apart"


def show_evaluate_section(project: store.Project) -> None:
    """Evaluate's place for test photos: add them per class or as a zip, see and remove them.

    Args:
        project: The open project.
    """
    counts = project.test_photo_counts()
    total = sum(counts.values())
    label = f"Test photos: {count_words(total)}" if total else "Test photos: add some"
    with st.expander(label, icon=":material/fact_check:", key=EXPANDER_KEY):
        st.markdown(
            "Photos of your products that training **never sees**, to test the model the way "
            "it will be used: best taken on another day, in another place or light. When the "
            "project has any, training measures the figure it leads with on them."
        )
        measured = figures.record_headline(project.training_record())
        if total and (measured is None or measured.method != headline.BASIS_TEST):
            st.info(
                "Train again to measure the model on these test photos.", icon=":material/update:"
            )
        classes = project.classes()
        if not classes:
            st.caption("Make classes on the Collect page first.")
            return
        by_name = {item.name: item for item in classes}
        if st.session_state.get(CLASS_KEY) not in by_name:
            st.session_state.pop(CLASS_KEY, None)
        chosen = st.selectbox("Class", list(by_name), key=CLASS_KEY)
        # A view-only visitor sees the test photos but cannot add or remove any
        # (`tlcore.store.access`).
        editable = state.changes_allowed(project, notice=False)
        add_column, zip_column = st.columns(2)
        with add_column:
            key = upload_key(by_name[chosen])
            st.file_uploader(
                f"Test photos of {chosen}",
                type=media.PHOTO_UPLOAD_TYPES,
                accept_multiple_files=True,
                key=key,
                on_change=add_uploaded,
                args=(project, chosen, key),
                disabled=not editable,
            )
        with zip_column:
            st.file_uploader(
                "Or a zip, one folder a class",
                type=["zip"],
                key=ZIP_KEY,
                on_change=add_zip,
                args=(project,),
                help="Folders named like your classes; photos of other folders are left out.",
                disabled=not editable,
            )
        show_thumbnails(project, chosen, editable)


def show_thumbnails(project: store.Project, class_name: str, editable: bool = True) -> None:
    """A class's test photos, each with a remove button (disabled when not `editable`)."""
    stored = project.photos(class_name, test=True)
    if not stored:
        st.caption(f"{class_name} has no test photos yet.")
        return
    st.caption(f"{class_name}: {count_words(len(stored))}.")
    shown = stored[-THUMBNAILS_SHOWN:]
    columns = st.columns(THUMBNAIL_COLUMNS)
    for index, photo in enumerate(shown):
        with columns[index % THUMBNAIL_COLUMNS]:
            picture = media.thumbnail(str(photo.path), photo.content_hash)
            if picture is not None:
                st.image(picture, width="stretch")
            st.button(
                "Remove",
                key=f"test_photos_remove_{photo.content_hash}",
                icon=":material/delete:",
                width="stretch",
                on_click=remove,
                args=(project, class_name, photo.content_hash, photo.file_name),
                help=photo.file_name,
                disabled=not editable,
            )
    if len(stored) > len(shown):
        st.caption(f"The newest {len(shown)} of its {len(stored)} test photos.")


def show_collect_note(project: store.Project) -> None:
    """Collect's line on test photos: counted apart from the photos training learns from."""
    total = sum(project.test_photo_counts().values())
    if total:
        st.caption(
            f"Besides these, {count_words(total)} on the Evaluate page: training never sees "
            "them, they only test the model."
        )


def show_check_section(project: store.Project, near_copies: list | None) -> None:
    """Check data's section on test photos: kept out of the checks above, and any that are
    near-copies of training photos, each with a button to remove it.

    Args:
        project: The open project.
        near_copies: What the last data check found (`data_checks.DataCheck`); None before one.
    """
    total = sum(project.test_photo_counts().values())
    if not total:
        return
    with st.container(border=True, key="test_photos_check"):
        st.markdown(
            f"**Test photos**: {count_words(total)}, left out of the checks below, since "
            "training never sees them."
        )
        still_there = {photo.content_hash for photo in project.to_dataset(test=True).photos}
        shown = [near for near in near_copies or [] if near.test_photo.content_hash in still_there]
        if not shown:
            if near_copies is not None:
                st.caption("None of them is nearly the same as a training photo.")
            return
        st.warning(
            f"{wording.plural(len(shown), 'test photo is', 'test photos are')} nearly the same "
            "as a training photo, so the test is too easy for them: the model has as good as "
            "seen them. Remove them, or add test photos taken on another day.",
            icon=":material/warning:",
        )
        for near in shown[:NEAR_COPIES_SHOWN]:
            show_near_copy(project, near)
        if len(shown) > NEAR_COPIES_SHOWN:
            st.caption(f"The {NEAR_COPIES_SHOWN} most alike of {len(shown)}.")


def show_near_copy(project: store.Project, near) -> None:
    """One test photo beside the training photo it nearly copies."""
    test_column, training_column, action_column = st.columns([2, 2, 3])
    for column, photo, words in (
        (test_column, near.test_photo, "Test photo"),
        (training_column, near.training_photo, "Training photo"),
    ):
        path = getattr(photo, "path", None) or _training_path(project, photo.content_hash)
        picture = media.thumbnail(str(path), photo.content_hash) if path else None
        if picture is not None:
            column.image(picture, width="stretch")
        column.caption(f"{words}: {photo.file_name} ({photo.class_name})")
    action_column.markdown(f"{near.similarity:.0%} alike")
    action_column.button(
        "Remove the test photo",
        key=f"test_photos_near_copy_remove_{near.test_photo.content_hash}",
        icon=":material/delete:",
        on_click=remove,
        args=(
            project,
            near.test_photo.class_name,
            near.test_photo.content_hash,
            near.test_photo.file_name,
        ),
        disabled=not state.changes_allowed(project, notice=False),
    )


def _training_path(project: store.Project, content_hash: str):
    stored = project.find_photo(content_hash)
    return stored.path if stored is not None else None
