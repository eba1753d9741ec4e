"""The module index of `tlcore`'s docstring names every module of the package, and only those."""

import pathlib
import re

import tlcore

PACKAGE = pathlib.Path(tlcore.__file__).parent
# An index line: "- `name`: what it holds."
INDEX_LINE = re.compile(r"^- `([\w.]+)`: ", re.MULTILINE)


def package_modules() -> set[str]:
    """Every module and sub-package of tlcore, dotted below it: `training`, `store.files`."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.add(".".join(parts))
    return names


def test_every_module_is_in_the_index_once_and_every_entry_is_a_module():
    listed = INDEX_LINE.findall(tlcore.__doc__)
    assert len(listed) == len(set(listed)), "a module is listed twice"
    modules = package_modules()
    unlisted = sorted(modules - set(listed))
    assert not unlisted, f"add these modules to tlcore/__init__.py's index: {unlisted}"
    gone = sorted(set(listed) - modules)
    assert not gone, f"these modules in tlcore/__init__.py's index no longer exist: {gone}"
