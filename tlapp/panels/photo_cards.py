"""Check data's photo cards: a photo a check found, its note, and the buttons that fix it.

Moving or removing a photo takes one click and leaves that photo out of the lists until the next
check (`tlapp.jobs.data_check.forget_photo`). Someone who may only look gets no buttons.
"""

from collections.abc import Callable, Sequence

import streamlit as st

from tlapp import media, paging, state
from tlapp.jobs import data_check
from tlcore import errors, store

# Each list shows this many photos (or pairs) at a time, with a page picker for the rest.
SHOWN = 12
CARD_COLUMNS = 4


def move_photo(
    project: store.Project, content_hash: str, from_class: str, to_class: str, file_name: str
) -> None:
    """Moves a photo to another class and leaves it out of the lists."""
    try:
        project.move_photo(content_hash, from_class, to_class)
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    data_check.forget_photo(project, content_hash)
    state.add_message("success", f"Moved **{file_name}** from {from_class} to **{to_class}**.")


def remove_photo(
    project: store.Project, content_hash: str, class_name: str, file_name: str
) -> None:
    """Removes a photo from the project and leaves it out of the lists."""
    try:
        project.remove_photo(class_name, content_hash)
    except errors.TlcoreError as error:
        state.add_message("error", str(error))
        return
    data_check.forget_photo(project, content_hash)
    state.add_message("success", f"Removed **{file_name}** from {class_name}.")


def show_card(
    project: store.Project,
    reference,
    key: str,
    note: str,
    editable: bool,
    suggested_class: str | None = None,
) -> None:
    """Shows one photo with its note and the buttons that fix it.

    Args:
        project: The open project.
        reference: The `checks.photo_references.PhotoReference` of the photo.
        key: Makes the widgets' keys unique on the page.
        note: A line of Markdown under the photo.
        editable: Whether this visitor may change the project; no buttons if not.
        suggested_class: The class a one-click button moves it to, if any.
    """
    stored = project.find_photo(reference.content_hash)
    if stored is None:
        st.caption(f"{reference.file_name} is no longer in the project.")
        return
    picture = media.thumbnail(str(stored.path), stored.content_hash)
    if picture is not None:
        st.image(picture, width="stretch")
    if note:
        st.markdown(note)
    st.caption(f"{stored.file_name} · in {stored.class_name}")
    if not editable:
        return
    details = (project, stored.content_hash, stored.class_name)
    if suggested_class and suggested_class != stored.class_name:
        st.button(
            f"Move to {suggested_class}",
            key=f"{key}_move",
            icon=":material/drive_file_move:",
            type="primary",
            width="stretch",
            on_click=move_photo,
            args=(*details, suggested_class, stored.file_name),
        )
    others = [name for name in project.class_names if name != stored.class_name]
    if others:
        with st.popover("Move to another class", width="stretch"):
            target = st.selectbox("Class", others, key=f"{key}_target")
            st.button(
                "Move",
                key=f"{key}_move_other",
                on_click=move_photo,
                args=(*details, target, stored.file_name),
            )
    st.button(
        "Remove",
        key=f"{key}_remove",
        icon=":material/delete:",
        width="stretch",
        on_click=remove_photo,
        args=(*details, stored.file_name),
    )


def percent(share: float) -> str:
    """Writes a share as a percentage between 0% and 99%: no model is ever 100% sure."""
    return f"{min(max(share, 0.0), 0.99):.0%}"


def show_more_note(total: int) -> None:
    """Says that a long list is worth shortening before paging through it all."""
    if total > SHOWN:
        st.caption(
            "Deal with the first photos, then check again: the lists often shrink once the "
            "worst photos are fixed."
        )


def show_card_pages(
    project: store.Project,
    items: Sequence,
    page_key: str,
    describe: Callable[[object], tuple[object, str, str, str | None]],
    editable: bool,
) -> None:
    """Shows a list of photos a check found as cards in rows, a page at a time.

    Args:
        project: The open project.
        items: The findings, each about one photo.
        page_key: The key of the page picker.
        describe: Gives a finding's card: `(reference, key, note, suggested_class)`.
        editable: Whether this visitor may change the project.
    """
    show_more_note(len(items))
    shown = paging.show_page(items, SHOWN, page_key, ("photo", "photos"))
    for index, item in enumerate(shown):
        if index % CARD_COLUMNS == 0:
            row = st.columns(CARD_COLUMNS)
        with row[index % CARD_COLUMNS].container(border=True):
            reference, key, note, suggested_class = describe(item)
            show_card(project, reference, key, note, editable, suggested_class=suggested_class)
