"""Export: download the trained model, or open a project file saved earlier to use it here.

Besides the project file and the Keras model, the model can be converted to TensorFlow Lite
(float or int8), to a TensorFlow SavedModel and to ONNX. Each conversion is made by a worker
when asked, checked on the project's own photos against the Keras model, and kept in the
workspace for every session of every server (`tlapp.panels.export`). The page itself imports
no TensorFlow.
"""

import functools
import json

import streamlit as st

from tlapp import engine, state
from tlapp.panels import export, project_import
from tlcore.evaluation import testing_photos
from tlcore.nets import backbones

space, owner, project = state.start_page("Export")

state.page_title(
    "5 · Export",
    "Take your model with you: the **project file** opens again in this app, on any server; "
    "the **Keras model** runs in any Python program, without this app.",
)

st.subheader("Download")
record = project.training_record() if project is not None else None
if project is None:
    st.info(
        "Open a project on Home to download its model, or open a project file below.",
        icon=":material/info:",
    )
elif record is None:
    st.info("Train a model first; then it can be downloaded here.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
else:
    slug = state.file_name_for(project.name)
    accuracy = (record.evaluation or {}).get("accuracy")
    project_card, keras_card = st.columns(2)
    with project_card.container(border=True, height="stretch"):
        st.markdown("**Project file** (.zip)")
        st.caption(
            "The model with its class names, settings, results and test photos. Open it later with "
            "*Open a project file* below, here or on another server, to recognise photos "
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

    backbone = backbones.get_backbone(record.settings.get("backbone", backbones.DEFAULT_BACKBONE))
    input_size = backbone.input_size(int(record.settings.get("image_size", 224)))
    st.markdown("#### For phones, browsers and servers")
    st.caption(
        "Each is made when you ask (a minute or so), then checked: it is loaded back and its "
        "answers on your own photos are compared with the Keras model's. Like the Keras model, "
        f"each takes photos resized to {input_size} x {input_size} pixels, values 0 to 255, "
        "and returns one probability per class. That is more than the "
        f"{int(record.settings.get('image_size', 224))} pixels it was trained at on purpose: "
        "like ImageNet's own models, it crops the centre of the photo, so the product fills "
        "the part it looks at."
    )
    export.show_formats(project, slug)

st.divider()
st.subheader("Open a project file")
st.caption(
    "A .zip downloaded from this page earlier, or written by `python -m tlcore train`. "
    "It is checked and loaded safely: nothing inside it can run on this server."
)
project_import.show_import(space, owner)
