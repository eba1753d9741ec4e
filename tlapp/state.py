"""What every page shares: the browser's owner token, the open project, messages, errors.

The owner token and the open project's id live in the URL (`?owner=...&project=...`) and in
the session, so a reload, a restart of the server or a bookmark brings the same projects back,
and two people on the same server only see their own projects. The owner token is the key to
them: a project someone else opens came through a share link (`?project=...&share=...`) that
its owner made, and the share token rides along in the URL and the session the same way.
"""

import contextlib
import datetime
import re
import secrets
import time
from collections.abc import Iterator

import streamlit as st

from tlapp import messages
from tlapp.jobs import workers
from tlcore import errors, store, wording
from tlcore.store import access

OWNER_PARAMETER = "owner"
PROJECT_PARAMETER = "project"
SHARE_PARAMETER = "share"

_OWNER_KEY = "owner_token"
_PROJECT_KEY = "project_id"
_SHARE_KEY = "share_token"
_MESSAGES_KEY = "pending_messages"
MESSAGE_SECONDS = 6.0
"""How long a message kept for the next run stays on the page once shown (`show_messages`)."""
_OWNER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

APP_TITLE = "Photo Classifier Trainer"

#: The pages, in the order of the four steps, as (path, label, icon).
HOME_PAGE = ("app.py", "Home", ":material/home:")
COLLECT_PAGE = ("pages/1_Collect.py", "Collect photos", ":material/photo_library:")
TRAIN_PAGE = ("pages/2_Train.py", "Train", ":material/model_training:")
EVALUATE_PAGE = ("pages/3_Evaluate.py", "Evaluate", ":material/fact_check:")
PREDICT_PAGE = ("pages/4_Predict.py", "Predict", ":material/image_search:")
EXPORT_PAGE = ("pages/5_Export.py", "Export", ":material/download:")
CHECK_DATA_PAGE = ("pages/6_Check_data.py", "Check your data", ":material/rule:")


def set_up_page(title: str) -> None:
    """Sets the browser tab's title and the wide layout; call first on every page.

    Args:
        title: The page's name, shown before the app's name in the browser tab.
    """
    st.set_page_config(
        page_title=f"{title} · {APP_TITLE}",
        page_icon=":material/photo_camera:",
        layout="wide",
    )


def open_workspace() -> store.Workspace:
    """Returns the workspace named by `TLCORE_WORKSPACE` (or the default folder)."""
    return store.Workspace.from_environment()


def owner_token() -> str:
    """Returns this browser's owner token, making one on the first visit.

    The token is kept in the session and written back into the URL on every page, because
    moving between pages may drop the URL's parameters.

    Returns:
        The token.
    """
    token = st.session_state.get(_OWNER_KEY) or st.query_params.get(OWNER_PARAMETER, "")
    if not _OWNER_PATTERN.match(token or ""):
        token = secrets.token_urlsafe(16)
    st.session_state[_OWNER_KEY] = token
    if st.query_params.get(OWNER_PARAMETER) != token:
        st.query_params[OWNER_PARAMETER] = token
    return token


def current_project(space: store.Workspace, owner: str) -> store.Project | None:
    """Returns the project open in this browser, or None.

    It is opened afresh on every run for this browser's owner token or share token, so a
    project deleted in another tab, someone else's project named in a typed or guessed link,
    or one whose share link was withdrawn, closes itself here with a message.

    Args:
        space: The workspace.
        owner: This browser's owner token.

    Returns:
        The open project, freshly read from disk, with what this browser may do with it
        (`Project.access`), or None.
    """
    project_id = st.session_state.get(_PROJECT_KEY) or st.query_params.get(PROJECT_PARAMETER, "")
    if not project_id:
        return None
    share_token = st.session_state.get(_SHARE_KEY) or st.query_params.get(SHARE_PARAMETER, "")
    try:
        project = space.open_as(project_id, owner, share_token)
    except errors.TlcoreError as error:
        close_project()
        add_message("warning", str(error))
        return None
    open_project(project)
    return project


def open_project(project: store.Project) -> None:
    """Makes a project the open one in this browser, with the share token it came through.

    Args:
        project: The project to open.
    """
    _remember(_PROJECT_KEY, PROJECT_PARAMETER, project.id)
    _remember(_SHARE_KEY, SHARE_PARAMETER, project.access.share_token)


