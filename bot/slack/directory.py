"""People's names from Slack (`users.info`, scope `users:read`), for the services' directory port.

Only a name is read, only for ids a case already holds, and only to show the record to the
people allowed to read it. Answers are kept in the database for a day (`conversations.directory`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from conversations.academies import NAME_MAX
from conversations.context import Context
from conversations.directory import Cached

log = logging.getLogger("ypsi.slack")

# A case modal must open within the 3 seconds a trigger id lives: a slow answer is given up on
# (the person is shown as a mention, which Slack itself names) rather than losing the modal.
LOOKUP_TIMEOUT = 2


@dataclass(frozen=True)
class SlackDirectory:
    """Names as the workspace shows them: the profile's full name, else the display name."""

    client: WebClient

    def name_of(self, user_id: str) -> str | None:
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:  # user_not_found, missing_scope, ratelimited: no name, no harm
            log.warning("users.info failed %s", exc.response.get("error"))
            return None
        except OSError as exc:  # timeout or no connection
            log.warning("users.info failed %s", exc.__class__.__name__)
            return None
        profile = user.get("profile") or {}
        for candidate in (profile.get("real_name"), profile.get("display_name"), user.get("real_name")):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()[:NAME_MAX]
        return None


def slack_directory(client: WebClient, ctx: Context) -> Cached:
    """The Slack directory behind the database cache, on a client with a short timeout."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT)
    return Cached(SlackDirectory(quick), ctx.db, ctx.clock)
