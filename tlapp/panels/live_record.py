"""Recording from the live camera into a class on Collect: "Take 20 photos over 10 seconds".

The pictures come through the same camera box as Predict's live answers
(`panels.live.start_camera`), are taken at even intervals (`live_frames.record_frames`) and are
handed to the page as JPEG files, added the way uploads are (`Project.add_photos`): the same
checks, thumbnails and messages. The messages are shown in place rather than after a rerun of the
page, so the camera keeps running for the next recording (a message at the top of the page would
move the camera box, and the browser would start it afresh). The recorder sits above the chart and
the class cards, so they show the new photos in the same run.
"""

import datetime
import functools

import streamlit as st

from tlapp import messages
from tlapp.jobs import arrivals
from tlapp.panels import live
from tlcore import errors, wording
from tlcore.serving import live_frames

RECORD_CAMERA_KEY = "collect_live_camera"
CLASS_KEY = "live_record_class"
COUNT_KEY = "live_record_count"
SECONDS_KEY = "live_record_seconds"
START_KEY = "live_record_start"
DEFAULT_COUNT = 20
MOST_PHOTOS = 60
DEFAULT_SECONDS = 10
MOST_SECONDS = 60


def show_progress(bar, done: int, total: int) -> None:
    """Moves the progress bar of a recording on by one photo."""
    bar.progress(done / total, text=f"Photo {done} of {total}…")


def recorded_files(pictures: list, stamp: str) -> list[tuple[str, bytes]]:
    """Names the recorded pictures `live-<stamp>-01.jpg`... and encodes them as JPEG files."""
    return [
        (f"live-{stamp}-{index:02d}.jpg", live.frame_jpeg(picture))
        for index, picture in enumerate(pictures, start=1)
    ]


def show_recorder(project) -> None:
    """Shows the live camera recorder of Collect, and adds what it records to a class.

    Args:
        project: The open `store.Project`, with at least one class.
    """
    # A toggle, not an expander: an expander's content runs while closed, and the camera's
    # component, mounted on every visit to Collect, reruns the page as it settles in.
    if st.toggle(
        "Record photos from the live camera",
        key="live_record",
        help="Takes photos from your camera at even intervals into a class.",
    ):
        st.caption(
            "Start the camera, hold the product in front of it and turn it, nearer and further "
            "away: the photos are taken at even intervals while you move it."
        )
        camera_column, controls_column = st.columns([2, 3], gap="large")
        with camera_column:
            viewer = live.session_viewer(RECORD_CAMERA_KEY, None)
            context = live.start_camera(RECORD_CAMERA_KEY, viewer, draw_answers=False)
        playing = live.is_playing(context)
        with controls_column:
            class_name = st.selectbox("Into the class", project.class_names, key=CLASS_KEY)
            count_column, seconds_column = st.columns(2)
            count = int(
                count_column.number_input(
                    "Photos", 1, MOST_PHOTOS, DEFAULT_COUNT, step=1, key=COUNT_KEY
                )
            )
            seconds = int(
                seconds_column.number_input(
                    "Over seconds", 1, MOST_SECONDS, DEFAULT_SECONDS, step=1, key=SECONDS_KEY
                )
            )
            clicked = st.button(
                f"Take {wording.plural(count, 'photo', 'photos')} over "
                f"{wording.plural(seconds, 'second', 'seconds')}",
                key=START_KEY,
                type="primary",
                icon=":material/burst_mode:",
                disabled=not playing or class_name is None,
                help=None if playing else "Start the camera first.",
            )
            if clicked:
                record(project, viewer, class_name, count, seconds)


def record(project, viewer, class_name: str, count: int, seconds: int) -> None:
    """Takes the photos, adds them to the class and says what happened."""
    bar = st.progress(0.0, text="Taking the photos…")
    pictures = live_frames.record_frames(
        viewer, count, seconds, on_progress=functools.partial(show_progress, bar)
    )
    bar.empty()
    if not pictures:
        st.warning(
            "No picture came from the camera, so no photo was taken. Press **Stop the "
            "camera**, then **Start the camera**, and try again.",
            icon=":material/videocam_off:",
        )
        return
    if len(pictures) < count:
        st.warning(
            f"The camera stopped sending pictures after {len(pictures)} of {count} photos; "
            "those are added.",
            icon=":material/videocam_off:",
        )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with st.spinner("Checking and saving the photos…"):
        try:
            result = project.add_photos(class_name, recorded_files(pictures, stamp))
        except errors.TlcoreError as error:
            st.error(str(error), icon=":material/error:")
            return
    # Recorded photos are embedded in the background like uploads, so Train finds them ready.
    arrivals.photos_added(project)
    for kind, text in messages.add_result_messages(result, class_name):
        getattr(st, kind)(text)
