"""Evaluate: how often the model is right on photos it never learned from, and where it errs.

A click on a square of the confusion matrix shows the photos behind it, and any photo shown
can reveal what the model looked at (a Grad-CAM heatmap); only then is the model loaded.
"""

import streamlit as st

from tlapp import figures, media, paging, state, tables
from tlapp.charts import confusion
from tlapp.charts import evaluation as evaluation_charts
from tlapp.panels import explain as explain_panel
from tlapp.panels import testing_photos
from tlcore import wording
from tlcore.evaluation import headline as headline_figures
from tlcore.evaluation import metrics as evaluation

MISTAKE_COLUMNS = 4
# The galleries show this many photos at a time, with a page picker for the rest.
MISTAKES_SHOWN = 24
# With more classes than this, the confusion matrix takes the page's whole width.
SIDE_BY_SIDE_CLASSES = 15
CHART_KEY = "confusion_matrix_chart"
CELL_KEY = "evaluate_cell"
CELL_PAGE_KEY = "evaluate_cell_page"
MISTAKE_PAGE_KEY = "evaluate_mistake_page"


def show_photo_grid(items, key_prefix: str) -> None:
    """Shows evaluated photos as cards, each with a switch for what the model looked at.

    Args:
        items: `evaluation.metrics.PhotoPrediction` entries.
        key_prefix: Makes the switches' keys unique on the page.
    """
    for index, item in enumerate(items):
        if index % MISTAKE_COLUMNS == 0:
            row = st.columns(MISTAKE_COLUMNS)
        with row[index % MISTAKE_COLUMNS].container(border=True):
            stored = project.find_photo(item.content_hash) if item.content_hash else None
            explain = stored is not None and st.toggle(
                "What it looked at", key=f"{key_prefix}_explain_{item.content_hash}"
            )
            if explain:
                explain_panel.show_stored_explanation(
                    project,
                    stored.path,
                    class_name=item.predicted_class,
                    key=f"{key_prefix}_explain_{item.content_hash}",
                )
            else:
                picture = media.thumbnail(str(stored.path), stored.content_hash) if stored else None
                if picture is not None:
                    st.image(picture, width="stretch")
            st.markdown(
                f"**Really:** {item.true_class}  \n"
                f"**Model said:** {item.predicted_class} ({item.confidence:.0%} sure)"
            )
            st.caption(item.file_name if stored else f"{item.file_name} (no longer in the project)")


def cell_order(true_class: str, predicted_class: str) -> tuple:
    """Sorts the squares of a large matrix: mistakes first, the most photos first."""
    count = scores.confusion_matrix[scores.class_names.index(true_class)][
        scores.class_names.index(predicted_class)
    ]
    return (1, 0) if true_class == predicted_class else (0, -count)


def cell_label(cell) -> str:
    """Names a square of the confusion matrix for the list of squares."""
    if cell is None:
        return "Choose a square…"
    true_class, predicted_class = cell
    count = scores.confusion_matrix[scores.class_names.index(true_class)][
        scores.class_names.index(predicted_class)
    ]
    photos = wording.plural(count, "photo", "photos")
    if true_class == predicted_class:
        return f"{true_class}, recognised ({photos})"
    return f"Really {true_class}, the model said {predicted_class} ({photos})"


def choose_cell_from_chart() -> None:
    """Makes the square clicked on the confusion matrix the one whose photos are shown."""
    cell = evaluation_charts.selected_cell(st.session_state.get(CHART_KEY))
    if cell is not None and cell in cell_options:
        st.session_state[CELL_KEY] = cell
        paging.first_page(CELL_PAGE_KEY)


def headline_of_validation(scores: evaluation.Evaluation) -> headline_figures.Headline:
    """For a training before the headline: the validation photos' share, with its range."""
    right = round(scores.accuracy * scores.photo_count)
    low, high = headline_figures.wilson_interval(right, scores.photo_count)
    return headline_figures.Headline(
        scores.accuracy,
        low,
        high,
        f"Measured on the {scores.photo_count:,} photos kept aside, which may look like those "
        "it learned from: train again for a figure that allows for photos unlike them.",
        scores.photo_count,
    )


def many_class_confusion(scores: evaluation.Evaluation) -> tuple[list[str], list[list[int]]]:
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


def show_paged_photo_grid(items, key_prefix: str, page_key: str) -> None:
    """Shows a page of evaluated photos, with a page picker when they are many.

    Args:
        items: `evaluation.metrics.PhotoPrediction` entries.
        key_prefix: Makes the switches' keys unique on the page.
        page_key: The key of the page picker.
    """
    show_photo_grid(
        paging.show_page(items, MISTAKES_SHOWN, page_key, ("photo", "photos")), key_prefix
    )


