"""Photos added on Collect: uploaded or photographed into a class, or a zip of class folders.

Each upload widget's key carries a round number; once its photos are saved the round goes up,
so the widget starts empty on the next run rather than adding the same photos again. New
photos are embedded in the background from then on (`tlapp.jobs.arrivals`), so Train finds
them ready.
"""

import datetime

import streamlit as st

from tlapp import media, messages, state
from tlapp.jobs import arrivals
from tlcore import errors, store
from tlcore.data import loading

ZIP_WIDGET = "zip_upload"


def next_round(widget: str) -> int:
    """Returns the number that makes an upload widget's key new, so the widget starts empty."""
    return st.session_state.setdefault(f"round_{widget}", 0)


def finish_upload(project: store.Project, widget: str, results: list[tuple[str, str]]) -> None:
    """Keeps the messages, empties the upload widget and shows the page again."""
    # New photos are embedded in the background from now on, so Train finds them ready.
    arrivals.photos_added(project)
    for kind, text in results:
        state.add_message(kind, text)
    st.session_state[f"round_{widget}"] = next_round(widget) + 1
    st.rerun()


def add_files(
    project: store.Project, class_name: str, widget: str, files: list[tuple[str, bytes]]
) -> None:
    """Adds uploaded or photographed files to a class and reports what happened."""
    try:
        result = project.add_photos(class_name, files)
    except errors.TlcoreError as error:
        finish_upload(project, widget, [("error", str(error))])
    finish_upload(project, widget, messages.add_result_messages(result, class_name))


def show_class_uploads(
    project: store.Project, project_class: store.ProjectClass, editable: bool
) -> None:
    """A class card's upload box and camera, side by side.

    Args:
        project: The open project.
        project_class: The class the photos go to.
        editable: Whether this visitor may change the project; the boxes are disabled if not.
    """
    key = project_class.key
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
                project,
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
                    project,
                    project_class.name,
                    camera_widget,
                    [(f"camera-{stamp}.jpg", shot.getvalue())],
                )


def show_zip_upload(project: store.Project, editable: bool) -> None:
    """Collect's "Upload them all as one zip": one folder a class, new folders new classes.

    Args:
        project: The open project.
        editable: Whether this visitor may change the project; the box is disabled if not.
    """
    with st.expander(
        "Photos already sorted into folders? Upload them all as one zip", key="zip_expander"
    ):
        st.caption(
            "Put one folder per class in the zip, named after the class, with its photos inside. "
            "Folders with new names become new classes; the others add to the existing class."
        )
        zip_file = st.file_uploader(
            "Zip file",
            type=["zip"],
            key=f"{ZIP_WIDGET}_{next_round(ZIP_WIDGET)}",
            disabled=not editable,
        )
        if zip_file is not None:
            with st.spinner("Reading the photos in the zip…"):
                try:
                    dataset = loading.load_zip(zip_file.getvalue())
                    zip_result = project.add_dataset(dataset)
                except errors.TlcoreError as error:
                    finish_upload(project, ZIP_WIDGET, [("error", str(error))])
            finish_upload(project, ZIP_WIDGET, messages.add_result_messages(zip_result, None))
