"""Counts in words, the one way the app and the engine write them: "1 photo", "20,000 photos"."""


def plural(count: int, one: str, many: str) -> str:
    """Returns `"1 photo"`, `"3 photos"` or `"20,000 photos"`.

    Args:
        count: How many.
        one: The words for one ("photo", "photo was").
        many: The words for several, or none ("photos", "photos were").

    Returns:
        The count, with a comma every three digits, and the right words.
    """
    return f"{count:,} {one if count == 1 else many}"
