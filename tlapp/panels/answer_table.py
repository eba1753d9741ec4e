"""Predict's answers for many photos: a table with previews, a row to correct, and its CSV."""

import streamlit as st

from tlapp import media, messages, tables
from tlapp.panels import teach
from tlcore import store
from tlcore.nets import prediction

# The table's rows are this tall, to show each photo's preview; a dozen show without scrolling.
ROW_HEIGHT = 64
ROWS_SHOWN = 12


def show_answer_table(
    project: store.Project,
    sources: list[tuple[str, bytes]],
    predictions: list[prediction.Prediction],
) -> None:
    """Shows many photos' answers; a row chosen can be corrected or added to a class.

    Args:
        project: The open project.
        sources: The photos, as `(name, bytes)`.
        predictions: The model's answers, in the photos' order.
    """
    unreadable = [answer for answer in predictions if answer.error is not None]
    if unreadable:
        st.warning(
            messages.unreadable_files_line(
                [(answer.file_name, answer.error) for answer in unreadable]
            ),
            icon=":material/warning:",
        )
    st.markdown(messages.predictions_summary(predictions))
    rows = tables.prediction_rows(predictions)
    for row, (_, data) in zip(rows, sources, strict=True):
        row["Preview"] = media.data_url(media.make_thumbnail(data, size=96)) or media.NO_PREVIEW
    # A file that could not be read says so in its row; the warning above gives the reason
    # in full, which a column of the table would cut short.
    for row in rows:
        if row["Problem"]:
            row["Looks like"] = "Not read (see above)"
    columns = ["Preview", "Photo", "Looks like", "Certainty", "Second guess"]
    table = st.dataframe(
        rows,
        key="predictions_table",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        column_order=columns,
        row_height=ROW_HEIGHT,
        # Tall enough for every row up to a dozen; more rows scroll inside the table.
        height=min(38 + ROW_HEIGHT * len(rows), 38 + ROW_HEIGHT * ROWS_SHOWN),
        column_config={
            "Preview": st.column_config.ImageColumn("Preview", width="small"),
            "Certainty": st.column_config.ProgressColumn(
                "Certainty", format="percent", min_value=0.0, max_value=1.0
            ),
        },
    )
    # A row chosen before the photos changed may no longer be there.
    chosen_rows = [row for row in table.selection.rows if row < len(sources)]
    if chosen_rows:
        chosen = chosen_rows[0]
        teach.show_teach_panel(project, *sources[chosen], predictions[chosen])
    else:
        st.caption("Choose a row (click its left edge) to correct its answer or add it to a class.")
    st.download_button(
        "Download the table (CSV)",
        data=tables.predictions_csv(predictions),
        file_name=f"{project.name} predictions.csv",
        mime="text/csv",
        key="download_predictions",
        icon=":material/download:",
    )
