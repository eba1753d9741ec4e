"""The process-wide locks of a project's model files, and what this process tidied.

Metadata changes are database transactions (`tlcore.store.database`), which hold across
processes; these locks only keep two threads of one process from replacing a project's model
files (`model.zip`, `training.json`) at once.
"""

import threading
from pathlib import Path

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()

# The folders (the workspace, its projects) whose leftovers this process has already removed.
_tidied: set[str] = set()


def lock_for(folder: Path) -> threading.RLock:
    """Returns the process-wide lock of one folder (a project, or the workspace itself)."""
    key = str(Path(folder).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


def claim_tidying(folder: Path) -> bool:
    """Tells whether this process has yet to remove a folder's leftovers, and claims the task.

    Args:
        folder: The workspace or project folder.

    Returns:
        True the first time this process asks about the folder, False after.
    """
    key = str(Path(folder).resolve())
    with _locks_guard:
        first_time = key not in _tidied
        _tidied.add(key)
    return first_time
