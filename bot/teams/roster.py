"""The DSL team's roster check: Teams' counterpart of Slack's "private channel, bot a member".

Before anything goes to an academy's DSL channel in Teams, the courier reads the members of
the academy's team (`teams_team`, GET /v3/conversations/{team}/pagedMembers, every page): each
must be on the academy's safeguarding team (its DSLs and deputies, as `teams:<aadObjectId>`).
Anyone else on it, or a team the bot cannot read (not installed there), is a problem: the card
goes to each DSL by direct message instead, and that is audited (conversations/delivery/outbox.py).
When Teams does not answer (rate limited, a server error, no connection, a timeout) the roster
is "unknown", never "private": the delivery is retried, and only if every attempt fails do the
DSLs get the card by direct message, told the team could not be checked.
"""

from __future__ import annotations

import httpx
from microsoft_teams.api import ApiClient

from conversations.academies import Academies, Academy
from conversations.platforms import teams_person

PAGE = 500  # members per page (Teams' maximum)
# Statuses that say Teams (or the way to it) failed, not that the bot may not read the roster.
UNKNOWN_STATUS = frozenset({408, 429})


class RosterUnknown(RuntimeError):
    """Teams did not say who is in the team; `retry_after` is the wait a 429 asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


async def roster_problem(api: ApiClient, academy: Academy, service_url: str) -> str | None:
    """Why the bot must not post in the academy's DSL channel, or None when every member of its
    team is a DSL or deputy. Raises RosterUnknown when Teams did not answer."""
    try:
        members = await _members(api.from_service_url(service_url), academy.teams_team)
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status >= 500 or status in UNKNOWN_STATUS:
            raise RosterUnknown(f"Teams did not answer (HTTP {status})", retry_after(exc.response)) from None
        return f"ypsi-bot cannot read the team's members: it is not installed in the team (HTTP {status})"
    except (httpx.TransportError, OSError) as exc:  # a timeout or no connection
        raise RosterUnknown(f"no connection to Teams ({exc.__class__.__name__})") from None
    return outsiders_problem(members, academy)


def outsiders_problem(aad_object_ids: list[str], academy: Academy) -> str | None:
    """The problem with a roster of these members (their Entra object ids; "" when a member has
    none, e.g. a guest), or None when all are on the academy's safeguarding team."""
    if not aad_object_ids:
        return "the team's roster is empty"
    allowed = set(academy.safeguarding_team)
    outsiders = [m for m in aad_object_ids if not m or teams_person(m) not in allowed]
    if outsiders:
        # Counted, never named: the sentence travels in a message.
        return f"{len(outsiders)} member(s) of the team are not DSLs or deputies of {academy.name}"
    return None


async def _members(api: ApiClient, team: str) -> list[str]:
    ids: list[str] = []
    token: str | None = None
    while True:
        page = await api.conversations.get_paged_members(team, PAGE, token)
        ids += [(m.aad_object_id or "") for m in page.members]
        token = page.continuation_token
        if not token:
            return ids


async def roster_problems(api: ApiClient, academies: Academies) -> list[str]:
    """One line per Teams academy whose DSL channel cannot be used (for `ypsi check-config`)."""
    lines = []
    for academy in academies.all():
        if not academy.teams_channel:
            continue
        try:
            problem = await roster_problem(api, academy, api.service_url)
        except RosterUnknown as exc:
            lines.append(f"{academy.name} ({academy.teams_team}): could not be checked: {exc}; try again")
            continue
        if problem:
            lines.append(
                f"{academy.name} ({academy.teams_team}): {problem}; alerts go to the DSLs by direct "
                "message until only the DSLs and deputies are in the team and ypsi-bot is added to it"
            )
    return lines


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a `Retry-After` header asks to wait, or None without a usable one."""
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
