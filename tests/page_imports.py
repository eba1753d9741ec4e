"""Opens Collect (adding a photo) and Export in AppTest, in a fresh process, and prints which
of TensorFlow's modules the web server's process imported: `test_export_jobs` runs it.

Run as `python tests/page_imports.py`, with `TLCORE_WORKSPACE` naming a workspace whose project
`PAGE_PROJECT` (owned by `PAGE_OWNER`) has a class; the output's last line is JSON.
"""

import json
import os
import pathlib
import sys

from streamlit.testing.v1 import AppTest

TESTS = pathlib.Path(__file__).resolve().parent
HEAVY_MODULES = ("tensorflow", "keras", "tlcore.nets.model", "tlcore.training.trainer")


def main() -> None:
    sys.path[:0] = [str(TESTS), str(TESTS.parent)]
    from app_fixtures import APP_FILE, as_uploads, tiny_photo

    app = AppTest.from_file(str(APP_FILE), default_timeout=120)
    app.query_params.update(
        {"owner": os.environ["PAGE_OWNER"], "project": os.environ["PAGE_PROJECT"]}
    )
    app.run()
    app.switch_page("pages/1_Collect.py").run()
    uploader = next(item for item in app.file_uploader if item.key.startswith("upload_"))
    uploader.set_value(as_uploads([("new.jpg", tiny_photo((200, 30, 30), size=64))]))
    app.run()
    collect_errors = [str(item.value) for item in app.error] + [str(item) for item in app.exception]
    app.switch_page("pages/5_Export.py").run()
    downloads = [item.key for item in app.get("download_button")]
    export_errors = [str(item.value) for item in app.error] + [str(item) for item in app.exception]
    # A project file opened here is queued for a worker (none runs: it stays queued).
    uploader = next(item for item in app.file_uploader if item.key.startswith("project_file_"))
    model_file = pathlib.Path(os.environ["PAGE_MODEL_FILE"])
    uploader.set_value(("Copy.zip", model_file.read_bytes(), "application/zip"))
    app.run()
    export_errors += [str(item.value) for item in app.error] + [str(item) for item in app.exception]
    importing = any(button.key == "cancel_import_button" for button in app.button)
    heavy = [name for name in HEAVY_MODULES if name in sys.modules]
    print(
        json.dumps(
            {
                "heavy": heavy,
                "errors": collect_errors + export_errors,
                "downloads": downloads,
                "importing": importing,
            }
        )
    )


if __name__ == "__main__":
    main()
