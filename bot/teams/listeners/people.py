"""Who an activity comes from, and where to answer them, as the services and the outbox name them.

A Teams person is `teams:<Entra object id>` (lower-case), as in academies.toml and the audit.
"""

from __future__ import annotations

import re
from typing import Any

from microsoft_teams.api import ActivityBase

PREFIX = "teams:"
ENTRA_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PERSONAL = "personal"


def person_of(activity: ActivityBase) -> str:
    """`teams:<Entra object id>` of the sender, or "" when the activity names none (a guest of
    another directory, a bot): such a sender is treated as no one the academies list."""
    object_id = (activity.from_.aad_object_id or "").lower()
    return PREFIX + object_id if ENTRA_ID.match(object_id) else ""


def tenant_of(activity: ActivityBase) -> str:
    """The sender's Microsoft 365 tenant id: the services' "workspace" for a Teams person."""
    tenant = activity.conversation.tenant_id or _channel_tenant(activity.channel_data)
    return (tenant or "").lower()


def is_personal(activity: ActivityBase) -> bool:
    """Whether the activity comes from the person's 1:1 chat with the bot."""
    return activity.conversation.conversation_type == PERSONAL


def channel_of(activity: ActivityBase) -> str:
    """The conversation as a recipient id (`teams:<conversation id>`), without a thread's suffix."""
    return PREFIX + activity.conversation.id.split(";", 1)[0]


def address_of(activity: ActivityBase) -> dict[str, str]:
    """What a proactive message to this conversation needs later: no names, no text."""
    return {
        "conversation_id": activity.conversation.id.split(";", 1)[0],
        "service_url": activity.service_url or "",
        "tenant_id": tenant_of(activity),
        "bot_id": activity.recipient.id,
    }


def _channel_tenant(channel_data: Any) -> str:
    tenant = getattr(channel_data, "tenant", None)
    return getattr(tenant, "id", "") or ""
