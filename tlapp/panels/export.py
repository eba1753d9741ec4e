"""The Export page's further formats, made by the workers: Prepare, progress, Download.

Pressing **Prepare** queues an export job (`tlcore.jobs.exports`); a worker converts the model,
checks it on the project's photos and keeps the file in the workspace. Until then the format's
card shows the job's place in the queue, its progress and Cancel, from the job's record
(`tlapp.jobs.progress`), so any page of any web server shows it; then it offers the kept file.
A second request for the same model and format finds the file ready. The web server imports
no TensorFlow for any of it.
"""

import streamlit as st

from tlapp import state
from tlapp.jobs import progress, workers
from tlcore import errors, store
from tlcore.jobs import exports, queue
from tlcore.jobs import records as job_records
from tlcore.nets import backbones


def _latest_job(
    project: store.Project, stamp: str, format_key: str
) -> job_records.JobRecord | None:
    """The latest export job of this model in this format, or None."""
    records = workers.store(project.workspace.root).for_project(project.id, queue.KIND_EXPORT)
    for record in records:
        if record.payload.get("format") == format_key and record.payload.get("stamp") == stamp:
            return record
    return None


def _prepare_button(project: store.Project, format_key: str, folder_name: str) -> None:
    """The Prepare button; a click queues the export and shows the page again."""
    if not st.button("Prepare", key=f"prepare_{format_key}", icon=":material/build:"):
        return
    root = project.workspace.root
    try:
        workers.ensure_started(root)
        exports.queue_export(
            workers.config(root), workers.queue(root), project, format_key, folder_name
        )
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")
        return
    st.rerun()


def _show_format(project: store.Project, stamp: str, item: exports.ExportFormat, slug: str) -> None:
    """One format's card: its Download when kept, its job while it runs, else Prepare."""
    st.markdown(f"**{item.title}** ({item.kind})")
    st.caption(item.description)
    root = project.workspace.root
    ready = exports.prepared(root, project.id, stamp, item.key)
    if ready is not None:
        st.download_button(
            "Download",
            # Read on the click, not on every run of the page.
            data=ready.path.read_bytes,
            file_name=f"{slug}.{item.extension}",
            mime=item.mime,
            key=f"download_{item.key}",
            icon=":material/download:",
        )
        st.caption(ready.summary)
        return
    job = _latest_job(project, stamp, item.key)
    if job is not None and job.is_active:
        progress.show_progress(str(root), job.id, "Cancel", f"cancel_export_button_{item.key}")
        return
    if job is not None and job.state == job_records.FAILED:
        st.error(job.error or "The export did not finish.", icon=":material/error:")
    elif job is not None and job.state == job_records.CANCELLED:
        st.info("Cancelled.", icon=":material/stop_circle:")
    _prepare_button(project, item.key, f"{slug} saved model")


def show_formats(project: store.Project, record: store.TrainingRecord) -> None:
    """ "For phones, browsers and servers": what the formats take, and a card per further format
    (`export_jobs.FORMATS`) of the project's model.

    Args:
        project: The open, trained project.
        record: Its last training.
    """
    backbone = backbones.get_backbone(record.settings.get("backbone", backbones.DEFAULT_BACKBONE))
    input_size = backbone.input_size(int(record.settings.get("image_size", 224)))
    st.markdown("#### For phones, browsers and servers")
    st.caption(
        "Each is made when you ask (a minute or so), then checked: it is loaded back and its "
        "answers on your own photos are compared with the Keras model's. Like the Keras model, "
        f"each takes photos resized to {input_size} x {input_size} pixels, values 0 to 255, "
        "and returns one probability per class. That is more than the "
        f"{int(record.settings.get('image_size', 224))} pixels it was trained at on purpose: "
        "like ImageNet's own models, it crops the centre of the photo, so the product fills "
        "the part it looks at."
    )
    stamp = exports.model_stamp(project)
    if stamp is None:
        return
    # The downloaded files are named after the project, as the project file is.
    slug = state.file_name_for(project.name)
    columns = st.columns(len(exports.FORMATS))
    for column, item in zip(columns, exports.FORMATS, strict=True):
        with column.container(border=True, height="stretch"):
            _show_format(project, stamp, item, slug)
