"""Export: download the trained model, or open a project file saved earlier to use it here.

Besides the project file and the Keras model, the model can be converted to TensorFlow Lite
(float or int8), to a TensorFlow SavedModel and to ONNX. Each conversion is made by a worker
when asked, checked on the project's own photos against the Keras model, and kept in the
workspace for every session of every server (`tlapp.panels.export`). The page itself imports
no TensorFlow.
"""

import streamlit as st

from tlapp import state
from tlapp.panels import downloads, export, project_import

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
    downloads.show_downloads(project, record)
    export.show_formats(project, record)

st.divider()
st.subheader("Open a project file")
project_import.show_import(space, owner)
