"""Messages kept for the next run (`tlapp.state.add_message`) outlive a rerun the page makes
by itself, stay on the page that showed them, and go after `MESSAGE_SECONDS`."""

from app_fixtures import FAST_PAGE_TIMEOUT
from streamlit.testing.v1 import AppTest

from tlapp import state


def page_with_a_message():
    """A page whose button keeps a message and reruns, as the import panel does; a second
    page's title can be asked for with the session's "page" value."""
    import streamlit as st

    from tlapp import state

    if st.button("Open", key="open"):
        state.add_message("success", "Opened the project with its trained model")
        st.rerun()
    state.page_title(st.session_state.get("page", "4 · Predict"))


def shown(app: AppTest) -> list[str]:
    return [element.value for element in app.success]


def test_a_message_outlives_a_rerun_the_page_makes_by_itself():
    app = AppTest.from_function(page_with_a_message, default_timeout=FAST_PAGE_TIMEOUT).run()
    app.button(key="open").click().run()
    assert shown(app) == ["Opened the project with its trained model"]
    # A rerun nobody asked for (the live camera's component reporting its state).
    app.run()
    assert shown(app) == ["Opened the project with its trained model"]


def test_a_message_stays_on_the_page_that_showed_it():
    app = AppTest.from_function(page_with_a_message, default_timeout=FAST_PAGE_TIMEOUT).run()
    app.button(key="open").click().run()
    app.session_state["page"] = "5 · Export"
    app.run()
    assert shown(app) == []


def test_a_message_goes_after_its_seconds(monkeypatch):
    monkeypatch.setattr(state, "MESSAGE_SECONDS", 0.0)
    app = AppTest.from_function(page_with_a_message, default_timeout=FAST_PAGE_TIMEOUT).run()
    app.button(key="open").click().run()
    assert shown(app) == ["Opened the project with its trained model"]
    app.run()
    assert shown(app) == []


def test_a_new_message_takes_the_place_of_those_already_shown():
    app = AppTest.from_function(page_with_a_message, default_timeout=FAST_PAGE_TIMEOUT).run()
    app.button(key="open").click().run()
    app.button(key="open").click().run()
    assert shown(app) == ["Opened the project with its trained model"]
