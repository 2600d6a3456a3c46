"""Which chat platform a person or channel id belongs to, told from the id alone.

A Slack person is the bare Slack id (`U…`), as the audit has always held it; a Teams person
is `teams:<Entra object id>` (a lower-case GUID) and a Teams channel `teams:<conversation id>`.
No Slack id contains ':', so the two never collide (docs/decisions/0111-identity-across-platforms.md).
Everything else in the services treats an id as an opaque string.
"""

from __future__ import annotations

import re

SLACK = "slack"
TEAMS = "teams"
TEAMS_PREFIX = "teams:"
SLACK_PREFIX = "slack:"
SLACK_PERSON = re.compile(r"^[UW][A-Z0-9]{8,}$")
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TEAMS_PERSON = re.compile(rf"^{TEAMS_PREFIX}{GUID}$")


def platform_of(person_or_recipient_id: str) -> str:
    """The platform that can reach this id: "teams" for `teams:…`, else "slack"."""
    return TEAMS if person_or_recipient_id.startswith(TEAMS_PREFIX) else SLACK


def is_person(user_id: str) -> bool:
    """Whether this id names a person on a platform (not the bot, not a command-line operator)."""
    return bool(SLACK_PERSON.match(user_id) or TEAMS_PERSON.match(user_id))


def person_id(written: str) -> str:
    """The id the services use for a person as an academies file writes it.

    `U…` and `slack:U…` give `U…`; `teams:<GUID>` gives the GUID in lower case. ValueError if
    it is neither.
    """
    text = written.strip()
    if text.startswith(TEAMS_PREFIX):
        text = teams_person(text[len(TEAMS_PREFIX) :])
        pattern = TEAMS_PERSON
    else:
        text = text.removeprefix(SLACK_PREFIX)
        pattern = SLACK_PERSON
    if not pattern.match(text):
        raise ValueError(written)
    return text


def teams_person(aad_object_id: str) -> str:
    """The services' id for the Teams user with this Entra object id (an activity's `aadObjectId`)."""
    return TEAMS_PREFIX + aad_object_id.strip().lower()
