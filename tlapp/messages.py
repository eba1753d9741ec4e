"""The words the pages say about what happened: pure functions from results to messages.

Each function returns `(kind, markdown)` pairs, where kind is the Streamlit call that shows it
("success", "info", "warning", "error"), so the wording can be tested without a page.
"""

import collections
from collections.abc import Sequence

from tlcore import store, wording
from tlcore.data import datasets

#: Longer lists are cut to this many names, followed by "and N more".
MAXIMUM_LISTED = 8

Message = tuple[str, str]

#: The headline of an answer whose best class is below the model's "not sure" threshold.
NOT_SURE_TITLE = "Not sure — it may be something it was not taught"


def distinct_percents(value: float, other: float) -> tuple[str, str]:
    """Writes two probabilities as percentages with as many decimals as tell them apart."""
    for decimals in range(4):
        first, second = f"{value:.{decimals}%}", f"{other:.{decimals}%}"
        if first != second:
            break
    return first, second


def _listed(lines: Sequence[str]) -> str:
    shown = [f"- {line}" for line in lines[:MAXIMUM_LISTED]]
    if len(lines) > MAXIMUM_LISTED:
        shown.append(f"- and {len(lines) - MAXIMUM_LISTED} more")
    return "\n".join(shown)


def names_listed(names: Sequence[str], bold: bool = True, limit: int = MAXIMUM_LISTED) -> str:
    """Joins names with commas, cut to `limit` names and "and N more" among hundreds.

    Args:
        names: The names.
        bold: Whether each name is in bold.
        limit: The most names written out.

    Returns:
        For instance "**Apple**, **Milk** and 198 more".
    """
    shown = [f"**{name}**" if bold else str(name) for name in names[:limit]]
    text = ", ".join(shown)
    if len(names) > limit:
        text += f" and {len(names) - limit} more"
    return text


def class_counts_summary(counts: dict[str, int], limit: int = MAXIMUM_LISTED) -> str:
    """Says how many photos each class has, in a few words even for hundreds of classes.

    Args:
        counts: The number of photos of each class, in class order.
        limit: Up to this many classes, each is named with its count.

    Returns:
        For instance "Apple: 12, Milk: 10", or "from 95 to 105 photos each".
    """
    if len(counts) <= limit:
        return ", ".join(f"{name}: {count}" for name, count in counts.items())
    fewest, most = min(counts.values()), max(counts.values())
    if fewest == most:
        return f"{wording.plural(fewest, 'photo', 'photos')} each"
    return f"from {fewest} to {most} photos each"


def project_facts(project: store.Project) -> list[str]:
    """A project's classes, photos and whether it is trained, as its card and the sidebar say
    them ("3 classes", "25 photos", "trained")."""
    counts = project.photo_counts()
    return [
        wording.plural(len(counts), "class", "classes"),
        wording.plural(sum(counts.values()), "photo", "photos"),
        "trained" if project.has_trained_model else "not trained yet",
    ]


def augmentation_preview_caption(views_per_photo: int, shown: int) -> str:
    """Says what the augmentation preview shows, and whether training uses such copies.

    Args:
        views_per_photo: The changed copies of each photo training learns from (0 for none).
        shown: How many copies the preview shows.

    Returns:
        The caption over the preview.
    """
    if views_per_photo == 0:
        return (
            "Changed copies are off (0 above), so training learns from your photos alone. "
            f"With copies on, {wording.plural(shown, 'copy', 'copies')} of this photo would look "
            "like this:"
        )
    if views_per_photo > shown:
        return (
            f"The computer also learns from {views_per_photo} changed copies of each photo; "
            f"the first {shown} of this one:"
        )
    copies = wording.plural(views_per_photo, "changed copy", "changed copies")
    return f"The computer also learns from {copies} of each photo; for this one:"


def unreadable_files_line(files: Sequence[tuple[str, str]]) -> str:
    """Says which files of a batch could not be read as photos, and why.

    Args:
        files: Each file's name and the reason it could not be read.

    Returns:
        The message, one line a file (cut to `MAXIMUM_LISTED` and "and N more").
    """
    count = len(files)
    return (
        f"{wording.plural(count, 'file', 'files')} could not be read as "
        f"{'a photo' if count == 1 else 'photos'} and got no answer:\n\n"
        + _listed([f"**{name}**: {reason}" for name, reason in files])
    )


def predictions_summary(predictions) -> str:
    """One line over a batch's table: the photos answered, by answer, and the files not read.

    Args:
        predictions: `tlcore.nets.prediction.Prediction`s of a batch.

    Returns:
        For instance "**9 photos**: 5 × Apple, 4 × not sure · 1 file could not be read", whose
        counts add up to the photos named.
    """
    answered = [answer for answer in predictions if answer.top]
    found = collections.Counter(
        answer.best_class if answer.is_sure else "not sure" for answer in answered
    )
    line = f"**{wording.plural(len(answered), 'photo', 'photos')}**: " + ", ".join(
        f"{count} × {name}" for name, count in found.most_common()
    )
    unread = len(predictions) - len(answered)
    if unread:
        line += f" · {wording.plural(unread, 'file', 'files')} could not be read"
    return line


