"""Evaluate's confusion matrix, clickable, and the photos behind the square chosen.

Among many classes the whole matrix has squares too small to aim at: the pairs most often
confused come first, the whole matrix to zoom into, and a clickable matrix of the classes most
often confused among themselves. Every square with photos is also in a list, biggest mistakes
first.
"""

import functools

import streamlit as st

from tlapp import paging
from tlapp.charts import confusion, evaluation
from tlapp.panels import evaluated_photos
from tlcore import store, wording
from tlcore.evaluation import metrics

# With more classes than this, the confusion matrix takes the page's whole width.
SIDE_BY_SIDE_CLASSES = 15
CHART_KEY = "confusion_matrix_chart"
CELL_KEY = "evaluate_cell"
CELL_PAGE_KEY = "evaluate_cell_page"

Cell = tuple[str, str]


def has_many_classes(scores: metrics.Evaluation) -> bool:
    """Tells whether the matrix needs the page's whole width."""
    return len(scores.class_names) > SIDE_BY_SIDE_CLASSES


def _count(scores: metrics.Evaluation, cell: Cell) -> int:
    """The photos in one square of the matrix."""
    true_class, predicted_class = cell
    return scores.confusion_matrix[scores.class_names.index(true_class)][
        scores.class_names.index(predicted_class)
    ]


def cell_options(scores: metrics.Evaluation) -> list[Cell]:
    """The squares that hold photos; among many classes, mistakes first, the most photos
    first."""
    options = [
        (true_class, predicted_class)
        for row, true_class in enumerate(scores.class_names)
        for column, predicted_class in enumerate(scores.class_names)
        if scores.confusion_matrix[row][column] > 0
    ]
    if has_many_classes(scores):
        # Among hundreds of squares, the list offers the biggest mistakes first.
        options.sort(key=lambda cell: (1, 0) if cell[0] == cell[1] else (0, -_count(scores, cell)))
    return options


def cell_label(scores: metrics.Evaluation, cell: Cell | None) -> str:
    """Names a square of the confusion matrix for the list of squares."""
    if cell is None:
        return "Choose a square…"
    true_class, predicted_class = cell
    photos = wording.plural(_count(scores, cell), "photo", "photos")
    if true_class == predicted_class:
        return f"{true_class}, recognised ({photos})"
    return f"Really {true_class}, the model said {predicted_class} ({photos})"


def choose_cell_from_chart(options: list[Cell]) -> None:
    """Makes the square clicked on the confusion matrix the one whose photos are shown."""
    cell = evaluation.selected_cell(st.session_state.get(CHART_KEY))
    if cell is not None and cell in options:
        st.session_state[CELL_KEY] = cell
        paging.first_page(CELL_PAGE_KEY)


def many_class_confusion(scores: metrics.Evaluation) -> tuple[list[str], list[list[int]]]:
    """Shows the mistakes made most often and the whole matrix to zoom into; returns the
    classes most often confused, with their counts, for the clickable matrix."""
    pairs = confusion.confused_pairs(scores.class_names, scores.confusion_matrix)
    if pairs:
        st.plotly_chart(
            confusion.confused_pairs_figure(pairs, len(scores.class_names)),
            key="confused_pairs_chart",
            config={"displayModeBar": False},
        )
    indices = confusion.most_confused_classes(scores.confusion_matrix) or list(
        range(min(confusion.CLASSES_SHOWN, len(scores.class_names)))
    )
    with st.expander(f"The whole matrix of {len(scores.class_names)} classes, to zoom into"):
        st.plotly_chart(
            confusion.zoomable_matrix_figure(scores.class_names, scores.confusion_matrix),
            key="whole_confusion_matrix_chart",
        )
    st.markdown(f"**The {len(indices)} classes most often confused, among themselves**")
    return confusion.sub_matrix(scores.class_names, scores.confusion_matrix, indices)


def show_matrix(scores: metrics.Evaluation) -> None:
    """The clickable confusion matrix and how to read it.

    Args:
        scores: The last training's evaluation.
    """
    many_classes = has_many_classes(scores)
    if many_classes:
        # A matrix of every class has squares too small to read: the mistakes come first.
        shown_names, shown_counts = many_class_confusion(scores)
    else:
        shown_names, shown_counts = scores.class_names, scores.confusion_matrix
    st.plotly_chart(
        evaluation.clickable_confusion_matrix_figure(shown_names, shown_counts),
        key=CHART_KEY,
        config={"displayModeBar": False},
        on_select=functools.partial(choose_cell_from_chart, cell_options(scores)),
        selection_mode="points",
    )
    if many_classes:
        st.caption(
            "Each row is a class; each column what the model said. The green diagonal holds "
            "the right answers; every red square off it is a kind of mistake, the darker the "
            "more photos. Hover a square for its count and range, and **click it** to see its "
            "photos; every square is also in the list below."
        )
    else:
        st.caption(
            "Each row is a class; each column what the model said. The diagonal counts the right "
            "answers; every other square is a kind of mistake. **Click a square** to see its "
            "photos."
        )


def show_square_photos(project: store.Project, scores: metrics.Evaluation) -> None:
    """ "The photos behind a square": the list of squares, and the chosen square's photos.

    Args:
        project: The open project.
        scores: The last training's evaluation.
    """
    options = cell_options(scores)
    st.subheader("The photos behind a square")
    if st.session_state.get(CELL_KEY) not in [None, *options]:
        # The square chosen belongs to an earlier training with other classes.
        del st.session_state[CELL_KEY]
    chosen_cell = st.selectbox(
        "Square of the confusion matrix",
        [None, *options],
        format_func=lambda cell: cell_label(scores, cell),
        key=CELL_KEY,
        help="Click a square of the matrix above, or choose it here.",
        on_change=paging.first_page,
        args=(CELL_PAGE_KEY,),
    )
    if chosen_cell is None:
        st.caption("Click a square of the matrix above to see the photos the model put there.")
        return
    true_class, predicted_class = chosen_cell
    behind = scores.photos_in_cell(true_class, predicted_class)
    if not behind:
        st.info(
            "This training kept only the photos it got wrong; train again to see the photos "
            "of every square.",
            icon=":material/info:",
        )
    else:
        evaluated_photos.show_paged_photo_grid(project, behind, "cell", CELL_PAGE_KEY)
