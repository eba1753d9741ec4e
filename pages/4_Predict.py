"""Predict: show the trained model new photos, one at a time or many at once."""

import streamlit as st

from tlapp import engine, messages, state
from tlapp.jobs import batch
from tlapp.panels import answer_table, live, one_answer, photo_inputs, try_photo
from tlcore import wording

space, owner, project = state.start_page("Predict")
project = state.require_project(project)

state.page_title(
    "4 · Predict",
    "Show the model photos it has never seen and it tells you what they show. One photo gives "
    "a detailed answer; many photos give a table you can download.",
)
state.changes_allowed(project)

if not project.has_trained_model:
    st.info("Train a model first, then come back to try it.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
    st.stop()

# The project file's ONNX model: no TensorFlow in the web server (a worker makes it ready
# for a file saved before it had one, and the page says so meanwhile).
trained = engine.require_project_model(project)

st.caption(
    f"It knows {wording.plural(len(trained.class_names), 'class', 'classes')}: "
    + messages.names_listed(trained.class_names, bold=False, limit=24)
)
test_time_augmentation = photo_inputs.show_test_time_toggle(trained)
live_frame = live.show_live_camera(trained)
sources = photo_inputs.show_photo_inputs(live_frame)
tried = try_photo.offer_set_aside_photo(project, trained, sources)

if not sources:
    st.info("Add a photo above to see what the model says.", icon=":material/add_photo_alternate:")
    st.stop()

predictions = batch.answers_of(project, trained, sources, test_time_augmentation)
if len(predictions) == 1:
    one_answer.show_answer(project, trained, sources[0], predictions[0], tried)
else:
    answer_table.show_answer_table(project, sources, predictions)
