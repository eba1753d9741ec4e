"""Check data's summary of the last check: what changed since, and its figures in a row."""

import streamlit as st

from tlcore import wording


def show_summary(kept: dict) -> None:
    """The photos moved or removed since the check, and the check's five figures.

    Args:
        kept: The last check as the page reads it (`tlapp.jobs.data_check.kept_check`).
    """
    report = kept["report"]
    if kept["changed"]:
        st.caption(
            f"You moved or removed {wording.plural(kept['changed'], 'photo', 'photos')} since "
            "the check; they are left out of the lists. Check again to look at everything "
            "afresh, and train again so the model learns from the corrected photos."
        )

    photos_metric, recognised_metric, mislabelled_metric, duplicates_metric, outliers_metric = (
        st.columns(5)
    )
    photos_metric.metric("Photos checked", f"{len(report.photos):,}", border=True)
    recognised_metric.metric(
        "Recognised",
        f"{report.out_of_fold_accuracy:.0%}",
        border=True,
        help=f"Each photo is recognised by a model trained on the others "
        f"({report.settings.folds} rounds), so every photo gets an honest second opinion.",
    )
    mislabelled_metric.metric(
        "Wrong class?",
        len(report.mislabelled),
        border=True,
        help="Photos that may be in the wrong class: see the tab of that name.",
    )
    duplicates_metric.metric(
        "Near-copies",
        len(report.near_duplicates),
        border=True,
        help='Pairs of photos that are nearly the same: see the tab "Nearly the same".',
    )
    outliers_metric.metric("Unlike their class", len(report.outliers), border=True)
