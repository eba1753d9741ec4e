"""Tables of results: rows for the page and CSV files to download, from tlcore results."""

import csv
import io
from collections.abc import Sequence

from tlapp import figures
from tlcore.evaluation import metrics as evaluation
from tlcore.nets import prediction

#: The columns of the table of every class's figures that a page formats as percentages.
RECOGNISED = "Recognised"
PRECISE = "Right when it names it"


def prediction_rows(predictions: Sequence[prediction.Prediction]) -> list[dict]:
    """Returns one row per photo for the table on the Predict page.

    Args:
        predictions: What `tlcore.nets.prediction.predict` returned.

    Returns:
        Rows with the photo, the most likely class (or "Not sure" when the model is less sure
        than its threshold), its probability (0 to 1), the second guess and, for an unreadable
        file, what is wrong with it.
    """
    rows = []
    for answer in predictions:
        second = answer.top[1] if len(answer.top) > 1 else None
        looks_like = answer.best_class or ""
        if answer.top and not answer.is_sure:
            looks_like = f"Not sure (perhaps {answer.best_class})"
        rows.append(
            {
                "Photo": answer.file_name,
                "Looks like": looks_like,
                "Certainty": answer.top[0][1] if answer.top else None,
                "Second guess": f"{second[0]} ({second[1]:.0%})" if second else "",
                "Problem": answer.error or "",
            }
        )
    return rows


def predictions_csv(predictions: Sequence[prediction.Prediction]) -> str:
    """Returns the predictions as CSV text, with the probability of every class.

    Args:
        predictions: What `tlcore.nets.prediction.predict` returned; all from the same model.

    Returns:
        The CSV text: a header row, then one row per photo. Probabilities are between 0 and 1;
        an unreadable file has empty probabilities and its problem in the last column.
    """
    class_names = next((answer.class_names for answer in predictions if answer.class_names), [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["photo", "predicted_class", "probability", *class_names, "problem"])
    for answer in predictions:
        if answer.error is not None or not answer.top:
            writer.writerow([answer.file_name, "", "", *[""] * len(class_names), answer.error])
            continue
        writer.writerow(
            [
                answer.file_name,
                answer.top[0][0],
                f"{answer.top[0][1]:.4f}",
                *[f"{value:.4f}" for value in answer.probabilities],
                "",
            ]
        )
    return buffer.getvalue()


def class_metric_rows(per_class: Sequence[evaluation.ClassMetrics]) -> list[dict]:
    """Returns one row per class for the table of every class's figures, worst class first.

    Args:
        per_class: The classes' figures, as `Evaluation.per_class` holds them.

    Returns:
        Rows with the class, the share of its photos recognised (0 to 1), the share of the
        photos the model named this class that were (0 to 1), how many photos were checked
        and the likely range of the first share (Wilson; "few photos" under ten);
        the class recognised worst comes first, then in the evaluation's order.
    """
    rows = [
        {
            "Class": metrics.class_name,
            RECOGNISED: float(metrics.recall),
            PRECISE: float(metrics.precision),
            "Photos checked": int(metrics.support),
            "Likely range": figures.percent_range(*class_range)
            + (" (few photos)" if metrics.support < figures.FEW_PHOTOS else ""),
        }
        for metrics, class_range in zip(per_class, figures.class_ranges(per_class), strict=True)
    ]
    return sorted(rows, key=lambda row: row[RECOGNISED])
