"""Evaluate: how often the model is right on photos it never learned from, and where it errs.

A click on a square of the confusion matrix shows the photos behind it, and any photo shown
can reveal what the model looked at (a Grad-CAM heatmap); only then is the model loaded.
"""

import streamlit as st

from tlapp import state
from tlapp.panels import (
    class_accuracy,
    confusion_matrix,
    evaluated_photos,
    evaluation_headline,
    testing_photos,
)
from tlcore.evaluation import metrics

space, owner, project = state.start_page("Evaluate")
project = state.require_project(project)

state.page_title("3 · Evaluate")
testing_photos.show_evaluate_section(project)

record = project.training_record()
if record is None or not record.evaluation:
    st.info("Train a model first: this page shows how well it does.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
    st.stop()

scores = metrics.Evaluation.from_dict(record.evaluation)
evaluation_headline.show_headline(project, record)

many_classes = confusion_matrix.has_many_classes(scores)
if many_classes:
    # A large matrix needs the whole width for squares a person can aim at.
    chart_left, chart_right = st.container(), st.container()
else:
    chart_left, chart_right = st.columns(2, gap="large")
with chart_left:
    class_accuracy.show_class_accuracy(scores, many_classes)
with chart_right:
    confusion_matrix.show_matrix(scores)

confusion_matrix.show_square_photos(project, scores)
evaluated_photos.show_mistakes(project, scores)

state.page_link(state.PREDICT_PAGE, label="Next: try it on new photos")
