"""Names that people give to classes and projects, checked before they are used.

A name is what a person typed or what a folder was called. It is shown in the app as it is,
but it is never used raw as a file or folder name: `folder_name_for` turns it into a safe one.
"""

import collections.abc
import hashlib
import re
import unicodedata

from tlcore import errors

MAX_NAME_LENGTH = 80
"""The most characters a class or project name may have, after cleaning."""

# The ASCII part of a folder name is capped so that the whole folder name stays short.
_MAX_SLUG_LENGTH = 40
_HASH_LENGTH = 10
_NOT_SLUG_CHARACTERS = re.compile(r"[^a-z0-9]+")


def clean_class_name(name: str) -> str:
    """Cleans a class name and checks that it can be used.

    Leading and trailing spaces are removed, every run of whitespace inside (spaces, tabs, line
    breaks) becomes one space, and the text is put in Unicode NFC form, so that the same visible
    name is always the same string. Emoji and every script are accepted.

    Args:
        name: The name as the person typed it, or as a folder was called.

    Returns:
        The cleaned name.

    Raises:
        ClassNameError: The name is empty (or made only of invisible characters), longer than
            `MAX_NAME_LENGTH`, contains `/`, `\\` or control characters, or is `.` or `..`.
    """
    return _clean_name(name, "class")


def clean_project_name(name: str) -> str:
    """Cleans a project name with the same rules as `clean_class_name`.

    Args:
        name: The name as the person typed it.

    Returns:
        The cleaned name.

    Raises:
        ClassNameError: The name breaks one of the rules of `clean_class_name`; the message
            speaks of a project name.
    """
    return _clean_name(name, "project")


def comparison_key(name: str) -> str:
    """Returns the form of a name used to tell whether two names are the same.

    Two names with the same key differ only in letter case (or in Unicode form), so a person
    would take them for the same class.

    Args:
        name: Any name.

    Returns:
        The name in NFC form, case-folded.
    """
    # Case folding can undo NFC composition, so the result is normalised again.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def check_new_class_name(name: str, existing_names: collections.abc.Iterable[str]) -> str:
    """Cleans the name of a class about to be added and checks it against the existing classes.

    Args:
        name: The new name as the person typed it.
        existing_names: The names of the classes that already exist.

    Returns:
        The cleaned name.

    Raises:
        ClassNameError: The name cannot be used (see `clean_class_name`), or a class with the
            same name, or one that differs only in letter case, already exists.
    """
    cleaned_name = clean_class_name(name)
    new_key = comparison_key(cleaned_name)
    for existing_name in existing_names:
        if comparison_key(existing_name) != new_key:
            continue
        if unicodedata.normalize("NFC", existing_name) == cleaned_name:
            raise errors.ClassNameError(
                f"There is already a class named '{existing_name}'. Choose another name."
            )
        raise errors.ClassNameError(
            f"'{cleaned_name}' is too close to the existing class '{existing_name}': class names "
            "that differ only in capital letters would be confused. Choose another name, or "
            f"add the photos to '{existing_name}'."
        )
    return cleaned_name


def folder_name_for(name: str) -> str:
    """Returns a safe folder name for a class or project name.

    The folder name is an ASCII slug of the name (lowercase letters, digits and `-`, at most 40
    characters, empty for a name with no ASCII letters or digits), a `-`, and the first 10 hex
    digits of the SHA-256 of the case-folded name. It therefore never holds a path separator or a
    dot, is never `.`, `..` or a Windows reserved name such as `con`, and is the same on every
    run and every machine. Names that differ only in case get the same folder, which is why such
    names are refused as separate classes.

    Args:
        name: Any text; it is normally a name already cleaned by `clean_class_name`.

    Returns:
        A folder name matching `^[a-z0-9-]*-[0-9a-f]{10}$`.
    """
    key = comparison_key(name)
    # Decomposing the name splits accented letters into a base letter and an accent, so that
    # dropping what is not ASCII keeps "e" from "é" instead of losing the letter.
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG_CHARACTERS.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:_MAX_SLUG_LENGTH].rstrip("-")
    # Lone surrogates cannot be encoded as plain UTF-8, so they are passed through as they are.
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{slug}-{digest[:_HASH_LENGTH]}"


def _clean_name(name: str, kind: str) -> str:
    """Cleans a name and checks it, for `clean_class_name` and `clean_project_name`.

    Args:
        name: The name to clean.
        kind: "class" or "project", the word used in messages.

    Returns:
        The cleaned name.

    Raises:
        ClassNameError: The name cannot be used.
    """
    if not isinstance(name, str):
        raise errors.ClassNameError(f"A {kind} name must be text.")
    # Python's notion of whitespace covers tabs and line breaks, so they become single spaces.
    cleaned_name = " ".join(unicodedata.normalize("NFC", name).split())
    # Zero-width characters (format characters, category Cf) are invisible, so a name made of
    # them and spaces alone would look empty.
    if all(unicodedata.category(character) in ("Cf", "Zs") for character in cleaned_name):
        raise errors.ClassNameError(f"A {kind} name cannot be empty. Type a name.")
    if len(cleaned_name) > MAX_NAME_LENGTH:
        raise errors.ClassNameError(
            f"'{cleaned_name[:30]}...' is too long: a {kind} name can have at most "
            f"{MAX_NAME_LENGTH} characters, and this one has {len(cleaned_name)}."
        )
    if "/" in cleaned_name or "\\" in cleaned_name:
        raise errors.ClassNameError(
            f"'{cleaned_name}' cannot be used: a {kind} name cannot contain '/' or '\\'."
        )
    if cleaned_name in (".", ".."):
        raise errors.ClassNameError(
            f"'{cleaned_name}' cannot be used as a {kind} name. Use letters or digits."
        )
    # Control characters (category Cc) and lone surrogates (Cs) are invisible or unprintable;
    # format characters (Cf) stay allowed because emoji sequences are joined with them.
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in cleaned_name):
        raise errors.ClassNameError(
            f"A {kind} name cannot contain invisible control characters. Retype the name."
        )
    return cleaned_name