space, owner, project = state.start_page("Evaluate")
project = state.require_project(project)

state.page_title("3 · Evaluate")
testing_photos.show_evaluate_section(project)

record = project.training_record()
if record is None or not record.evaluation:
    st.info("Train a model first: this page shows how well it does.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
    st.stop()

scores = evaluation.Evaluation.from_dict(record.evaluation)
set_aside = wording.plural(scores.photo_count, "photo", "photos")
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
measured = figures.record_headline(record) or headline_of_validation(scores)
headline.metric(
    "Expected on new photos",
    f"{measured.accuracy:.0%}",
    delta=f"likely {figures.percent_range(measured.low, measured.high)}",
    delta_color="off",
    delta_arrow="off",
    border=True,
    help=measured.basis,
)
right = round(scores.accuracy * scores.photo_count)
if measured.accuracy >= 0.9:
    verdict = "That is very good."
elif measured.accuracy >= 0.7:
    verdict = "That is a good start. More and more varied photos usually make it better."
else:
    verdict = (
        "It still makes many mistakes. Add more photos of each class, from different angles "
        "and backgrounds, and train again."
    )
explanation.markdown(
    f"{figures.headline_sentence(measured)} {verdict}  \n"
    f"On the photos kept aside here, like the ones it learned from, it named the right class "
    f"for **{figures.accuracy_with_range(scores.accuracy, scores.photo_count)}**."
)
explanation.caption(measured.basis)

many_classes = len(scores.class_names) > SIDE_BY_SIDE_CLASSES
if many_classes:
    # A large matrix needs the whole width for squares a person can aim at.
    chart_left, chart_right = st.container(), st.container()
else:
    chart_left, chart_right = st.columns(2, gap="large")
with chart_left:
    st.plotly_chart(
        evaluation_charts.class_accuracy_figure(
            [metrics.class_name for metrics in scores.per_class],
            [metrics.recall for metrics in scores.per_class],
            supports=[metrics.support for metrics in scores.per_class],
        ),
        key="class_accuracy_chart",
        config={"displayModeBar": False},
    )
    st.caption(
        "For each class, the share of its set-aside photos that the model recognised; the grey "
        "line is its likely range, wide when a class has few photos."
    )
    if many_classes:
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
cell_options = [
    (true_class, predicted_class)
    for row, true_class in enumerate(scores.class_names)
    for column, predicted_class in enumerate(scores.class_names)
    if scores.confusion_matrix[row][column] > 0
]
if many_classes:
    # Among hundreds of squares, the list offers the biggest mistakes first.
    cell_options.sort(key=lambda cell: cell_order(*cell))
with chart_right:
    if many_classes:
        # A matrix of every class has squares too small to read: the mistakes come first.
        shown_names, shown_counts = many_class_confusion(scores)
    else:
        shown_names, shown_counts = scores.class_names, scores.confusion_matrix
    st.plotly_chart(
        evaluation_charts.clickable_confusion_matrix_figure(shown_names, shown_counts),
        key=CHART_KEY,
        config={"displayModeBar": False},
        on_select=choose_cell_from_chart,
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


st.subheader("The photos behind a square")
if st.session_state.get(CELL_KEY) not in [None, *cell_options]:
    # The square chosen belongs to an earlier training with other classes.
    del st.session_state[CELL_KEY]
chosen_cell = st.selectbox(
    "Square of the confusion matrix",
    [None, *cell_options],
    format_func=cell_label,
    key=CELL_KEY,
    help="Click a square of the matrix above, or choose it here.",
    on_change=paging.first_page,
    args=(CELL_PAGE_KEY,),
)
if chosen_cell is None:
    st.caption("Click a square of the matrix above to see the photos the model put there.")
else:
    true_class, predicted_class = chosen_cell
    behind = scores.photos_in_cell(true_class, predicted_class)
    if not behind:
        st.info(
            "This training kept only the photos it got wrong; train again to see the photos "
            "of every square.",
            icon=":material/info:",
        )
    else:
        show_paged_photo_grid(behind, "cell", CELL_PAGE_KEY)

st.subheader("The photos it got wrong")
if not scores.misclassified:
    st.success("None: it recognised every set-aside photo.", icon=":material/celebration:")
else:
    st.caption(
        "The most confident mistakes come first. Switch on *What it looked at* to see which "
        "parts of a photo led the model astray. Photos that are unclear, or that show "
        "something from another class, are worth removing or moving on the Collect page or "
        "the Check your data page."
    )
    show_paged_photo_grid(scores.misclassified, "mistake", MISTAKE_PAGE_KEY)

state.page_link(state.PREDICT_PAGE, label="Next: try it on new photos")