def close_project() -> None:
    """Closes the open project (it stays on disk)."""
    _remember(_PROJECT_KEY, PROJECT_PARAMETER, "")
    _remember(_SHARE_KEY, SHARE_PARAMETER, "")


def changes_allowed(project: store.Project, notice: bool = True) -> bool:
    """Tells whether this browser may change the open project; the guard of every page.

    Someone who opened the project through a view-only share link may look at everything,
    but the controls that change it are disabled or hidden, and this says why, once, under
    the page's title. (The engine refuses their changes too: `tlcore.store.access`.)

    Args:
        project: The open project.
        notice: Whether to show the line saying they can only look, when they can.

    Returns:
        Whether classes, photos and models may be changed.
    """
    if project.access.can_change:
        return True
    if notice:
        st.info(
            f"**{project.name}** was shared with you to look at: you can see its photos, "
            "figures and answers, but not change anything. Ask its owner for an edit link to "
            "change it.",
            icon=":material/visibility:",
        )
    return False


def share_address(project: store.Project, token: str) -> str:
    """Returns the address of a share link: the app's Home with the project and the token.

    It never carries the owner token, which stays the owner's key to all their projects.
    Call it on Home, whose address is the app's own.

    Args:
        project: The shared project.
        token: The share link's token.

    Returns:
        The full address when the browser told it (`st.context.url`), else one from `/`.
    """
    home = (st.context.url or "").split("?")[0].rstrip("/")
    return f"{home}/?{PROJECT_PARAMETER}={project.id}&{SHARE_PARAMETER}={token}"


def _remember(session_key: str, parameter: str, value: str) -> None:
    """Keeps a value in the session and the URL, or removes it from both when empty."""
    if value:
        st.session_state[session_key] = value
        if st.query_params.get(parameter) != value:
            st.query_params[parameter] = value
        return
    st.session_state.pop(session_key, None)
    if parameter in st.query_params:
        del st.query_params[parameter]


def start_page(title: str) -> tuple[store.Workspace, str, store.Project | None]:
    """Does what every page does first: browser tab title, owner, open project, sidebar.

    Args:
        title: The page's name for the browser tab.

    Returns:
        The workspace, the owner token and the open project (or None).
    """
    set_up_page(title)
    space = open_workspace()
    workers.start_if_jobs_wait(space.root)
    owner = owner_token()
    project = current_project(space, owner)
    show_sidebar(project)
    return space, owner, project


def show_sidebar(project: store.Project | None) -> None:
    """Shows the app's own navigation: the open project, then a link to each step.

    The links carry the owner token and the open project in the address, so they survive
    moving between pages and can be bookmarked.

    Args:
        project: The open project, or None.
    """
    address = _address()
    with st.sidebar:
        st.markdown(f"### :material/photo_camera: {APP_TITLE}")
        if project is not None:
            with st.container(border=True):
                st.markdown(f"**{project.name}**")
                st.caption(" · ".join(messages.project_facts(project)))
                if not project.access.is_owner:
                    st.caption(
                        ":material/share: Shared with you: you "
                        + access.SHARE_ROLES.get(project.access.role, "")
                    )
        else:
            st.caption("No project open yet: start on Home.")
        for page, label in (
            (HOME_PAGE, "Home"),
            (COLLECT_PAGE, "1 · Collect photos"),
            (TRAIN_PAGE, "2 · Train"),
            (EVALUATE_PAGE, "3 · Evaluate"),
            (PREDICT_PAGE, "4 · Predict"),
            (EXPORT_PAGE, "5 · Export"),
            (CHECK_DATA_PAGE, "Check your data"),
        ):
            path, _, icon = page
            st.page_link(path, label=label, icon=icon, query_params=address, width="stretch")


def require_project(project: store.Project | None) -> store.Project:
    """Stops the page with a pointer to Home when no project is open.

    Args:
        project: The open project, or None.

    Returns:
        The project, when there is one.
    """
    if project is None:
        # Says why, when the link named a project that was not found (`current_project`).
        show_messages()
        st.info(
            "Open a project first: on Home, create a new one, try the example photos, or "
            "open one of your saved projects."
        )
        page_link(HOME_PAGE)
        st.stop()
    return project


