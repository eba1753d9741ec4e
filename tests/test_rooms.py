"""The rooms of `tlcore` and `tlapp`: each package's docstring names its modules, and the engine's
imports point one way, as each room's "It may import" line says."""

import ast
import importlib
import pathlib
import re

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
# An index line: "- `name`: what it holds."
INDEX_LINE = re.compile(r"^- `([\w.]+)`: ", re.MULTILINE)
ROOT_MODULES = ("errors", "wording", "time_left", "files")


def packages() -> list[pathlib.Path]:
    """Every package folder of the engine and the app."""
    return sorted(
        init.parent
        for top in ("tlcore", "tlapp")
        for init in (REPOSITORY / top).rglob("__init__.py")
    )


def dotted(folder: pathlib.Path) -> str:
    return ".".join(folder.relative_to(REPOSITORY).parts)


def direct_modules(folder: pathlib.Path) -> set[str]:
    """The modules and sub-packages right inside a package folder."""
    names = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    names |= {child.name for child in folder.iterdir() if (child / "__init__.py").is_file()}
    return names


@pytest.mark.parametrize("folder", packages(), ids=dotted)
def test_every_module_is_in_its_package_index_once_and_every_entry_is_a_module(folder):
    docstring = importlib.import_module(dotted(folder)).__doc__ or ""
    listed = INDEX_LINE.findall(docstring)
    assert len(listed) == len(set(listed)), "a module is listed twice"
    modules = direct_modules(folder)
    assert not sorted(modules - set(listed)), f"add to {folder}/__init__.py's index"
    assert not sorted(set(listed) - modules), f"gone, yet in {folder}/__init__.py's index"


def room_of(module: str) -> str | None:
    """The room of a dotted engine module: `data` for `tlcore.data.images`, `root` for
    `tlcore.errors`; None outside the engine."""
    parts = module.split(".")
    if parts[0] != "tlcore":
        return None
    if len(parts) == 1 or parts[1] in ROOT_MODULES:
        return "root"
    if parts[1] in ("cli", "__main__"):
        return "cli"
    return parts[1]


def allowed_rooms() -> dict[str, set[str]]:
    """Each room's "It may import" line, read from its docstring."""
    allowed = {"root": {"root"}}
    for folder in packages():
        name = dotted(folder)
        if not name.startswith("tlcore."):
            continue
        docstring = importlib.import_module(name).__doc__
        line = re.search(r"It may import: (.*?)\.(\s|$)", " ".join(docstring.split()))
        assert line, f"{name}'s docstring lacks its 'It may import:' line"
        rooms = {room_of(found) for found in re.findall(r"`(tlcore\.\w+)`", line.group(1))}
        assert "the root modules" in line.group(1), f"{name} says nothing of the root modules"
        allowed[folder.name] = rooms | {"root", folder.name}
    return allowed


def engine_imports():
    """Yields (module, imported module) for every import in the engine, functions' included."""
    for path in sorted((REPOSITORY / "tlcore").rglob("*.py")):
        parts = path.relative_to(REPOSITORY).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    yield module, f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield module, alias.name
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                yield module, node.args[0].value


def test_the_engines_imports_point_one_way():
    allowed = allowed_rooms()
    wrong = []
    for module, imported in engine_imports():
        room, target = room_of(module), room_of(imported)
        if room == "cli" or target is None:
            continue
        if target not in allowed[room]:
            wrong.append(f"{module} imports {imported}")
    assert not wrong, "imports against the rooms' order:\n" + "\n".join(wrong)


def test_the_engine_never_imports_the_app_or_streamlit():
    wrong = [
        f"{module} imports {imported}"
        for module, imported in engine_imports()
        if imported.split(".")[0] in ("tlapp", "streamlit", "pages")
    ]
    assert not wrong, wrong


def test_the_layer_check_sees_a_wrong_import():
    allowed = allowed_rooms()
    assert "training" not in allowed["data"]
    assert "data" in allowed["training"]
    assert room_of("tlcore.store.files") == "store" and room_of("tlcore.files") == "root"
