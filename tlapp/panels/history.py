"""The Train page's history of trainings: every training listed, two compared side by side,
and an earlier model made the current one again (`tlcore.evaluation.history`)."""

import streamlit as st

from tlapp import figures, state
from tlcore import store, wording
from tlcore.evaluation import history

TABLE_KEY = "training_history_table"
EARLIER_KEY = "compare_earlier"
LATER_KEY = "compare_later"
RESTORE_CHOICE_KEY = "restore_training_choice"
RESTORE_BUTTON_KEY = "restore_training_button"


def describe(entry: history.Entry, number: int) -> str:
    """Names a training in a list: "Training 3 · 72% (67–76%) · 2,640 photos".

    The name never changes while the page is open (a "5 minutes ago" would, and a list whose
    names change loses the person's choice), and two trainings of the same minute differ.

    Args:
        entry: The training.
        number: Its number in the project's history, the first kept being 1.
    """
    parts = [f"Training {number}"]
    measured = entry.headline
    if measured is not None:
        parts.append(
            f"{measured.accuracy:.0%} ({figures.percent_range(measured.low, measured.high)})"
        )
    parts.append(wording.plural(entry.photo_count, "photo", "photos"))
    return " · ".join(parts)


def _triple(values: tuple[float, float, float]) -> str:
    return f"{values[0]:.0%} ({figures.percent_range(values[1], values[2])})"


def history_rows(entries: list[history.Entry]) -> list[dict]:
    """One row per training, newest first, with what changed since the one before it."""
    rows = []
    for index, entry in enumerate(entries):
        earlier = entries[index + 1] if index + 1 < len(entries) else None
        changed = ""
        if earlier is not None:
            comparison = history.compare(earlier, entry)
            changed = ", ".join(
                f"{name} {before} → {after}" for name, before, after in comparison.settings
            )
            if comparison.photos[0] != comparison.photos[1]:
                changed = ", ".join(
                    filter(
                        None, [changed, f"photos {comparison.photos[0]} → {comparison.photos[1]}"]
                    )
                )
        measured = entry.headline
        rows.append(
            {
                "Training": len(entries) - index,
                "Trained": state.time_ago(entry.created_at),
                "Expected on new photos": _triple((measured.accuracy, measured.low, measured.high))
                if measured
                else "",
                "Photos": entry.photo_count,
                "What changed": changed or ("the first kept" if earlier is None else "nothing"),
            }
        )
    return rows


def show_comparison(earlier: history.Entry, later: history.Entry) -> None:
    """Shows what changed between two trainings and which classes did better or worse."""
    comparison = history.compare(earlier, later)
    if comparison.headline is not None:
        change = comparison.headline
        st.markdown(
            f"**Expected on new photos:** {_triple(change.before)} → {_triple(change.after)}: "
            f"**{change.verdict}**."
        )
    settings = ", ".join(
        f"{name}: {before} → {after}" for name, before, after in comparison.settings
    )
    st.markdown(
        f"**Photos:** {comparison.photos[0]:,} → {comparison.photos[1]:,}.  \n"
        f"**Settings changed:** {settings or 'none'}."
    )
    moved = [change for change in comparison.classes if change.verdict != "within the noise"]
    st.caption(
        f"{len(moved)} of {len(comparison.classes)} classes did clearly better or worse (their "
        "ranges do not overlap); the others changed within the noise. Each training checked "
        "itself on its own set-aside photos."
    )
    st.dataframe(
        [
            {
                "Class": change.name,
                "Before": _triple(change.before),
                "After": _triple(change.after),
                "Change": change.verdict,
            }
            for change in comparison.classes
        ],
        hide_index=True,
        width="stretch",
        key="training_comparison_table",
    )


def show_history(project: store.Project) -> None:
    """The history of the project's trainings, under the last training on the Train page."""
    entries = project.trainings()
    if len(entries) < 2:
        return
    with st.expander(f"Every training kept ({len(entries)}): did it help?", expanded=False):
        st.dataframe(history_rows(entries), hide_index=True, width="stretch", key=TABLE_KEY)
        by_id = {entry.entry_id: entry for entry in entries}
        ids = list(by_id)
        # Newest first, numbered from the first kept.
        names = {
            entry.entry_id: describe(entry, len(entries) - index)
            for index, entry in enumerate(entries)
        }
        left, right = st.columns(2)
        earlier_id = left.selectbox("Compare", ids, index=1, format_func=names.get, key=EARLIER_KEY)
        later_id = right.selectbox("with", ids, index=0, format_func=names.get, key=LATER_KEY)
        if earlier_id != later_id:
            first, second = sorted([by_id[earlier_id], by_id[later_id]], key=lambda e: e.entry_id)
            show_comparison(first, second)
        chosen = st.selectbox(
            "Make an earlier model the current one",
            ids[1:],
            format_func=names.get,
            key=RESTORE_CHOICE_KEY,
        )
        if st.button(
            "Use this model",
            key=RESTORE_BUTTON_KEY,
            icon=":material/restore:",
            disabled=not state.changes_allowed(project, notice=False),
        ):
            with state.user_errors():
                project.restore_training(chosen)
                state.add_message("success", "The earlier model is the current one again.")
                st.rerun()
