"""The DSL channel check, card updates in place and direct messages, through the Slack Web API.

The alert itself is an outbox row delivered by `bot/courier.py`: before posting, it confirms
the DSL channel is private and the bot is in it (as `channel_problem` does for
`ypsi check-config`); if not, the card goes to each DSL by direct message and that is audited.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.alerts import alert_message
from conversations.context import Context
from conversations.routing import Alert

log = logging.getLogger("ypsi.slack")


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


def update_card(client: WebClient, alert: Alert) -> None:
    """Show a case's new status and owner on its channel card, in place.

    A card sent only by direct message has no stored ts: there is nothing to update. A failed
    update is logged, not raised: the decision is recorded and the case modal shows it.
    """
    if not alert.alert_ts:
        return
    try:
        client.chat_update(channel=alert.channel, ts=alert.alert_ts, **alert_message(alert))
    except SlackApiError as exc:
        log.warning(
            "card not updated %s", exc.response.get("error", "error"), extra={"case": alert.reference}
        )


def direct_message(client: WebClient, user_id: str, message: dict[str, Any]) -> None:
    """Post a message in the app's direct message with one person."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=channel, **message)
