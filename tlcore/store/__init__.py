"""The app's projects on disk: classes, photos and trained models, saved as they are added.

A workspace is one folder (`TLCORE_WORKSPACE`, or `~/.tlcore/workspace`) holding one
sub-folder per project, named by a random id that never derives from what a person typed:

    <root>/tlcore.db                      the database: projects, share links, classes, the
                                          index of photos, and the jobs' records
    <root>/<project_id>/photos/<folder>/<content_hash>.<ext>   the original bytes of each photo
    <root>/<project_id>/model.zip         the last trained model (a tlcore project file)
    <root>/<project_id>/training.json     its history and evaluation, readable without Keras
    <root>/.cache/embeddings/             photo features shared by every project

Every file write goes to a temporary file first and is moved into place with `os.replace`, so
a crash never leaves a half-written file, and every change of metadata is one database
transaction that holds the write lock, so two tabs, web servers or workers on the same
project never overwrite each other's changes (`database`). Temporary files a killed server
left behind are never read, and are removed when the project is next opened. A full disk ends
a write with a `DiskFullError` and leaves the project as it was. A workspace made before the
database (a `project.json` per project) is imported when it is first opened (`migration`).

A project belongs to the owner token that made it, and its names are unique among that owner's
projects only; `Workspace.open_as` lets in its owner and the holders of its share links
(`tlcore.store.access`), and a project opened so refuses the changes its caller may not make.

A server shown to strangers needs bounds: `Limits` caps the photos of a project, the bytes of
one upload, and the projects of the workspace and of one owner. Each limit has a default fit for
a real server and can be set by an environment variable (`TLCORE_MAX_PHOTOS_PER_PROJECT`,
`TLCORE_MAX_UPLOAD_BYTES`, `TLCORE_MAX_PROJECTS_PER_WORKSPACE`, `TLCORE_MAX_PROJECTS_PER_OWNER`).

It may import: `tlcore.serving`, `tlcore.training`, `tlcore.evaluation`, `tlcore.checks`,
`tlcore.features`, `tlcore.nets`, `tlcore.data` and the root modules. It keeps project files
(`tlcore.serving.project_file`), so it sits above them; the jobs sit above it.

- `database`: the one connection to the workspace's database (`TLCORE_DATABASE_URL`, default
  `<workspace>/tlcore.db`, SQLite in WAL mode), its schema and migrations, its transactions;
- `postgres`: the same SQL on PostgreSQL;
- `project_rows`: a project's metadata read from its rows, and written back by difference;
- `migration`: old `project.json` files imported, and kept as `project.json.migrated`;
- `locks`: the process-wide lock of a project's model files, and what this process tidied;
- `records`: file names, limits, and the records handed out (`StoredPhoto`, `ProjectClass`,
  `AddResult`, `TrainingRecord`);
- `access`: who may open and change a project: its owner, and its share links;
- `class_entries`: a project's classes in its metadata, found and added;
- `photo_files`: photos checked, stored under their content hash, moved between classes;
- `photo_changes`: photos added to a project, moved and removed;
- `project_changes`: a project's classes and photos changed (`Project`'s methods);
- `model_files`: a project's trained model and its summary, replaced together;
- `project_model`: a project's trained model kept, restored and loaded (`Project`'s methods);
- `corrections`: a corrected photo kept in its class (the web server's part of teaching);
- `project`: `Project`, one project's classes, photos and model;
- `shared_with`: the projects each visitor opened through a share link, for their Home;
- `workspace`: `Workspace`, the folder of all projects.

Callers use the names below: `from tlcore import store`, then `store.Workspace(root)`.
"""

from tlcore.errors import DiskFullError, WorkspaceError
from tlcore.store.project import Project
from tlcore.store.records import (
    MAX_PHOTOS_PER_PROJECT,
    MAX_PROJECTS_PER_OWNER,
    MAX_PROJECTS_PER_WORKSPACE,
    MAX_UPLOAD_BYTES,
    MODEL_FILE,
    PHOTOS_FOLDER,
    PROJECT_FILE,
    TRAINING_FILE,
    AddResult,
    Limits,
    ProjectClass,
    StoredPhoto,
    TrainingRecord,
    is_project_id,
)
from tlcore.store.workspace import (
    DEFAULT_WORKSPACE,
    WORKSPACE_ENVIRONMENT_VARIABLE,
    Workspace,
    default_root,
)

__all__ = [
    "DEFAULT_WORKSPACE",
    "MAX_PHOTOS_PER_PROJECT",
    "MAX_PROJECTS_PER_OWNER",
    "MAX_PROJECTS_PER_WORKSPACE",
    "MAX_UPLOAD_BYTES",
    "MODEL_FILE",
    "PHOTOS_FOLDER",
    "PROJECT_FILE",
    "TRAINING_FILE",
    "WORKSPACE_ENVIRONMENT_VARIABLE",
    "AddResult",
    "DiskFullError",
    "Limits",
    "Project",
    "ProjectClass",
    "StoredPhoto",
    "TrainingRecord",
    "Workspace",
    "WorkspaceError",
    "default_root",
    "is_project_id",
]
