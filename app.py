"""Home: what the tool does, the four steps, and the projects of this browser.

Run with `streamlit run app.py`. The other steps are the pages in `pages/`.
"""

import streamlit as st

from tlapp import figures, messages, state
from tlapp.panels import sharing
from tlcore import store
from tlcore.jobs import project_removal
from tlcore.store import access

space, owner, project = state.start_page("Home")

state.page_title(
    f":material/photo_camera: {state.APP_TITLE}",
    "Teach the computer to tell your products apart from photos.  \n"
    "Add a few photos of each product, press **Train**, and within seconds it recognises "
    "new photos.  \n"
    "No programming, nothing to install: everything is saved as you go.",
)

steps = [
    (state.COLLECT_PAGE, "1 · Collect", "Make a class for each product and add its photos."),
    (state.TRAIN_PAGE, "2 · Train", "Press one button and watch the computer learn."),
    (state.EVALUATE_PAGE, "3 · Evaluate", "See how often it is right, and where it is wrong."),
    (state.PREDICT_PAGE, "4 · Predict", "Show it new photos and get an answer at once."),
]
for column, (page, title, text) in zip(st.columns(4), steps, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{title}**")
        st.caption(text)
        if project is not None:
            state.page_link(page, label=f"Go to {title.split(' · ')[1]}")

if project is not None and project.access.is_owner:
    st.success(
        f"You are working on **{project.name}**. Continue with the steps above, or choose "
        "another project below.",
        icon=":material/folder_open:",
    )
elif project is not None:
    st.success(
        f"**{project.name}** was shared with you: you {access.SHARE_ROLES[project.access.role]}"
        ". Continue with the steps above. While the link stands, it is listed under **Shared "
        "with you** on Home at this address; paste the link under **Open a link someone "
        "shared with you** on your own address to list it with your projects.",
        icon=":material/share:",
    )


def open_and_go(chosen: store.Project) -> None:
    """Opens a project and moves on to the step where it left off."""
    state.open_project(chosen)
    if chosen.has_trained_model:
        state.add_message("success", f"Opened **{chosen.name}**. Its trained model is ready.")
        st.switch_page(state.PREDICT_PAGE[0])
    state.add_message("success", f"Opened **{chosen.name}**.")
    st.switch_page(state.COLLECT_PAGE[0])


projects_column, start_column = st.columns([5, 3], gap="large")

with start_column:
    st.subheader("Start")
    with st.container(border=True):
        st.markdown("**New project**")
        with st.form("new_project_form", border=False):
            new_name = st.text_input(
                "Name",
                placeholder="For example: Fruit at the counter",
                key="new_project_name",
            )
            create = st.form_submit_button(
                "Create project", type="primary", icon=":material/add:", key="create_project"
            )
        if create:
            with state.user_errors():
                open_and_go(space.create_project(new_name, owner))

    with st.container(border=True):
        st.markdown("**Try it with example photos**")
        st.caption(
            "A ready-made set of real shop photos of bananas, limes, red peppers, oat milk and "
            "mushrooms, 25 of each, so you can train in a minute without taking a single photo."
        )
        if st.button("Try the example photos", key="try_examples", icon=":material/science:"):
            with state.user_errors():
                with st.spinner("Adding the example photos…"):
                    example = space.create_example_project(owner)
                state.open_project(example)
                state.add_message(
                    "success",
                    f"Made **{example.name}** with {example.photo_count()} example photos. "
                    "Have a look, then go to **Train**.",
                )
                st.switch_page(state.COLLECT_PAGE[0])

    with st.container(border=True):
        st.markdown("**Open a project by its name**")
        st.caption(
            "Type the exact name of one of your projects. Someone else's project opens only "
            "through a share link they send you."
        )
        with st.form("open_by_name_form", border=False):
            wanted = st.text_input("Project name", key="open_by_name")
            open_clicked = st.form_submit_button(
                "Open", icon=":material/folder_open:", key="open_by_name_button"
            )
        if open_clicked:
            found = space.find_by_name(wanted, owner)
            if found is None:
                st.error(
                    f"None of your projects is called '{wanted.strip()}'. Check the spelling; "
                    "letter case does not matter.",
                    icon=":material/error:",
                )
            else:
                open_and_go(found)

with projects_column:
    st.subheader("Your projects")
    mine = space.list_projects(owner)
    if not mine:
        st.info(
            "You have no projects yet. Create one, or try the example photos to see how it "
            "works. Your projects are saved on this server and come back when you return "
            "with the same link.",
            icon=":material/info:",
        )
    for listed in mine:
        is_open = project is not None and listed.id == project.id
        with st.container(border=True):
            classes, photo_total, trained = messages.project_facts(listed)
            details = [
                classes,
                photo_total,
                trained,
                f"changed {state.time_ago(listed.updated_at)}",
            ]
            if listed.has_trained_model:
                # The figure to expect on new photos, with its range (`tlapp.figures`).
                details[2] = figures.card_text(listed.training_record()) or details[2]
            st.markdown(f"**{listed.name}**" + ("  (open)" if is_open else ""))
            st.caption(" · ".join(details))
            actions = st.container(horizontal=True)
            if actions.button(
                "Open",
                key=f"open_{listed.id}",
                type="primary" if not is_open else "secondary",
                icon=":material/folder_open:",
            ):
                open_and_go(listed)
            with actions.popover("Rename", icon=":material/edit:", key=f"rename_{listed.id}"):
                renamed = st.text_input("New name", value=listed.name, key=f"rename_to_{listed.id}")
                if st.button("Save the name", key=f"rename_save_{listed.id}"):
                    with state.user_errors():
                        space.rename_project(listed.id, renamed, owner=owner)
                        state.add_message("success", f"Renamed to **{renamed.strip()}**.")
                        st.rerun()
            sharing.show_share_menu(actions, listed)
            with actions.popover("Delete", icon=":material/delete:", key=f"delete_{listed.id}"):
                st.warning(
                    f"Delete **{listed.name}** with its {photo_total}"
                    + (" and its trained model" if listed.has_trained_model else "")
                    + "? This cannot be undone."
                )
                if st.button("Yes, delete it", key=f"delete_confirm_{listed.id}", type="primary"):
                    with state.user_errors():
                        project_removal.delete_project(space, listed.id, owner=owner)
                        if is_open:
                            state.close_project()
                        state.add_message("success", f"Deleted **{listed.name}**.")
                        st.rerun()

with projects_column:
    sharing.show_shared_with_you(space, owner, project, open_and_go)

with start_column:
    sharing.show_open_share_link(space, owner, open_and_go)
