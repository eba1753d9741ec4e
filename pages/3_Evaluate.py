"""Evaluate: how often the model is right on photos it never learned from, and where it errs."""

import streamlit as st

from tlapp import charts, media, state
from tlcore import evaluation

MISTAKE_COLUMNS = 4
MISTAKES_SHOWN = 24

space, owner, project = state.start_page("Evaluate")
project = state.require_project(project)

state.page_title("3 · Evaluate")

record = project.training_record()
if record is None or not record.evaluation:
    st.info("Train a model first: this page shows how well it does.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
    st.stop()

scores = evaluation.Evaluation.from_dict(record.evaluation)
set_aside = state.plural(scores.photo_count, "photo", "photos")
st.markdown(
    f"Before learning, the computer put aside **{set_aside}** (some of each class) and never "
    "learned from them. Here is how it does on those photos."
)
if project.changed_since_training:
    st.info(
        "You changed the classes or photos after this training; these results are from the "
        "last training. Train again to update them.",
        icon=":material/update:",
    )

headline, explanation = st.columns([1, 3], vertical_alignment="center")
headline.metric("Recognised correctly", f"{scores.accuracy:.0%}", border=True)
right = round(scores.accuracy * scores.photo_count)
if scores.accuracy >= 0.9:
    verdict = "That is very good."
elif scores.accuracy >= 0.7:
    verdict = "That is a good start. More and more varied photos usually make it better."
else:
    verdict = (
        "It still makes many mistakes. Add more photos of each class, from different angles "
        "and backgrounds, and train again."
    )
explanation.markdown(
    f"It named the right class for **{right} of {scores.photo_count}** photos it had not "
    f"seen before. {verdict}"
)

chart_left, chart_right = st.columns(2, gap="large")
with chart_left:
    st.plotly_chart(
        charts.class_accuracy_figure(
            [metrics.class_name for metrics in scores.per_class],
            [metrics.recall for metrics in scores.per_class],
        ),
        key="class_accuracy_chart",
        config={"displayModeBar": False},
    )
    st.caption("For each class, the share of its set-aside photos that the model recognised.")
with chart_right:
    st.plotly_chart(
        charts.confusion_matrix_figure(scores.class_names, scores.confusion_matrix),
        key="confusion_matrix_chart",
        config={"displayModeBar": False},
    )
    st.caption(
        "Each row is a class; each column what the model said. The diagonal counts the right "
        "answers; every other square is a kind of mistake."
    )

st.subheader("The photos it got wrong")
if not scores.misclassified:
    st.success("None: it recognised every set-aside photo.", icon=":material/celebration:")
else:
    st.caption(
        "The most confident mistakes come first. Photos that are unclear, or that show "
        "something from another class, are worth removing or moving on the Collect page."
    )
    mistakes = scores.misclassified[:MISTAKES_SHOWN]
    for index, mistake in enumerate(mistakes):
        if index % MISTAKE_COLUMNS == 0:
            row = st.columns(MISTAKE_COLUMNS)
        with row[index % MISTAKE_COLUMNS].container(border=True):
            stored = project.find_photo(mistake.content_hash)
            picture = media.thumbnail(str(stored.path), stored.content_hash) if stored else None
            if picture is not None:
                st.image(picture, width="stretch")
            st.markdown(
                f"**Really:** {mistake.true_class}  \n"
                f"**Model said:** {mistake.predicted_class} ({mistake.confidence:.0%} sure)"
            )
            st.caption(mistake.file_name)
    if len(scores.misclassified) > MISTAKES_SHOWN:
        st.caption(f"and {len(scores.misclassified) - MISTAKES_SHOWN} more.")

state.page_link(state.PREDICT_PAGE, label="Next: try it on new photos")
