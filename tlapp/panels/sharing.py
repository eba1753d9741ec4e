"""Home's sharing: the owner's Share menu, and the projects shared with this browser.

A share link is the app's address with the project's id and a share token
(`state.share_address`); it never holds the owner token. Whoever opens it gets in with the
link's role until the owner withdraws it (`tlcore.store.access`), and finds the project again on
Home under "Shared with you" (`show_shared_with_you`, `Workspace.list_shared_with`), opened
with the link's token, until the link is withdrawn. The list belongs to the owner token in the
address: a link clicked in a fresh tab gets that tab a new one, so Home also takes a pasted
link (`show_open_share_link`), which lists the project under the visitor's own address.
"""

import urllib.parse
from collections.abc import Callable

import streamlit as st

from tlapp import messages, state
from tlcore import store
from tlcore.store import access


def show_share_menu(container, project: store.Project) -> None:
    """Shows the Share button of one of the owner's projects, with its menu.

    Args:
        container: Where the button goes (the project card's row of actions).
        project: The project, as the owner's own list gives it.
    """
    with container.popover("Share", icon=":material/share:", key=f"share_{project.id}"):
        st.markdown(f"**Share {project.name}**")
        st.caption(
            "Send one of these links to let someone in. Do not send the address in your "
            "address bar: it is your own key, and opens all your projects as if they were "
            "theirs."
        )
        view_column, edit_column = st.columns(2)
        with state.user_errors():
            if view_column.button(
                "Make a view-only link",
                key=f"share_view_{project.id}",
                icon=":material/visibility:",
            ):
                project.make_share_link(access.VIEW)
            if edit_column.button(
                "Make an edit link", key=f"share_edit_{project.id}", icon=":material/edit:"
            ):
                project.make_share_link(access.EDIT)
        links = project.share_links
        if not links:
            st.caption("No share links yet: only you can open this project.")
        for link in reversed(links):
            _show_link(project, link)


def _show_link(project: store.Project, link: access.ShareLink) -> None:
    """Shows one share link, to copy, with what it allows and a button that withdraws it."""
    with st.container(border=True):
        st.code(state.share_address(project, link.token), language=None, wrap_lines=True)
        text_column, button_column = st.columns([3, 2], vertical_alignment="center")
        text_column.caption(
            f"Anyone with this link **{link.description}**. Made {state.time_ago(link.created_at)}."
        )
        if button_column.button(
            "Withdraw", key=f"revoke_share_{link.token[:16]}", icon=":material/link_off:"
        ):
            with state.user_errors():
                project.revoke_share_link(link.token)
                state.add_message(
                    "success",
                    f"Withdrew a link to **{project.name}**: it no longer opens the project.",
                )
                st.rerun()


def show_shared_with_you(
    space: store.Workspace,
    owner: str,
    open_project: store.Project | None,
    open_and_go: Callable[[store.Project], None],
) -> None:
    """Lists the projects others shared with this browser, whose links still stand.

    Args:
        space: The workspace.
        owner: This browser's owner token.
        open_project: The project open in this browser, or None.
        open_and_go: What the Open button does with a project (Home's own opening).
    """
    shared = space.list_shared_with(owner)
    if not shared:
        return
    st.subheader("Shared with you")
    st.caption(
        "Projects others shared with you through a link you opened. Each stays here while "
        "its link stands; if its owner withdraws the link, it goes."
    )
    for listed in shared:
        is_open = open_project is not None and listed.id == open_project.id
        with st.container(border=True):
            details = [
                f"you {access.SHARE_ROLES[listed.access.role]}",
                *messages.project_facts(listed),
            ]
            st.markdown(f"**{listed.name}**" + ("  (open)" if is_open else ""))
            st.caption(" · ".join(details))
            if st.button(
                "Open",
                key=f"open_shared_{listed.id}",
                type="primary" if not is_open else "secondary",
                icon=":material/folder_shared:",
            ):
                open_and_go(listed)


def show_open_share_link(
    space: store.Workspace, owner: str, open_and_go: Callable[[store.Project], None]
) -> None:
    """Takes a share link pasted on the visitor's own address, and opens its project.

    Args:
        space: The workspace.
        owner: This browser's owner token: the project is listed as shared with it.
        open_and_go: What Home does with a project it opens.
    """
    with st.container(border=True):
        st.markdown("**Open a link someone shared with you**")
        st.caption(
            "Paste it here, rather than in a new tab, to keep the project under **Shared "
            "with you** on this address, with your own projects."
        )
        with st.form("open_share_link_form", border=False):
            pasted = st.text_input(
                "Share link", key="open_share_link", placeholder="https://…/?project=…&share=…"
            )
            clicked = st.form_submit_button(
                "Open the link", icon=":material/link:", key="open_share_link_button"
            )
        if clicked:
            with state.user_errors():
                project_id, token = _project_and_token(pasted)
                open_and_go(space.open_as(project_id, owner, token))


def _project_and_token(link: str) -> tuple[str, str]:
    """The project id and the share token of a pasted share link.

    Raises:
        AccessError: The text is not a share link.
    """
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.strip()).query)
    project_id = query.get(state.PROJECT_PARAMETER, [""])[0]
    token = query.get(state.SHARE_PARAMETER, [""])[0]
    if not project_id or not token:
        raise access.AccessError(
            "This is not a share link: a share link is an address ending in "
            "?project=…&share=…, as its owner copied it from the Share menu."
        )
    return project_id, token
