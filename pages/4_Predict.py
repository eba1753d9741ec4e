"""Predict: show the trained model new photos, one at a time or many at once."""

import datetime

import streamlit as st

from tlapp import engine, media, messages, state, tables
from tlapp.charts import probabilities
from tlapp.jobs import batch
from tlapp.panels import explain, live, teach, try_photo
from tlcore import errors, wording
from tlcore.nets import prediction

space, owner, project = state.start_page("Predict")
project = state.require_project(project)

state.page_title(
    "4 · Predict",
    "Show the model photos it has never seen and it tells you what they show. One photo gives "
    "a detailed answer; many photos give a table you can download.",
)
state.changes_allowed(project)

if not project.has_trained_model:
    st.info("Train a model first, then come back to try it.", icon=":material/info:")
    state.page_link(state.TRAIN_PAGE, label="Go to Train")
    st.stop()

# The project file's ONNX model: no TensorFlow in the web server (a worker makes it ready
# for a file saved before it had one, and the page says so meanwhile).
trained = engine.require_project_model(project)

st.caption(
    f"It knows {wording.plural(len(trained.class_names), 'class', 'classes')}: "
    + messages.names_listed(trained.class_names, bold=False, limit=24)
)

test_time_augmentation = st.toggle(
    "Also look at changed copies of each photo (test-time augmentation)",
    value=bool(trained.settings.test_time_augmentation),
    key="predict_test_time_augmentation",
    help="Averages the answers for the photo and 8 copies of it, a little turned, zoomed, "
    "lighter or darker (never mirrored): steadier answers, 9 times the work.",
)

live_frame = live.show_live_camera(trained)

upload_column, camera_column = st.columns([3, 2], gap="large")
uploaded = upload_column.file_uploader(
    "Photos to recognise",
    type=media.PHOTO_UPLOAD_TYPES,
    accept_multiple_files=True,
    key="predict_upload",
    help="Choose one photo for a detailed answer, or many for a table.",
)
shot = None
with camera_column:
    if st.toggle("Use the camera", key="predict_camera_on"):
        shot = st.camera_input("Take a photo", key="predict_camera")

sources: list[tuple[str, bytes]] = []
if shot is not None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    sources.append((f"camera photo {stamp}", shot.getvalue()))
if live_frame is not None:
    sources.append(live_frame)
sources.extend((file.name, file.getvalue()) for file in uploaded or [])
tried = try_photo.offer_set_aside_photo(project, trained, sources)

if not sources:
    st.info("Add a photo above to see what the model says.", icon=":material/add_photo_alternate:")
    st.stop()

try:
    if len(sources) >= batch.BATCH_JOB_PHOTOS:
        # Many photos are long work: a worker looks at them (the page waits, then goes on).
        predictions = batch.predictions_of(project, sources, test_time_augmentation)
    else:
        with st.spinner("Looking at the photos…"):
            predictions = prediction.predict(
                trained,
                [data for _, data in sources],
                top_k=min(3, len(trained.class_names)),
                file_names=[name for name, _ in sources],
                test_time_augmentation=test_time_augmentation,
            )
except errors.TlcoreError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

if len(predictions) == 1:
    answer = predictions[0]
    picture_column, answer_column = st.columns([1, 2], gap="large")
    # The photo is shown from a small copy made safely: the file may not be a photo at all.
    preview = media.make_thumbnail(sources[0][1], size=480)
    if preview is not None:
        picture_column.image(preview, caption=answer.file_name, width="stretch")
    with answer_column:
        try_photo.show_true_class(tried, answer.best_class)
        if answer.error is not None:
            st.error(
                f"'{answer.file_name}' cannot be used as a photo: {answer.error}.",
                icon=":material/error:",
            )
        else:
            best_class, best_probability = answer.top[0]
            if answer.is_sure:
                st.subheader(f"This looks like: {best_class}")
                st.markdown(f"The model is **{best_probability:.0%} sure**.")
            else:
                runner_up = answer.top[1][0] if len(answer.top) > 1 else ""
                guess, threshold = messages.distinct_percents(best_probability, answer.threshold)
                st.subheader(messages.NOT_SURE_TITLE)
                st.markdown(
                    f"Its best guess is **{best_class}**, but only at **{guess}**"
                    + (f" (or perhaps {runner_up})" if runner_up else "")
                    + ": less sure than it was of nearly all the set-aside photos it got right "
                    f"(at least {threshold}). If the photo shows one of its classes, a clearer "
                    "photo, or more training photos, would help."
                )
            st.plotly_chart(
                probabilities.probability_figure(answer.class_names, answer.probabilities),
                key="probability_chart",
                config={"displayModeBar": False},
            )
    teach.show_teach_panel(project, sources[0][0], sources[0][1], answer)
    explain.show_explanation(project, trained, sources[0][1], answer)
else:
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
        row_height=64,
        # Tall enough for every row up to a dozen; more rows scroll inside the table.
        height=min(38 + 64 * len(rows), 38 + 64 * 12),
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
