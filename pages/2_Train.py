"""Train: settings with sensible defaults, one button, and the learning shown as it happens."""

import streamlit as st

from tlapp import messages, state
from tlapp.jobs import trainings
from tlapp.panels import last_training, training_job, training_settings
from tlcore import errors, wording
from tlcore.data import datasets

space, owner, project = state.start_page("Train")
project = state.require_project(project)

state.page_title(
    "2 · Train",
    "The computer looks at your photos and learns what makes each class different. It keeps "
    "a few photos of each class aside, never learns from them, and uses them to check itself.",
)
editable = state.changes_allowed(project)

# The local workers (TLCORE_WORKERS) start with the first visit, so the first training does
# not wait for one to load TensorFlow.
trainings.ensure_workers(project)
job = trainings.get_job(project, watched=training_job.watched_jobs())
if job is not None and job.is_running:
    training_job.show_running(project, job)
    st.stop()
training_job.show_ended(project, job)

dataset = project.to_dataset()
try:
    datasets.check_trainable(dataset)
except errors.DatasetError as problem:
    st.warning(str(problem), icon=":material/warning:")
    st.info("Add classes and photos on the Collect page, then come back here.")
    state.page_link(state.COLLECT_PAGE, label="Go to Collect photos")
    st.stop()

counts = dataset.counts()
st.markdown(
    f"Ready: **{wording.plural(len(dataset.photos), 'photo', 'photos')}** in "
    f"**{wording.plural(len(counts), 'class', 'classes')}** "
    f"({messages.class_counts_summary(counts)})."
)

training_job.show_others_training(project)
settings = training_settings.show_settings(dataset)
training_job.show_train_button(project, settings, editable)
last_training.show_last_training(project)
