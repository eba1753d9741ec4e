"""Train's last training: when, how good, its learning chart, the next steps and the history."""

import streamlit as st

from tlapp import figures, state
from tlapp.charts import common, learning
from tlapp.panels import health, history
from tlcore import store, wording


def show_last_training(project: store.Project) -> None:
    """Shows the project's last training, if it has one, with the links to the next pages.

    Args:
        project: The open project.
    """
    record = project.training_record()
    if record is None:
        return
    st.divider()
    st.subheader("Last training")
    st.markdown(f"Trained {state.time_ago(record.created_at)}. {figures.record_sentence(record)}")
    measured = figures.record_headline(record)
    if measured is not None:
        st.caption(measured.basis)
    if project.changed_since_training:
        st.info(
            "You changed the classes or photos after this training. Train again to include "
            "the changes.",
            icon=":material/update:",
        )
    head_epochs = int(record.settings.get("epochs") or 0)
    history_figure = learning.training_history_figure(record.history)
    if record.settings.get("fine_tune") and len(record.history.get("loss", [])) > head_epochs:
        st.markdown(
            f"After {wording.plural(head_epochs, 'round', 'rounds')} of learning, the pretrained "
            "network was fine-tuned: the rounds right of the dotted line."
        )
        history_figure.add_vline(x=head_epochs + 0.5, line_dash="dot", line_color=common.MUTED)
    st.plotly_chart(
        history_figure,
        key="last_training_chart",
        config={"displayModeBar": False},
    )
    health.show_next_steps(project, record.evaluation)
    history.show_history(project)
    links = st.columns(3)
    with links[0]:
        state.page_link(state.EVALUATE_PAGE, label="Next: see where it is right and wrong")
    with links[1]:
        state.page_link(state.PREDICT_PAGE, label="Try it on new photos")
