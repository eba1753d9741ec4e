"""In a real browser: Home's example photos, then Predict's "Try one of your set-aside photos".

Screenshots of both go to `test-artifacts/screenshots/` for a person to look at.
"""

import urllib.parse

import pytest
from server_fixtures import chromium, new_page, running_app, screenshot, settle

from tlcore import store
from tlcore.data import examples
from tlcore.training import trainer, types

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NO_SPINNER = "() => !document.querySelector('[data-testid=\"stSpinner\"]')"


@pytest.fixture
def server(tmp_path, engine_environment):
    with running_app(tmp_path / "workspace", tmp_path) as running:
        yield running


@pytest.fixture
def page(server):
    with chromium() as browser:
        yield new_page(browser, 1440, 1500)


def test_the_example_photos_train_and_a_set_aside_photo_is_tried(server, page):
    page.goto(server.address)
    settle(page)
    button = page.get_by_role("button", name="Try the example photos")
    button.wait_for()
    print(screenshot(page, "examples-home"))
    button.click()
    # Adding the photos and switching to Collect takes a few runs of the script.
    page.get_by_text(f"Made {examples.EXAMPLE_PROJECT_NAME} with").wait_for()
    settle(page, 1500)
    print(screenshot(page, "examples-collect"))
    main_text = page.locator('[data-testid="stMain"]').inner_text()
    for class_name in examples.EXAMPLE_CLASS_NAMES:
        assert class_name in main_text

    # The model is trained here, small and fast, into the project the browser made.
    owner = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["owner"][0]
    project = store.Workspace(server.workspace).find_by_name(examples.EXAMPLE_PROJECT_NAME, owner)
    settings = types.TrainingSettings(image_size=96, epochs=15)
    project.save_trained(trainer.train(project.to_dataset(), settings))

    page.goto(f"{server.address}/Predict?owner={project.owner}&project={project.id}")
    # The live camera's component reports its state once it is drawn, a rerun of its own; a
    # press sent at the very moment of that report can be lost in Streamlit (see
    # tlapp/panels/try_photo.py), so the press waits for it, as a person's eye would.
    page.frame_locator("iframe").first.get_by_role("button", name="Start the camera").wait_for()
    settle(page, 1000)
    answers = []
    for _ in range(2):
        page.get_by_role("button", name="Try one of your set-aside photos").click()
        # Each press shows the next class's photo: the answer waited for is a new one, not
        # the one the press before left on the page.
        answer = page.get_by_text("It is really:")
        for earlier in answers:
            answer = answer.filter(has_not_text=earlier)
        answer.wait_for()
        answers.append(answer.inner_text())
        settle(page, 1500)
        assert page.get_by_text("(set aside)").first.is_visible()
    # Away from the button, so that its tooltip does not cover the page, and the heatmap drawn.
    page.mouse.move(5, 5)
    page.wait_for_function(NO_SPINNER, timeout=120_000)
    page.get_by_text("made the model choose").wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    # The list of classes to explain shows, in the browser too, the class the heatmap is of: the
    # one chosen for this photo, not the one of the photo before.
    explained = page.get_by_text("made the model choose").inner_text()
    listed = page.get_by_role("combobox", name="Show the evidence for").input_value()
    assert f"choose {listed};" in explained
    print(screenshot(page, "examples-predict-try-photo"))