def add_result_messages(result: store.AddResult, class_name: str | None) -> list[Message]:
    """Describes what happened to a batch of added photos.

    Args:
        result: What `Project.add_photos` or `Project.add_dataset` returned.
        class_name: The class the photos went to; None for a zip with its own classes.

    Returns:
        The messages, the good news first.
    """
    messages: list[Message] = []
    where = f" to **{class_name}**" if class_name else ""
    if result.created_classes:
        names = names_listed(result.created_classes)
        messages.append(
            (
                "success",
                f"Made {wording.plural(len(result.created_classes), 'class', 'classes')}: {names}.",
            )
        )
    if result.added:
        messages.append(
            ("success", f"Added {wording.plural(len(result.added), 'photo', 'photos')}{where}.")
        )
    if result.skipped:
        lines = [f"**{skipped.file_name}**: {skipped.reason}" for skipped in result.skipped]
        if result.added:
            outcome = "The other photos were kept."
        elif class_name is None:
            outcome = "Nothing was added, and no class was made."
        else:
            outcome = "Nothing was added."
        messages.append(
            (
                "warning",
                f"{wording.plural(len(result.skipped), 'file was', 'files were')} left out because "
                + (
                    "it cannot be used as a photo"
                    if len(result.skipped) == 1
                    else "they cannot be used as photos"
                )
                + f". {outcome}\n\n"
                + _listed(lines),
            )
        )
    left_out_by_reason: dict[str, list[str]] = {}
    for item in result.left_out:
        left_out_by_reason.setdefault(item.reason, []).append(f"**{item.file_name}**")
    for reason, names in left_out_by_reason.items():
        messages.append(
            (
                "warning",
                f"{wording.plural(len(names), 'photo was', 'photos were')} not added: {reason}.\n\n"
                + _listed(names),
            )
        )
    same_class = [item for item in result.duplicates if item.duplicate_of_class == item.class_name]
    other_class = [item for item in result.duplicates if item.duplicate_of_class != item.class_name]
    if same_class:
        lines = [_duplicate_line(item) for item in same_class]
        messages.append(
            (
                "info",
                f"{wording.plural(len(same_class), 'photo was', 'photos were')} already in the "
                "class and not added twice (a photo counted twice teaches nothing new).\n\n"
                + _listed(lines),
            )
        )
    if other_class:
        lines = [
            f"**{item.file_name}** ({item.class_name}) is the same photo as "
            f"**{item.duplicate_of}** in **{item.duplicate_of_class}**"
            for item in other_class
        ]
        messages.append(
            (
                "warning",
                f"{wording.plural(len(other_class), 'photo is', 'photos are')} already in another "
                "class, so they were not added: a photo can belong to only one class. If a photo "
                "belongs here, remove it from the other class first, then add it again.\n\n"
                + _listed(lines),
            )
        )
    if not messages:
        messages.append(("info", "No photos were added."))
    return messages


def _duplicate_line(item: datasets.DuplicatePhoto) -> str:
    if item.duplicate_of == item.file_name:
        return f"**{item.file_name}**"
    return f"**{item.file_name}** (the same as **{item.duplicate_of}**)"


def readiness_messages(
    counts: dict[str, int], minimum: int = 2, recommended: int = 10
) -> list[Message]:
    """Says whether the photos are ready for training, and what to do if they are not.

    Args:
        counts: The number of photos of each class.
        minimum: The fewest photos a class needs to train at all.
        recommended: The number of photos per class that trains well.

    Returns:
        Warnings for what stops training, tips for what would make it better, or one
        success message when all is well.
    """
    messages: list[Message] = []
    if len(counts) < 2:
        messages.append(
            (
                "warning",
                "Add at least **2 classes**: the computer learns to tell classes apart, so it "
                f"needs two or more. You have {wording.plural(len(counts), 'class', 'classes')}.",
            )
        )
    too_few = [name for name, count in counts.items() if count < minimum]
    if too_few:
        lines = [
            f"**{name}** has {wording.plural(counts[name], 'photo', 'photos')}: add at least "
            f"{minimum - counts[name]} more"
            for name in too_few
        ]
        messages.append(
            (
                "warning",
                f"Every class needs at least **{minimum} photos** before training (or delete "
                "the class if you do not need it).\n\n" + _listed(lines),
            )
        )
    if messages:
        return messages
    few = [name for name, count in counts.items() if count < recommended]
    if few:
        names = names_listed(few)
        messages.append(
            (
                "info",
                f"Ready to train. For better results, add photos until each class has about "
                f"{recommended}: {names} {'has' if len(few) == 1 else 'have'} fewer.",
            )
        )
    else:
        messages.append(("success", "Ready to train: every class has enough photos."))
    return messages
