"""Hostile names for classes and projects: each is refused with a message, or accepted and
stored under a folder name that is never a path.

The names come from `hostile_corpus.HOSTILE_NAMES`; property-based tests then try arbitrary
text. The tests carry the `reliability` marker, so their outcomes are rows of
docs/reliability.md.
"""

import ntpath
import os
import pathlib
import posixpath
import re

import hostile_corpus
import imagefactory
import pytest
from hypothesis import given, settings, strategies

from tlcore import errors
from tlcore.data import datasets, loading, names

SAFE_FOLDER_NAME = re.compile(r"^[a-z0-9-]*-[0-9a-f]{10}$")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{kind}{number}" for kind in ("com", "lpt") for number in range(1, 10)
}
CLEANERS = {"class": names.clean_class_name, "project": names.clean_project_name}


def assert_safe_folder_name(folder_name: str, root: pathlib.Path) -> None:
    """Checks that a folder name is one harmless path component on every system."""
    assert SAFE_FOLDER_NAME.match(folder_name), folder_name
    assert folder_name not in ("", ".", "..")
    assert folder_name.split(".")[0].lower() not in WINDOWS_RESERVED
    assert posixpath.basename(folder_name) == folder_name
    assert ntpath.basename(folder_name) == folder_name
    assert len(folder_name) <= 51
    joined = os.path.normpath(os.path.join(root, folder_name))
    assert os.path.dirname(joined) == os.path.normpath(root)


def name_params() -> list:
    """Returns the hostile names as parameters, for class names and for project names."""
    return [
        pytest.param(
            kind,
            case,
            id=f"{kind}-{case.key}",
            marks=case.param("Names", f"names.clean_{kind}_name").marks,
        )
        for case in hostile_corpus.HOSTILE_NAMES
        for kind in CLEANERS
    ]


@pytest.mark.parametrize(("kind", "case"), name_params())
def test_hostile_name(kind, case, tmp_path):
    clean = CLEANERS[kind]
    if case.expect == hostile_corpus.REFUSED:
        with pytest.raises(errors.ClassNameError) as caught:
            clean(case.name)
        message = str(caught.value)
        assert case.message in message
        assert f"{kind} name" in message
        assert "Traceback" not in message and "Error" not in message
        return
    cleaned_name = clean(case.name)
    assert cleaned_name == (case.cleaned if case.cleaned is not None else case.name)
    folder_name = names.folder_name_for(cleaned_name)
    assert_safe_folder_name(folder_name, tmp_path)
    # The folder is made for real: a name that became a path would land elsewhere.
    (tmp_path / folder_name).mkdir()
    assert [path.name for path in tmp_path.iterdir()] == [folder_name]


def zip_folder_params() -> list:
    """The hostile names that a zip can hold as the name of a class folder.

    Names with a separator become several folders, and names starting with a dot are hidden
    folders, ignored on purpose; their handling is tested with the zips of the corpus.
    """
    return [
        case.param("Names", "data.loading.load_zip (as a class folder)")
        for case in hostile_corpus.HOSTILE_NAMES
        if case.name.strip()
        and not {"/", "\\", "\x00"} & set(case.name)
        and not case.name.startswith(".")
    ]


@pytest.mark.parametrize("case", zip_folder_params())
def test_hostile_name_as_a_class_folder_of_a_zip(case):
    entries = hostile_corpus.good_zip_entries() | {
        f"{case.name}/photo.png": imagefactory.make_png_bytes()
    }
    dataset = loading.load_zip(imagefactory.make_zip_bytes(entries))
    if case.expect == hostile_corpus.REFUSED:
        assert dataset.counts() == hostile_corpus.GOOD_ZIP_COUNTS
        assert [skipped.file_name for skipped in dataset.skipped] == [f"{case.name}/photo.png"]
        assert "cannot be used as a class name" in dataset.skipped[0].reason
    else:
        cleaned_name = case.cleaned if case.cleaned is not None else case.name
        assert dataset.counts() == hostile_corpus.GOOD_ZIP_COUNTS | {cleaned_name: 1}
        assert dataset.skipped == []


@pytest.mark.reliability(
    area="Names",
    case="two names that differ only in case (Apples, APPLES)",
    through="data.names.check_new_class_name, data.datasets.Dataset",
    expected="the second refused, naming the first",
)
def test_names_differing_only_in_case_are_one_class():
    first, second = hostile_corpus.CASE_TWINS
    assert names.check_new_class_name(first, []) == first
    with pytest.raises(errors.ClassNameError, match=f"'{first}'"):
        names.check_new_class_name(second, [first])
    # They would share a folder, which is why the second is refused.
    assert names.folder_name_for(first) == names.folder_name_for(second)
    with pytest.raises(errors.DatasetError, match="differ only in capital letters"):
        datasets.Dataset([first, second], [])


# Properties over arbitrary text.

# Pieces of hostile names, so that the drawn text often holds several at once.
HOSTILE_PIECES = (
    "..",
    ".",
    "/",
    "\\",
    "con",
    "NUL",
    "com1",
    " ",
    "\t",
    "\x00",
    "\u200b",
    "\u202e",
    "🍎",
    "👨‍👩‍👧",
    "é",
    "e\u0301",
    "苹果",
    "ß",
    "C:",
    "~",
    "$HOME",
    "%",
    "*",
)

NAME_TEXT = strategies.one_of(
    strategies.text(max_size=120),
    strategies.lists(strategies.sampled_from(HOSTILE_PIECES), max_size=12).map("".join),
)


@pytest.mark.reliability(
    area="Properties",
    case="arbitrary text as a class or project name (2 x 200 examples)",
    through="data.names.clean_class_name, data.names.clean_project_name",
    expected="refused with ClassNameError, or a safe single folder name inside its root",
)
@pytest.mark.parametrize("kind", list(CLEANERS))
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(name=NAME_TEXT)
def test_any_name_is_refused_or_stored_under_a_safe_folder(kind, name):
    root = pathlib.Path("/workspace/projects")
    try:
        cleaned_name = CLEANERS[kind](name)
    except errors.ClassNameError as error:
        assert f"{kind} name" in str(error)
        return
    assert cleaned_name == cleaned_name.strip()
    assert "/" not in cleaned_name and "\\" not in cleaned_name
    assert len(cleaned_name) <= names.MAX_NAME_LENGTH
    assert_safe_folder_name(names.folder_name_for(cleaned_name), root)
    assert CLEANERS[kind](cleaned_name) == cleaned_name
