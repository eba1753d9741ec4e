"""Tests of tlcore.data.names: names are cleaned, bad ones refused, folder names always safe."""

import hashlib
import re

import pytest
from hypothesis import given, strategies

from tlcore import errors
from tlcore.data import names

FOLDER_NAME_PATTERN = re.compile(r"^[a-z0-9-]*-[0-9a-f]{10}$")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{kind}{n}" for kind in ("com", "lpt") for n in range(1, 10)
}


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("apples", "apples"),
        ("  Red   apples \t", "Red apples"),
        ("Granny\nSmith", "Granny Smith"),
        ("cafe\u0301", "caf\u00e9"),
        ("🍎 Äpfel", "🍎 Äpfel"),
        ("苹果", "苹果"),
        ("👨‍👩‍👧 family", "👨‍👩‍👧 family"),
        ("con", "con"),
        ("...", "..."),
        ("a" * names.MAX_NAME_LENGTH, "a" * names.MAX_NAME_LENGTH),
    ],
)
def test_clean_class_name_accepts_and_tidies(typed, cleaned):
    assert names.clean_class_name(typed) == cleaned


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "empty"),
        ("    ", "empty"),
        ("\t\n", "empty"),
        ("a" * 500, "at most 80 characters"),
        ("a" * (names.MAX_NAME_LENGTH + 1), "at most 80 characters"),
        ("../../etc", "'/'"),
        ("/", "'/'"),
        ("\\", "'/' or '\\\\'"),
        ("apples\\pears", "'\\\\'"),
        (".", "cannot be used"),
        ("..", "cannot be used"),
        ("apple\x00s", "control characters"),
        ("bell\x07", "control characters"),
        ("lone \ud800 surrogate", "control characters"),
    ],
)
def test_clean_class_name_refuses(typed, message):
    with pytest.raises(errors.ClassNameError, match=message):
        names.clean_class_name(typed)


def test_clean_class_name_refuses_what_is_not_text():
    with pytest.raises(errors.ClassNameError):
        names.clean_class_name(None)


def test_class_name_errors_are_value_errors_for_plain_python_callers():
    with pytest.raises(ValueError):
        names.clean_class_name("")


def test_clean_project_name_uses_the_same_rules_and_speaks_of_projects():
    assert names.clean_project_name("  My   groceries ") == "My groceries"
    with pytest.raises(errors.ClassNameError, match="project name"):
        names.clean_project_name("a/b")


def test_new_class_name_is_cleaned():
    assert names.check_new_class_name("  pears ", ["apples"]) == "pears"


def test_new_class_name_differing_only_in_case_is_refused_naming_the_class():
    with pytest.raises(errors.ClassNameError, match="'Apples'"):
        names.check_new_class_name("APPLES", ["pears", "Apples"])


def test_new_class_name_equal_to_an_existing_one_is_refused():
    with pytest.raises(errors.ClassNameError, match="already a class named 'apples'"):
        names.check_new_class_name(" apples", ["apples"])


def test_new_class_name_clash_sees_through_unicode_forms_and_case_folding():
    with pytest.raises(errors.ClassNameError, match="'Café'"):
        names.check_new_class_name("cafe\u0301", ["Café"])
    with pytest.raises(errors.ClassNameError, match="'STRASSE'"):
        names.check_new_class_name("straße", ["STRASSE"])


def test_folder_name_is_a_slug_and_a_hash_of_the_case_folded_name():
    digest = hashlib.sha256(b"red apples").hexdigest()[:10]
    assert names.folder_name_for("Red Apples") == f"red-apples-{digest}"
    assert names.folder_name_for("Red Apples") == names.folder_name_for("red apples")
    assert names.folder_name_for("Red Apples") != names.folder_name_for("Red Pears")


def test_folder_name_keeps_the_letters_of_accented_names():
    assert names.folder_name_for("Crème brûlée").startswith("creme-brulee-")
    assert names.folder_name_for("Straße").startswith("strasse-")


@pytest.mark.parametrize(
    "name",
    ["../../etc", "/", "\\", ".", "..", "con", "NUL", "com1", "LPT9", "a/b\\c", "🍎", "  ", ""],
)
def test_folder_name_is_never_a_path_nor_reserved(name):
    folder_name = names.folder_name_for(name)
    assert FOLDER_NAME_PATTERN.match(folder_name)
    assert "/" not in folder_name and "\\" not in folder_name and "." not in folder_name
    assert folder_name.lower() not in WINDOWS_RESERVED
    assert folder_name.strip(".") != ""


def test_folder_name_of_a_name_without_ascii_is_just_the_hash():
    assert re.fullmatch(r"-[0-9a-f]{10}", names.folder_name_for("苹果"))


def test_folder_name_is_short_even_for_long_names():
    folder_name = names.folder_name_for("x" * 80)
    assert folder_name == "x" * 40 + "-" + folder_name[-10:]
    assert len(names.folder_name_for("a-" * 40)) <= 51
    assert not names.folder_name_for("a-" * 40).startswith("-")


@given(strategies.text())
def test_folder_name_always_matches_the_safe_pattern(name):
    folder_name = names.folder_name_for(name)
    assert FOLDER_NAME_PATTERN.match(folder_name)
    assert folder_name == names.folder_name_for(name)


@given(strategies.text())
def test_clean_class_name_raises_or_returns_a_name_without_separators(name):
    try:
        cleaned_name = names.clean_class_name(name)
    except errors.ClassNameError:
        return
    assert cleaned_name
    assert "/" not in cleaned_name and "\\" not in cleaned_name
    assert cleaned_name not in (".", "..")
    assert cleaned_name == cleaned_name.strip()
    assert len(cleaned_name) <= names.MAX_NAME_LENGTH
    assert names.clean_class_name(cleaned_name) == cleaned_name
