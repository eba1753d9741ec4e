"""Classes taken in one sitting reach the Train page's next steps from training itself, with
no data check run first."""

import pytest
from app_fixtures import (  # noqa: F401
    APP_FILE,
    SLOW_PAGE_TIMEOUT,
    app_workspace_fixture,
    grocery_photos,
)
from engine_fixtures import TEST_IMAGE_SIZE
from streamlit.testing.v1 import AppTest
from test_health import one_sitting

from tlcore import store
from tlcore.evaluation import next_steps
from tlcore.training import trainer, types

pytestmark = pytest.mark.slow


def test_training_finds_the_class_taken_in_one_sitting_for_the_next_steps(app_workspace):
    project = store.Workspace(app_workspace).create_project(
        "Shop", "owner-token-for-one-sitting-tests"
    )
    for class_name in ("Banana", "Carrots", "Red-Bell-Pepper"):
        project.add_class(class_name)
        project.add_photos(class_name, grocery_photos(class_name, 8))
    project.add_class("Watermelon")
    project.add_photos("Watermelon", one_sitting(8))

    settings = types.TrainingSettings(epochs=3, image_size=TEST_IMAGE_SIZE)
    trained = trainer.train(project.to_dataset(), settings)
    assert trained.one_sitting == ["Watermelon"]
    project.save_trained(trained)
    record = project.training_record()
    assert record.one_sitting == ["Watermelon"]
    steps = next_steps.next_steps(record.evaluation, project.photo_counts(), record.one_sitting)
    assert any(step.classes == ("Watermelon",) for step in steps)

    # The Train page lists it in a fresh session, with no data check run.
    app = AppTest.from_file(str(APP_FILE), default_timeout=SLOW_PAGE_TIMEOUT)
    app.query_params.update({"owner": project.owner, "project": project.id})
    app.run()
    app = app.switch_page("pages/2_Train.py").run()
    assert not app.exception
    shown = "\n".join(str(item.value) for item in app.markdown)
    assert "Photos from another day, place or light" in shown
