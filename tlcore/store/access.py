"""Who may open and change a project: its owner, and those holding a share link it made.

A project belongs to the owner token of the browser that made it. Nobody else finds it by its
name, id or a guessed address: they get in only with a share token the owner made, which lets
them look ("view") or also change classes, photos and models ("edit"). The owner can withdraw
a share token at any moment; the next thing its holder does is refused.

Share tokens live in the project's metadata (`project.json`, key `shares`) as
`{"token", "role", "created_at"}`; a project saved before sharing existed has none, and reads
as a project shared with nobody. Tokens are random (`secrets.token_urlsafe`, 192 bits) and
compared in constant time, so neither guessing nor timing finds one. This module works on the
metadata dict and never touches the disk: `tlcore.store` reads and writes it under the
project's lock and asks this module what a caller may do.
"""

import dataclasses
import datetime
import hmac
import secrets

from tlcore import errors

#: The project's owner: may change, share, rename and delete it.
OWNER = "owner"
#: A share link's holder who may change the project's classes, photos and models.
EDIT = "edit"
#: A share link's holder who may only look.
VIEW = "view"

#: The roles a share link can give, each with the words the app shows for it.
SHARE_ROLES = {VIEW: "can look only", EDIT: "can look and change"}

#: The most share links one project keeps at a time, so project.json stays small.
MAX_SHARE_LINKS = 20

# The key of the share links in a project's metadata.
_SHARES_KEY = "shares"

#: What anyone is told when a project cannot be opened, whether it does not exist, is someone
#: else's, or the share link was withdrawn: the same words, so nobody can tell which ids exist.
NOT_ALLOWED = (
    "This project cannot be opened: it does not exist any more, it belongs to someone else, or "
    "the share link you used was withdrawn or is incomplete. Ask the project's owner for a new "
    "share link, or choose one of your own projects on Home."
)


class AccessError(errors.TlcoreError):
    """A project the caller may not open, or may look at but not change."""


@dataclasses.dataclass(frozen=True)
class ShareLink:
    """One share link of a project.

    Attributes:
        token: The secret the link carries.
        role: `VIEW` or `EDIT`.
        created_at: When the owner made it, as an ISO 8601 time in UTC.
    """

    token: str
    role: str
    created_at: str

    @property
    def description(self) -> str:
        """What its holder may do, in words ("can look only")."""
        return SHARE_ROLES.get(self.role, "")


@dataclasses.dataclass(frozen=True)
class Access:
    """What one caller may do with one project.

    Attributes:
        role: `OWNER`, `EDIT` or `VIEW`.
        share_token: The share token it came through; empty for the owner.
    """

    role: str
    share_token: str = ""

    @property
    def is_owner(self) -> bool:
        """Whether the caller owns the project (may share, rename and delete it)."""
        return self.role == OWNER

    @property
    def can_change(self) -> bool:
        """Whether the caller may change classes, photos and models."""
        return self.role in (OWNER, EDIT)


#: The access of the engine's own calls (the command line, a worker, the owner's listing).
FULL = Access(OWNER)


def same_token(given: str, expected: str) -> bool:
    """Compares two tokens in constant time; an empty token never matches.

    Args:
        given: The token a caller presented.
        expected: The token on record.

    Returns:
        Whether they are the same non-empty token.
    """
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def share_links(metadata: dict) -> list[ShareLink]:
    """Returns a project's share links, oldest first (none for a project saved before sharing).

    Args:
        metadata: The project's metadata, as `project.json` holds it.

    Returns:
        The links.
    """
    return [
        ShareLink(token=entry["token"], role=entry["role"], created_at=entry["created_at"])
        for entry in metadata.get(_SHARES_KEY, [])
        if entry.get("role") in SHARE_ROLES and entry.get("token")
    ]


def access_for(metadata: dict, owner: str, share_token: str = "") -> Access:
    """Tells what a caller may do with a project, or refuses them.

    Args:
        metadata: The project's metadata.
        owner: The caller's owner token.
        share_token: The share token the caller presents; empty when none.

    Returns:
        The caller's access: the owner's when the owner token matches, else that of the share
        link whose token matches.

    Raises:
        AccessError: If neither matches (`NOT_ALLOWED`).
    """
    if same_token(owner, metadata.get("owner", "")):
        return Access(OWNER)
    # Every link is compared, so the time taken does not tell which one matched.
    matches = [link for link in share_links(metadata) if same_token(share_token, link.token)]
    if not matches:
        raise AccessError(NOT_ALLOWED)
    return Access(matches[0].role, share_token=matches[0].token)


def check_can_change(access: Access, metadata: dict) -> None:
    """Refuses a change from a caller who may only look, or whose share link was withdrawn.

    Args:
        access: The caller's access, as `access_for` gave it.
        metadata: The project's metadata as it is now (read under the project's lock), so
            a link withdrawn a moment ago is refused at once.

    Raises:
        AccessError: If the caller may not change the project.
    """
    if access.is_owner:
        return
    current = {link.token: link.role for link in share_links(metadata)}
    role = current.get(access.share_token)
    if role is None:
        raise AccessError(
            "The share link you opened this project with was withdrawn by its owner, so "
            "nothing was changed. Ask the owner for a new link."
        )
    if role != EDIT:
        raise AccessError(
            "You can only look at this project: the link you opened it with does not allow "
            "changes, so nothing was changed. Ask its owner for an edit link."
        )


def check_is_owner(access: Access, action: str) -> None:
    """Refuses what only the owner may do (share, rename, delete) to anyone else.

    Args:
        access: The caller's access.
        action: What was asked, in words ("share this project").

    Raises:
        AccessError: If the caller is not the owner.
    """
    if not access.is_owner:
        raise AccessError(f"Only the project's owner can {action}.")


def add_share_link(metadata: dict, role: str) -> ShareLink:
    """Adds a new share link to a project's metadata.

    Args:
        metadata: The project's metadata, changed in place (the caller writes it).
        role: `VIEW` or `EDIT`.

    Returns:
        The new link.

    Raises:
        AccessError: If the role is unknown or the project has `MAX_SHARE_LINKS` links.
    """
    if role not in SHARE_ROLES:
        raise AccessError("A share link lets people look only, or look and change.")
    links = metadata.setdefault(_SHARES_KEY, [])
    if len(links) >= MAX_SHARE_LINKS:
        raise AccessError(
            f"This project has {MAX_SHARE_LINKS} share links, the most it can keep. Withdraw "
            "one you no longer need, then make the new one."
        )
    created_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    link = ShareLink(token=secrets.token_urlsafe(24), role=role, created_at=created_at)
    links.append(dataclasses.asdict(link))
    return link


def revoke_share_link(metadata: dict, token: str) -> bool:
    """Removes a share link from a project's metadata.

    Args:
        metadata: The project's metadata, changed in place (the caller writes it).
        token: The link's token.

    Returns:
        Whether a link was removed (False when it was withdrawn already).
    """
    links = metadata.get(_SHARES_KEY, [])
    kept = [entry for entry in links if not same_token(token, entry.get("token", ""))]
    metadata[_SHARES_KEY] = kept
    return len(kept) < len(links)