def page_link(page: tuple[str, str, str], label: str | None = None) -> None:
    """Shows a link to one of the app's pages.

    Args:
        page: One of the page constants of this module.
        label: The link text; the page's name when None.
    """
    path, name, icon = page
    st.page_link(path, label=label or name, icon=icon, query_params=_address())


def add_message(kind: str, text: str) -> None:
    """Keeps a message to show at the top of the next runs of the page (after `st.rerun`),
    for `MESSAGE_SECONDS` (`show_messages`).

    Args:
        kind: "success", "info", "warning" or "error".
        text: The message, in Markdown.
    """
    # A new message is about the person's latest action: those of earlier ones, already
    # shown, give way to it.
    waiting = [
        message for message in st.session_state.get(_MESSAGES_KEY, []) if message["until"] is None
    ]
    waiting.append({"kind": kind, "text": text, "page": None, "until": None})
    st.session_state[_MESSAGES_KEY] = waiting


def page_title(title: str, introduction: str | None = None) -> None:
    """Shows the page's title, its introduction, then the messages kept for this run.

    Args:
        title: The title.
        introduction: A short paragraph under it, in Markdown.
    """
    st.title(title)
    if introduction:
        st.markdown(introduction)
    show_messages(title)


def show_messages(page: str = "") -> None:
    """Shows the messages kept with `add_message`, on the page that first shows them, for
    `MESSAGE_SECONDS` from then.

    Shown for one run only, a message was taken away by the next run the page made by itself:
    on Predict, the live camera's component reports its state a moment after the page opens,
    which reran it before "Opened ... with its trained model" could be read.

    Args:
        page: The page showing them (its title); a message stays on the page it was shown on.
    """
    now = time.monotonic()
    kept = []
    for message in st.session_state.get(_MESSAGES_KEY, []):
        if message["until"] is None:
            message["page"], message["until"] = page, now + MESSAGE_SECONDS
        elif message["page"] != page or now >= message["until"]:
            continue
        getattr(st, message["kind"])(message["text"])
        kept.append(message)
    st.session_state[_MESSAGES_KEY] = kept


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Shows any error the person's input causes as a message on the page, not a traceback.

    Yields:
        Nothing; the block inside runs with the errors caught.
    """
    try:
        yield
    except errors.TlcoreError as error:
        st.error(str(error), icon=":material/error:")


def _address() -> dict[str, str]:
    """Returns the address parameters that keep this browser's owner and open project."""
    address = {}
    if st.session_state.get(_OWNER_KEY):
        address[OWNER_PARAMETER] = st.session_state[_OWNER_KEY]
    if st.session_state.get(_PROJECT_KEY):
        address[PROJECT_PARAMETER] = st.session_state[_PROJECT_KEY]
    if st.session_state.get(_SHARE_KEY):
        address[SHARE_PARAMETER] = st.session_state[_SHARE_KEY]
    return address


def time_ago(iso_time: str, now: datetime.datetime | None = None) -> str:
    """Describes a past moment in words: "just now", "5 minutes ago", "3 days ago".

    Args:
        iso_time: The moment, as an ISO 8601 time with its time zone.
        now: The present moment; the current time when None (a test passes its own).

    Returns:
        The description.
    """
    try:
        moment = datetime.datetime.fromisoformat(iso_time)
    except (TypeError, ValueError):
        return "at an unknown time"
    now = now or datetime.datetime.now(datetime.UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit_seconds, one, many in (
        (86400 * 365, "year", "years"),
        (86400 * 30, "month", "months"),
        (86400, "day", "days"),
        (3600, "hour", "hours"),
        (60, "minute", "minutes"),
    ):
        if seconds >= unit_seconds:
            return f"{wording.plural(seconds // unit_seconds, one, many)} ago"
    return "just now"


def file_name_for(name: str) -> str:
    """Returns the name of a downloaded file (the project file, a model's exports): the
    project's name as it is, save for the characters no file name may hold, so that opening a
    project file again brings the name back.

    Args:
        name: The project's name.

    Returns:
        The name without / \\ : * ? " < > |, control characters and leading dots, or "project".
    """
    kept = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", name).lstrip(". ")
    return " ".join(kept.split()) or "project"
