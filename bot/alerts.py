"""The DSL channel check and direct messages, through the Slack Web API.

The alert itself is an outbox row delivered by `bot/courier.py`: before posting, it confirms
the DSL channel is private and the bot is in it (as `channel_problem` does for
`ypsi check-config`); if not, the card goes to each DSL by direct message and that is audited.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from conversations.context import Context


def channel_problem(client: WebClient, channel: str) -> str | None:
    """Why the bot must not post in `channel`, or None when it is private and the bot is a member."""
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        # Without channels:read (least privilege) a public channel is "not found", like a
        # private one the bot was not invited to: either way it must not be used.
        error = exc.response.get("error", "error")
        return f"ypsi-bot cannot see the channel: it is public or ypsi-bot is not invited ({error})"
    if not info.get("is_private"):
        return "the channel is public"
    if not info.get("is_member"):
        return "ypsi-bot is not a member of the channel"
    return None


def channel_problems(ctx: Context, client: WebClient) -> list[str]:
    """One line per academy whose DSL channel cannot be used (for `ypsi check-config`)."""
    lines = []
    for academy in ctx.academies.all():
        problem = channel_problem(client, academy.dsl_channel)
        if problem:
            lines.append(
                f"{academy.name} ({academy.dsl_channel}): {problem}; alerts go to the DSLs by direct "
                "message until the channel is private and ypsi-bot is invited to it"
            )
    return lines


def direct_message(client: WebClient, user_id: str, message: dict[str, Any]) -> None:
    """Post a message in the app's direct message with one person."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=channel, **message)
