"""The live camera on Predict: the webcam stream answered continuously, as it is filmed.

The browser sends the camera's video to the server over WebRTC (streamlit-webrtc, with
aiortc on the server). Each picture goes to the session's `live_frames.LiveViewer`, which
keeps only the newest; the process's one `live_frames.LiveClassifier` thread answers the
viewers in turns with the same Keras model as every other answer. The video comes back with
the newest answer drawn on it, and a fragment redraws the headline, the probability bars and
the figures a few times a second. Nothing leaves the machine: no STUN or TURN server is used
unless `TLCORE_ICE_SERVERS` names some.
"""

import datetime
import io
import json
import os

import av
import numpy as np
import streamlit as st
from PIL import Image, ImageDraw, ImageFont
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from tlapp import media, messages
from tlapp.charts import probabilities
from tlcore.serving import live_frames

#: The environment variable with the ICE servers, a JSON list of RTCIceServer dictionaries.
ICE_SERVERS_VARIABLE = "TLCORE_ICE_SERVERS"
#: A small picture at a modest rate: enough for the model (which sees 96-256 px), and light
#: to decode and send back for several viewers on a 2-core server.
CAMERA_CONSTRAINTS = {
    "video": {
        "width": {"ideal": 320},
        "height": {"ideal": 240},
        "frameRate": {"ideal": 15, "max": 15},
    },
    "audio": False,
}
#: How often the answer beside the video is redrawn, in seconds.
REFRESH_SECONDS = 0.3
#: A camera that sends no picture for this long is said to have stopped.
STALLED_SECONDS = 3.0
PREDICT_CAMERA_KEY = "live_camera"
USE_FRAME_KEY = "live_use_frame"
FRAME_SOURCE_KEY = "live_frame_source"
BUTTON_WORDS = {"start": "Start the camera", "stop": "Stop the camera"}


def ice_servers(environment: dict[str, str] | None = None) -> tuple[list[dict], str | None]:
    """Reads the ICE servers from `TLCORE_ICE_SERVERS`; none by default, so nothing goes out.

    Args:
        environment: The environment variables; `os.environ` when None.

    Returns:
        The servers, and a message for the person when the variable could not be used (then
        no servers, which works on one machine or one network).
    """
    text = (os.environ if environment is None else environment).get(ICE_SERVERS_VARIABLE, "")
    if not text.strip():
        return [], None
    try:
        servers = json.loads(text)
    except json.JSONDecodeError:
        servers = None
    if not isinstance(servers, list) or not all(
        isinstance(server, dict) and server.get("urls") for server in servers
    ):
        return [], (
            f"The setting {ICE_SERVERS_VARIABLE} is not a list of ICE servers such as "
            '`[{"urls": "stun:stun.example.org:3478"}]`, so the camera only works where the '
            "browser can reach this server directly."
        )
    return servers, None


def rtc_configuration() -> dict:
    """The WebRTC configuration for both the browser and the server: explicit ICE servers.

    An explicit list, even an empty one, keeps streamlit-webrtc and aiortc from adding
    Google's public STUN server, which they otherwise use by default.
    """
    return {"iceServers": ice_servers()[0]}


def answer_caption(answer) -> str:
    """A short line for the video: "Banana 93%" or "Not sure (Banana? 34%)"."""
    if answer.error is not None or not answer.top:
        return "Cannot read this picture"
    best_class, probability = answer.top[0]
    if answer.is_sure:
        return f"{best_class} {probability:.0%}"
    return f"Not sure ({best_class}? {probability:.0%})"


