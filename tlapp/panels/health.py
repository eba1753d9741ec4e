"""Data health on the Check data page and the next steps on the Train page.

The findings come from `tlcore.checks.health`, the steps from `tlcore.evaluation.next_steps`; this
module only shows them, each with its photos and its one-click fix.
"""

import streamlit as st

from tlapp import media, state
from tlapp.jobs import data_check
from tlapp.panels import photo_cards
from tlcore import store, wording
from tlcore.checks import health
from tlcore.evaluation import next_steps
from tlcore.jobs import data_checks

# The photos shown with a finding: cards with their buttons for photo problems, small
# thumbnails for a class's photos.
CARDS_SHOWN = 8
THUMBNAILS_SHOWN = 12
CARD_COLUMNS = 4


def remove_photos(project: store.Project, photos) -> None:
    """Removes every photo of a finding, one at a time."""
    for photo in photos:
        photo_cards.remove_photo(project, photo.content_hash, photo.class_name, photo.file_name)


def show_findings(
    findings: list[health.Finding] | None, project: store.Project, editable: bool
) -> None:
    """Shows every data health finding with its photos and its fix.

    Args:
        findings: The findings (`health.check_health`), or None when the check predates them.
        project: The open project.
        editable: Whether this visitor may change the project; someone who may only look
            gets no buttons that change photos.
    """
    if findings is None:
        st.info("Check again to see the health of your photos.", icon=":material/info:")
        return
    if not findings:
        st.success(
            "No blurred, dark, over-exposed, plain or tiny photos, no photo in two classes, "
            "no class much smaller than the others or taken in one sitting.",
            icon=":material/check_circle:",
        )
        return
    st.caption(
        f"{wording.plural(len(findings), 'finding', 'findings')}, the photos in two classes "
        "first. Each says what fixes it; fix them, then train again."
    )
    for index, finding in enumerate(findings):
        with st.container(border=True, key=f"health_finding_{index}"):
            st.markdown(f"**{finding.title}**")
            st.caption(finding.advice)
            if finding.fix == "keep one":
                show_pair(finding, index, project, editable)
            elif finding.fix == "remove":
                show_removable(finding, index, project, editable)
            else:
                show_class(finding, index, project)


def show_pair(finding, index: int, project: store.Project, editable: bool) -> None:
    """A photo in two classes: both copies, and a button to keep each one."""
    first, second = finding.photos
    # Two of four columns keep the photos the size of the other cards.
    columns = st.columns(CARD_COLUMNS)
    for column, kept, other in ((columns[0], first, second), (columns[1], second, first)):
        with column:
            photo_cards.show_card(
                project, kept, f"health_{index}_{kept.content_hash}", "", editable
            )
            if not editable:
                continue
            st.button(
                f"Keep it in {kept.class_name} only",
                key=f"health_keep_{index}_{kept.content_hash}",
                icon=":material/check:",
                type="primary",
                width="stretch",
                on_click=photo_cards.remove_photo,
                args=(project, other.content_hash, other.class_name, other.file_name),
            )


def show_removable(finding, index: int, project: store.Project, editable: bool) -> None:
    """Photos with a problem of their pixels: each with its card, and one click for all."""
    if editable:
        st.button(
            "Remove this photo"
            if len(finding.photos) == 1
            else f"Remove all {len(finding.photos)}",
            key=f"health_remove_all_{finding.kind}",
            icon=":material/delete_sweep:",
            type="primary",
            on_click=remove_photos,
            args=(project, finding.photos),
        )
    shown = finding.photos[:CARDS_SHOWN]
    for position, photo in enumerate(shown):
        if position % CARD_COLUMNS == 0:
            row = st.columns(CARD_COLUMNS)
        with row[position % CARD_COLUMNS]:
            photo_cards.show_card(
                project, photo, f"health_{finding.kind}_{photo.content_hash}", "", editable
            )
    if len(finding.photos) > len(shown):
        st.caption(f"…and {len(finding.photos) - len(shown)} more, removed with the others.")


def show_class(finding, index: int, project) -> None:
    """A class finding: a strip of its photos and the way to add more."""
    thumbnails = []
    for photo in finding.photos[:THUMBNAILS_SHOWN]:
        stored = project.find_photo(photo.content_hash)
        picture = media.thumbnail(str(stored.path), stored.content_hash) if stored else None
        if picture is not None:
            thumbnails.append(picture)
    if thumbnails:
        st.image(thumbnails, width=72)
    if finding.missing_photos:
        st.markdown(
            f"Add about **{finding.missing_photos}** more photos of {finding.class_name} "
            "on the Collect page."
        )
    state.page_link(state.COLLECT_PAGE, label=f"Add photos of {finding.class_name}")


def one_sitting_classes(project) -> list[str]:
    """The classes the project's last data check (this session's, else the saved one) found
    taken in one sitting."""
    kept = st.session_state.get(data_check.REPORT_KEY)
    if kept and kept.get("project") == project.id:
        findings = kept.get("health") or []
    else:
        saved = data_checks.load(project)
        findings = saved.health if saved is not None else []
    return [
        finding.class_name
        for finding in findings
        if finding.kind == "one sitting" and finding.class_name
    ]


def show_next_steps(project, evaluation: dict | None) -> None:
    """The Train page's three most useful next steps after a training.

    Args:
        project: The open `store.Project`.
        evaluation: The training's validation figures (`Evaluation.to_dict()`).
    """
    record = project.training_record()
    # Training finds them from its own split; a data check run since may know more.
    one_sitting = list(record.one_sitting if record is not None else [])
    one_sitting += [name for name in one_sitting_classes(project) if name not in one_sitting]
    steps = next_steps.next_steps(evaluation, project.photo_counts(), one_sitting)
    st.markdown("**The most useful next steps**")
    if not steps:
        st.caption(
            "It made no mistake on the photos kept aside, so they cannot tell what would help "
            "most. Try it on new photos, and add photos taken another day."
        )
        return
    st.caption(
        "Ranked by what each could gain at most: the photos kept aside that it got wrong and "
        "that the step is about. More photos rarely fix all of them, so the real gain is "
        "smaller; how many to add is a rule of thumb."
    )
    for position, step in enumerate(steps, start=1):
        with st.container(border=True, key=f"next_step_{position}"):
            gain = (
                f"up to +{step.gain * 100:.1f} points of accuracy"
                if step.gain is not None
                else "gain not measurable from these photos"
            )
            st.markdown(f"**{position}. {step.title}** · {gain}")
            st.caption(step.detail)
