"""Collect: the project's classes and their photos, added by upload, zip or camera."""

import datetime

import streamlit as st

from tlapp import media, messages, paging, state
from tlapp.charts import class_counts
from tlapp.jobs import arrivals
from tlapp.panels import live_record, testing_photos
from tlcore import errors, wording
from tlcore.data import loading

MINIMUM_PHOTOS = 2
RECOMMENDED_PHOTOS = 10
THUMBNAILS_SHOWN = 12
THUMBNAIL_COLUMNS = 6
# A project with more classes than this shows their cards a page at a time, with a search box,
# so that a page run makes the thumbnails of a few classes rather than of all of them.
CLASS_CARDS_PER_PAGE = 8
# A class's photos, once all are asked for, also come a page at a time.
PHOTOS_PER_PAGE = 48
CLASS_FILTER_KEY = "collect_class_filter"
CLASS_PAGE_KEY = "collect_class_page"

space, owner, project = state.start_page("Collect photos")
project = state.require_project(project)

state.page_title(
    "1 · Collect photos",
    "Make a **class** for each kind of product the computer should recognise, then add photos "
    "of it: from your computer, from a zip, or with the camera. Photos from different angles, "
    "distances and backgrounds teach it best.",
)
editable = state.changes_allowed(project)


def next_round(widget: str) -> int:
    """Returns the number that makes an upload widget's key new, so the widget starts empty."""
    return st.session_state.setdefault(f"round_{widget}", 0)


def finish_upload(widget: str, results: list[tuple[str, str]]) -> None:
    """Keeps the messages, empties the upload widget and shows the page again."""
    # New photos are embedded in the background from now on, so Train finds them ready.
    arrivals.photos_added(project)
    for kind, text in results:
        state.add_message(kind, text)
    st.session_state[f"round_{widget}"] = next_round(widget) + 1
    st.rerun()


def add_files(class_name: str, widget: str, files: list[tuple[str, bytes]]) -> None:
    """Adds uploaded or photographed files to a class and reports what happened."""
    try:
        result = project.add_photos(class_name, files)
    except errors.TlcoreError as error:
        finish_upload(widget, [("error", str(error))])
    finish_upload(widget, messages.add_result_messages(result, class_name))


def show_class_card(project_class) -> None:
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
            new_name = st.text_input(
                "New name", value=project_class.name, key=f"rename_class_to_{key}"
            )
            if st.button("Rename", key=f"rename_class_{key}", icon=":material/edit:"):
                with state.user_errors():
                    stored = project.rename_class(project_class.name, new_name)
                    state.add_message(
                        "success", f"Renamed **{project_class.name}** to **{stored}**."
                    )
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

        upload_column, camera_column = st.columns([3, 2], gap="medium")
        upload_widget = f"upload_{key}"
        uploaded = upload_column.file_uploader(
            f"Add photos of {project_class.name}",
            type=media.PHOTO_UPLOAD_TYPES,
            accept_multiple_files=True,
            key=f"{upload_widget}_{next_round(upload_widget)}",
            help="Choose many photos at once, or drag them here from a folder.",
            disabled=not editable,
        )
        if uploaded:
            with st.spinner("Checking and saving the photos…"):
                add_files(
                    project_class.name,
                    upload_widget,
                    [(file.name, file.getvalue()) for file in uploaded],
                )
        with camera_column:
            if st.toggle("Use the camera", key=f"camera_on_{key}", disabled=not editable):
                camera_widget = f"camera_{key}"
                shot = st.camera_input(
                    f"Take a photo of {project_class.name}",
                    key=f"{camera_widget}_{next_round(camera_widget)}",
                )
                if shot is not None:
                    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
                    add_files(
                        project_class.name,
                        camera_widget,
                        [(f"camera-{stamp}.jpg", shot.getvalue())],
                    )

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
                show_photo(project_class, photo)


def show_photo(project_class, photo) -> None:
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


with st.form("add_class_form", clear_on_submit=True):
    name_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
    new_class = name_column.text_input(
        "New class", placeholder="For example: Apple", key="new_class_name", disabled=not editable
    )
    add_clicked = button_column.form_submit_button(
        "Add class",
        type="primary",
        icon=":material/add:",
        width="stretch",
        key="add_class",
        disabled=not editable,
    )
if add_clicked:
    with state.user_errors():
        added_name = project.add_class(new_class)
        state.add_message("success", f"Added the class **{added_name}**. Now add its photos.")
        if len(project.class_names) > CLASS_CARDS_PER_PAGE:
            # Among many classes, the search box brings the new class's card into view.
            st.session_state[CLASS_FILTER_KEY] = added_name
            paging.first_page(CLASS_PAGE_KEY)
        st.rerun()

with st.expander(
    "Photos already sorted into folders? Upload them all as one zip", key="zip_expander"
):
    st.caption(
        "Put one folder per class in the zip, named after the class, with its photos inside. "
        "Folders with new names become new classes; the others add to the existing class."
    )
    zip_widget = "zip_upload"
    zip_file = st.file_uploader(
        "Zip file",
        type=["zip"],
        key=f"{zip_widget}_{next_round(zip_widget)}",
        disabled=not editable,
    )
    if zip_file is not None:
        with st.spinner("Reading the photos in the zip…"):
            try:
                dataset = loading.load_zip(zip_file.getvalue())
                zip_result = project.add_dataset(dataset)
            except errors.TlcoreError as error:
                finish_upload(zip_widget, [("error", str(error))])
        finish_upload(zip_widget, messages.add_result_messages(zip_result, None))

arrivals.show_progress(project)

classes = project.classes()
if not classes:
    st.info(
        "Start by adding a class above, one for each product, for example *Apple* and *Milk*.",
        icon=":material/arrow_upward:",
    )
    st.stop()

if editable:
    live_record.show_recorder(project)

counts = project.photo_counts()
chart_column, status_column = st.columns([3, 2], gap="large")
with chart_column:
    st.plotly_chart(
        class_counts.photos_per_class_figure(counts, MINIMUM_PHOTOS, RECOMMENDED_PHOTOS),
        key="photos_per_class_chart",
        config={"displayModeBar": False},
    )
with status_column:
    st.markdown("#### Ready to train?")
    readiness = messages.readiness_messages(counts, MINIMUM_PHOTOS, RECOMMENDED_PHOTOS)
    for kind, text in readiness:
        getattr(st, kind)(text)
    if all(kind in ("success", "info") for kind, _ in readiness):
        state.page_link(state.TRAIN_PAGE, label="Next: train the model")
    testing_photos.show_collect_note(project)

shown_classes = classes
if len(classes) > CLASS_CARDS_PER_PAGE:
    st.markdown(f"#### Your {len(classes)} classes")
    search = st.text_input(
        "Find a class",
        placeholder="Type part of a class name",
        key=CLASS_FILTER_KEY,
        on_change=paging.first_page,
        args=(CLASS_PAGE_KEY,),
        icon=":material/search:",
    )
    shown_classes = [item for item in classes if paging.matches(item.name, search)]
    if not shown_classes:
        st.info(f"No class name contains “{search.strip()}”.", icon=":material/search_off:")
    start, stop = paging.show_page_picker(
        len(shown_classes), CLASS_CARDS_PER_PAGE, CLASS_PAGE_KEY, ("class", "classes")
    )
    shown_classes = shown_classes[start:stop]

for shown_class in shown_classes:
    show_class_card(shown_class)
