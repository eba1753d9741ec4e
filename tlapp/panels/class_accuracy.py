"""Evaluate's accuracy of each class, with its likely range; among many classes, a table too."""

import streamlit as st

from tlapp import tables
from tlapp.charts import evaluation
from tlcore.evaluation import metrics


def show_class_accuracy(scores: metrics.Evaluation, many_classes: bool) -> None:
    """The chart of each class's share recognised, and among many classes a table of all.

    Args:
        scores: The last training's evaluation.
        many_classes: Whether the classes are too many to show side by side with the matrix.
    """
    st.plotly_chart(
        evaluation.class_accuracy_figure(
            [figures.class_name for figures in scores.per_class],
            [figures.recall for figures in scores.per_class],
            supports=[figures.support for figures in scores.per_class],
        ),
        key="class_accuracy_chart",
        config={"displayModeBar": False},
    )
    st.caption(
        "For each class, the share of its set-aside photos that the model recognised; the grey "
        "line is its likely range, wide when a class has few photos."
    )
    if not many_classes:
        return
    with st.expander(
        f"Every class's figures ({len(scores.per_class)} classes)", key="class_table_expander"
    ):
        st.dataframe(
            tables.class_metric_rows(scores.per_class),
            hide_index=True,
            width="stretch",
            key="class_metrics_table",
            column_config={
                tables.RECOGNISED: st.column_config.ProgressColumn(
                    tables.RECOGNISED, format="percent", min_value=0, max_value=1
                ),
                tables.PRECISE: st.column_config.NumberColumn(
                    tables.PRECISE,
                    format="percent",
                    help="Of the photos the model named this class, the share that were.",
                ),
            },
        )
