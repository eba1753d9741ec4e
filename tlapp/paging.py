"""Long lists shown a page at a time: which items a page holds, and the widgets that choose it.

A project of 200 classes and 20,000 photos would otherwise put thousands of cards, widgets and
thumbnails into one run of a page. Each long list shows one page of its items with a picker for
the others, so only the thumbnails on view are ever made.
"""

import math

import streamlit as st


def page_count(total: int, per_page: int) -> int:
    """Returns how many pages `total` items fill; at least one, so an empty list has a page.

    Args:
        total: How many items the list holds.
        per_page: How many items one page shows.

    Returns:
        The number of pages.
    """
    return max(1, math.ceil(total / per_page))


def page_bounds(total: int, per_page: int, page: int) -> tuple[int, int]:
    """Returns where a page starts and stops in the list, for `items[start:stop]`.

    Args:
        total: How many items the list holds.
        per_page: How many items one page shows.
        page: The page, counted from 1; one outside the list is taken as the nearest page.

    Returns:
        The index of the page's first item and the index after its last.
    """
    page = min(max(1, page), page_count(total, per_page))
    start = (page - 1) * per_page
    return start, min(total, start + per_page)


def matches(name: str, query: str) -> bool:
    """Says whether a name holds every word of a search, ignoring case.

    Args:
        name: A class name, for instance.
        query: What a person typed; an empty query matches every name.

    Returns:
        Whether the name matches.
    """
    folded = name.casefold()
    return all(word in folded for word in query.casefold().split())


def first_page(key: str) -> None:
    """Goes back to the first page of a list; the `on_change` of the list's search box.

    Args:
        key: The key of the list's page picker.
    """
    st.session_state.pop(key, None)


def _turn_to(key: str, page: int) -> None:
    st.session_state[key] = page


def show_page_picker(
    total: int, per_page: int, key: str, nouns: tuple[str, str] = ("item", "items")
) -> tuple[int, int]:
    """Shows which page of a long list is on view, with buttons to turn it, and returns it.

    Nothing is shown when the whole list fits on one page. The picker keeps its page in
    `st.session_state[key]`, so the page stays while the person works on its items; a page
    that no longer exists (the list got shorter) becomes the last one.

    Args:
        total: How many items the list holds.
        per_page: How many items one page shows.
        key: The picker's widget key, unique across the app; the buttons' keys add
            `_previous` and `_next` to it.
        nouns: What an item is called, for one and for several ("class", "classes").

    Returns:
        Where the page on view starts and stops in the list, for `items[start:stop]`.
    """
    pages = page_count(total, per_page)
    if pages == 1:
        return 0, total
    if st.session_state.get(key) not in range(1, pages + 1):
        st.session_state[key] = min(max(1, int(st.session_state.get(key) or 1)), pages)
    page = st.session_state[key]
    previous_column, picker_column, next_column, text_column = st.columns(
        [1, 1.4, 1, 3], vertical_alignment="center"
    )
    previous_column.button(
        "Previous",
        key=f"{key}_previous",
        icon=":material/chevron_left:",
        disabled=page <= 1,
        on_click=_turn_to,
        args=(key, page - 1),
        width="stretch",
    )
    page = picker_column.selectbox(
        "Page",
        range(1, pages + 1),
        format_func=lambda number: f"Page {number} of {pages}",
        key=key,
        label_visibility="collapsed",
    )
    next_column.button(
        "Next",
        key=f"{key}_next",
        icon=":material/chevron_right:",
        disabled=page >= pages,
        on_click=_turn_to,
        args=(key, page + 1),
        width="stretch",
    )
    start, stop = page_bounds(total, per_page, page)
    text_column.caption(f"Showing {nouns[1]} {start + 1}–{stop} of {total}.")
    return start, stop


def show_page(
    items: list, per_page: int, key: str, nouns: tuple[str, str] = ("item", "items")
) -> list:
    """Shows a long list's page picker (`show_page_picker`) and returns the items on view.

    Args:
        items: The whole list.
        per_page: How many items one page shows.
        key: The key of the page picker.
        nouns: What the items are called, one and many.

    Returns:
        The items of the page on view.
    """
    start, stop = show_page_picker(len(items), per_page, key, nouns)
    return items[start:stop]
