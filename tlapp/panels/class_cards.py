"""Collect's class cards: each class's name, its menu, its uploads and its photos.

A project with many classes shows their cards a page at a time, with a search box, so that a
page run makes the thumbnails of a few classes rather than of all of them.
"""

import streamlit as st

from tlapp import media, paging, state
from tlapp.panels import photo_uploads
from tlcore import store, wording

THUMBNAILS_SHOWN = 12
THUMBNAIL_COLUMNS = 6
# More classes than this are shown a page at a time, with a search box.
CARDS_PER_PAGE = 8
# A class's photos, once all are asked for, also come a page at a time.
PHOTOS_PER_PAGE = 48
FILTER_KEY = "collect_class_filter"
PAGE_KEY = "collect_class_page"


def bring_into_view(project: store.Project, class_name: str) -> None:
    """Makes a class just added show among many: the search box is set to its name."""
    if len(project.class_names) > CARDS_PER_PAGE:
        st.session_state[FILTER_KEY] = class_name
        paging.first_page(PAGE_KEY)


def show_class_cards(
    project: store.Project, classes: list[store.ProjectClass], editable: bool
) -> None:
    """Shows the classes' cards; among many, a search box and a page of them at a time.

    Args:
        project: The open project.
        classes: Its classes.
        editable: Whether this visitor may change the project.
    """
    shown_classes = classes
    if len(classes) > CARDS_PER_PAGE:
        st.markdown(f"#### Your {len(classes)} classes")
        search = st.text_input(
            "Find a class",
            placeholder="Type part of a class name",
            key=FILTER_KEY,
            on_change=paging.first_page,
            args=(PAGE_KEY,),
            icon=":material/search:",
        )
        shown_classes = [item for item in classes if paging.matches(item.name, search)]
        if not shown_classes:
            st.info(f"No class name contains “{search.strip()}”.", icon=":material/search_off:")
        start, stop = paging.show_page_picker(
            len(shown_classes), CARDS_PER_PAGE, PAGE_KEY, ("class", "classes")
        )
        shown_classes = shown_classes[start:stop]
    for shown_class in shown_classes:
        show_class_card(project, shown_class, editable)


def show_class_card(
    project: store.Project, project_class: store.ProjectClass, editable: bool
) -> None:
    """Shows one class: its name, its menu, its upload and camera boxes and its photos."""
    key = project_class.key
    with st.container(border=True, key=f"class_card_{key}"):
        title_column, menu_column = st.columns([5, 2], vertical_alignment="center")
        title_column.markdown(f"### {project_class.name}")
        title_column.caption(wording.plural(project_class.photo_count, "photo", "photos"))
        with menu_column.popover(
            "Rename or delete",
            icon=":material/more_horiz:",
            key=f"class_menu_{key}",
            disabled=not editable,
        ):
            show_class_menu(project, project_class)

        photo_uploads.show_class_uploads(project, project_class, editable)

        photos = project.photos(project_class.name)
        if not photos:
            st.caption("No photos yet.")
            return
        show_all = len(photos) <= THUMBNAILS_SHOWN or st.toggle(
            f"Show all {len(photos)} photos", key=f"show_all_{key}"
        )
        if show_all:
            shown = paging.show_page(
                photos, PHOTOS_PER_PAGE, f"collect_photo_page_{key}", ("photo", "photos")
            )
        else:
            shown = photos[:THUMBNAILS_SHOWN]
        for index, photo in enumerate(shown):
            # A new row of columns every few photos keeps the rows of thumbnails aligned.
            if index % THUMBNAIL_COLUMNS == 0:
                grid = st.columns(THUMBNAIL_COLUMNS)
            with grid[index % THUMBNAIL_COLUMNS]:
                show_photo(project, project_class, photo, editable)


def show_class_menu(project: store.Project, project_class: store.ProjectClass) -> None:
    """A class's menu: rename it, or delete it with its photos."""
    key = project_class.key
    new_name = st.text_input("New name", value=project_class.name, key=f"rename_class_to_{key}")
    if st.button("Rename", key=f"rename_class_{key}", icon=":material/edit:"):
        with state.user_errors():
            stored = project.rename_class(project_class.name, new_name)
            state.add_message("success", f"Renamed **{project_class.name}** to **{stored}**.")
            st.rerun()
    st.divider()
    sure = st.checkbox(
        f"Also delete its {wording.plural(project_class.photo_count, 'photo', 'photos')}",
        key=f"delete_class_sure_{key}",
    )
    if st.button(
        "Delete the class",
        key=f"delete_class_{key}",
        icon=":material/delete:",
        disabled=not sure,
    ):
        with state.user_errors():
            project.delete_class(project_class.name)
            state.add_message("success", f"Deleted the class **{project_class.name}**.")
            st.rerun()


def show_photo(
    project: store.Project, project_class: store.ProjectClass, photo, editable: bool
) -> None:
    """Shows one photo of a class as a thumbnail with its name and a button that removes it."""
    picture = media.thumbnail(str(photo.path), photo.content_hash)
    caption = photo.file_name if len(photo.file_name) <= 22 else photo.file_name[:20] + "…"
    if picture is not None:
        st.image(picture, caption=caption, width="stretch")
    else:
        st.caption(f"{caption} (cannot be shown)")
    if editable and st.button(
        "Remove",
        key=f"remove_{project_class.key}_{photo.content_hash[:24]}",
        icon=":material/close:",
        type="tertiary",
        help=f"Remove {photo.file_name} from {project_class.name}",
    ):
        with state.user_errors():
            project.remove_photo(project_class.name, photo.content_hash)
            state.add_message(
                "success",
                f"Removed **{photo.file_name}** from **{project_class.name}**.",
            )
            st.rerun()
