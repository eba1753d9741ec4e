"""Counts in words: one helper for the app and the engine (`tlcore.wording`)."""

from tlcore import time_left, wording
from tlcore.checks import health


def test_a_count_is_written_with_its_word_and_a_comma_every_three_digits():
    assert wording.plural(1, "photo", "photos") == "1 photo"
    assert wording.plural(0, "photo", "photos") == "0 photos"
    assert wording.plural(3, "photo was", "photos were") == "3 photos were"
    assert wording.plural(20_000, "photo", "photos") == "20,000 photos"


def test_the_engine_s_counts_use_it():
    assert health.photo_title("dark", 1).endswith(": 1 photo")
    assert health.photo_title("dark", 2_640).endswith(": 2,640 photos")
    assert time_left.describe(61) == "about 2 minutes left"
    assert time_left.describe(60) == "about 1 minute left"
