"""Export's downloads: the project file, the Keras model, and how to use it in Python."""

import functools
import json

import streamlit as st

from tlapp import engine, state
from tlcore import store
from tlcore.evaluation import testing_photos


def show_downloads(project: store.Project, record: store.TrainingRecord) -> None:
    """The project file's and the Keras model's cards, and the snippet that uses the model.

    Args:
        project: The open, trained project.
        record: Its last training.
    """
    slug = state.file_name_for(project.name)
    accuracy = (record.evaluation or {}).get("accuracy")
    project_card, keras_card = st.columns(2)
    with project_card.container(border=True, height="stretch"):
        st.markdown("**Project file** (.zip)")
        st.caption(
            "The model with its class names, settings, results and test photos. Open it later "
            "with *Open a project file* below, here or on another server, to recognise photos "
            "without training again."
            + (f" It recognised {accuracy:.0%} of its checking photos." if accuracy else "")
        )
        st.download_button(
            "Download the project file",
            # Made on the click, not on every run: it copies the test photos into the file.
            data=functools.partial(testing_photos.project_file_bytes, project),
            file_name=f"{slug}.zip",
            mime="application/zip",
            key="download_project_file",
            icon=":material/download:",
            type="primary",
        )
    with keras_card.container(border=True, height="stretch"):
        st.markdown("**Keras model** (.keras)")
        st.caption(
            "Only the model, for programmers. It takes photos resized to its input size, with "
            "pixel values 0 to 255, and returns one probability per class."
        )
        st.download_button(
            "Download the Keras model",
            data=engine.keras_file_bytes(project.model_path),
            file_name=f"{slug}.keras",
            mime="application/octet-stream",
            key="download_keras_model",
            icon=":material/download:",
        )
    st.markdown("To use the Keras model in Python (after `pip install keras tensorflow pillow`):")
    st.code(
        "import keras, numpy as np\n"
        f'model = keras.saving.load_model("{slug}.keras")\n'
        'photo = keras.utils.load_img("photo.jpg", target_size=model.input_shape[1:3], '
        'interpolation="bilinear")\n'
        f"print({json.dumps(record.class_names, ensure_ascii=False)}"
        "[np.argmax(model.predict(np.array([photo])))])",
        language="python",
        wrap_lines=True,
    )
