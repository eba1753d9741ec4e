"""Home's Share menu: the owner makes a link to look at or to change a project, and withdraws it.

A share link is the app's address with the project's id and a share token
(`state.share_address`); it never holds the owner token. Whoever opens it gets in with the
link's role until the owner withdraws it (`tlcore.access`).
"""

import streamlit as st

from tlapp import state
from tlcore import access, store


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