def draw_caption(pixels: np.ndarray, caption: str) -> np.ndarray:
    """Returns a copy of a picture with a caption on a dark band along its bottom."""
    picture = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(picture)
    size = max(12, picture.width // 18)
    font = ImageFont.load_default(size=size)
    band = int(size * 1.6)
    draw.rectangle((0, picture.height - band, picture.width, picture.height), fill=(20, 20, 20))
    draw.text((size // 2, picture.height - band + size // 4), caption, fill="white", font=font)
    return np.asarray(picture)


def frame_jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    """Returns a camera picture as JPEG bytes, as a photo from a camera would be stored."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


class CameraFeed:
    """Passes each picture from the camera to a viewer; runs on streamlit-webrtc's thread.

    Args:
        viewer: The session's `live_frames.LiveViewer`.
        draw_answers: Whether the video sent back shows the newest answer.
    """

    def __init__(self, viewer: live_frames.LiveViewer, draw_answers: bool):
        self.viewer = viewer
        self.draw_answers = draw_answers

    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Keeps the picture and returns the video frame to send back."""
        try:
            pixels = frame.to_ndarray(format="rgb24")
        except (ValueError, av.error.FFmpegError) as error:
            self.viewer.note_problem(f"A picture from the camera could not be read ({error}).")
            return frame
        self.viewer.offer(pixels)
        answer = self.viewer.answer
        if not self.draw_answers or answer is None:
            return frame
        drawn = av.VideoFrame.from_ndarray(
            draw_caption(pixels, answer_caption(answer.prediction)), format="rgb24"
        )
        return drawn

    def on_ended(self) -> None:
        """Notes that the camera's video ended."""
        self.viewer.mark_ended()


def session_viewer(key: str, trained) -> live_frames.LiveViewer:
    """Returns the session's viewer of a camera, answered by `trained` (None: only kept)."""
    viewer = st.session_state.get(f"{key}_viewer")
    if viewer is None:
        viewer = live_frames.LiveViewer(trained)
        st.session_state[f"{key}_viewer"] = viewer
    viewer.trained = trained
    if trained is not None:
        live_frames.shared_classifier().watch(viewer)
    return viewer


def start_camera(key: str, viewer: live_frames.LiveViewer, draw_answers: bool):
    """Shows the camera's video box with its Start button.

    Returns:
        streamlit-webrtc's context, or None where no browser session can hold a camera.
    """
    servers_problem = ice_servers()[1]
    if servers_problem:
        st.warning(servers_problem, icon=":material/warning:")
    feed = CameraFeed(viewer, draw_answers)
    try:
        return webrtc_streamer(
            key=key,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc_configuration(),
            media_stream_constraints=CAMERA_CONSTRAINTS,
            video_frame_callback=feed.on_frame,
            on_video_ended=feed.on_ended,
            async_processing=True,
            translations=BUTTON_WORDS,
        )
    except AttributeError:
        # streamlit-webrtc looks up the browser's session in Streamlit's server; a run with no
        # server behind it (Streamlit's own script tests) has none, and the rest of the page
        # must still work there.
        st.info("The live camera works when the app is opened in a browser.")
        return None


def is_playing(context) -> bool:
    """Whether the camera of `start_camera`'s context is on (False when there is none)."""
    return context is not None and bool(context.state.playing)


def camera_message(playing: bool, viewer: live_frames.LiveViewer) -> tuple[str, str] | None:
    """What to tell the person about the camera itself, as (kind, text); None when all is well.

    Args:
        playing: Whether the browser says the camera is on.
        viewer: The camera's viewer.
    """
    if not playing:
        return "info", (
            "Press **Start the camera** and point it at a product: the model answers several "
            "times a second. The browser asks for permission the first time."
        )
    quiet = viewer.seconds_since_last_frame()
    if quiet is None:
        return "info", "Waiting for the first picture from the camera…"
    if viewer.ended or quiet > STALLED_SECONDS:
        return "warning", (
            f"No picture has come from the camera for {quiet:.0f} seconds: it may have been "
            "stopped, unplugged or taken by another program. Press **Stop the camera**, then "
            "**Start the camera** to try again."
        )
    if viewer.problem:
        return "warning", viewer.problem
    return None


def show_headline(answer) -> None:
    """Shows an answer's headline in the same words as a single photo's answer."""
    best_class, best_probability = answer.top[0]
    if answer.is_sure:
        st.subheader(f"This looks like: {best_class}")
        st.markdown(f"The model is **{best_probability:.0%} sure**.")
    else:
        guess, threshold = messages.distinct_percents(best_probability, answer.threshold)
        st.subheader(messages.NOT_SURE_TITLE)
        st.markdown(
            f"Its best guess is **{best_class}**, but only at **{guess}** (sure from {threshold})."
        )


@st.fragment(run_every=REFRESH_SECONDS)
def show_live_answer(viewer: live_frames.LiveViewer) -> None:
    """Redraws the answer a few times a second while the camera is on."""
    context = st.session_state.get(PREDICT_CAMERA_KEY)
    show_answer(viewer, playing=is_playing(context))


def show_answer(viewer: live_frames.LiveViewer, playing: bool) -> None:
    """Shows the newest answer, its bars, the picture judged and the speed figures."""
    message = camera_message(playing, viewer)
    if message is not None:
        getattr(st, message[0])(message[1])
    answer = viewer.answer
    if answer is None or answer.prediction.error is not None:
        return
    text_column, picture_column = st.columns([3, 1], vertical_alignment="bottom")
    with text_column:
        show_headline(answer.prediction)
    # A data address rather than st.image: a picture redrawn several times a second would
    # otherwise be replaced on the server before the browser has fetched it.
    picture_column.markdown(
        f'<img src="{media.data_url(frame_jpeg(answer.frame, quality=80))}" '
        'style="width:100%;border-radius:0.5rem" alt="The picture judged">',
        unsafe_allow_html=True,
    )
    picture_column.caption("The picture judged")
    st.plotly_chart(
        probabilities.probability_figure(
            answer.prediction.class_names, answer.prediction.probabilities
        ),
        key="live_probability_chart",
        config={"displayModeBar": False},
    )
    if playing and message is None:
        figures = viewer.figures()
        st.caption(
            f"**{figures.answers_per_second:.1f} answers a second** · "
            f"{figures.median_latency * 1000:.0f} ms from picture to answer "
            f"(95% within {figures.p95_latency * 1000:.0f} ms)",
        )


def show_live_camera(trained) -> tuple[str, bytes] | None:
    """Shows the live camera section of Predict.

    Args:
        trained: The open project's model (`tlcore.serving.project_models.ProjectModel`, ONNX).

    Returns:
        The picture chosen with **Use this frame**, as `(name, JPEG bytes)`, for the page's
        detailed answer; None when none was chosen.
    """
    st.markdown("#### Live camera")
    viewer = session_viewer(PREDICT_CAMERA_KEY, trained)
    video_column, answer_column = st.columns([2, 3], gap="large")
    with video_column:
        context = start_camera(PREDICT_CAMERA_KEY, viewer, draw_answers=True)
        if st.button(
            "Use this frame",
            key=USE_FRAME_KEY,
            icon=":material/photo_camera:",
            help="Gives the picture judged last the detailed answer below, as a photo would.",
        ):
            if viewer.answer is None:
                st.warning("No picture has been answered yet: start the camera first.")
            else:
                stamp = datetime.datetime.now().strftime("%H:%M:%S")
                st.session_state[FRAME_SOURCE_KEY] = (
                    f"live frame {stamp}",
                    frame_jpeg(viewer.answer.frame),
                )
    with answer_column:
        # Only a camera that is on needs redrawing: a page with it off costs nothing.
        if is_playing(context):
            show_live_answer(viewer)
        else:
            show_answer(viewer, playing=False)
    return st.session_state.get(FRAME_SOURCE_KEY)
