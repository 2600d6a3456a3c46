"""Sending the DSL alert card and direct messages through the Slack Web API.

Before posting, `conversations.info` confirms the DSL channel is private and the bot is in it.
If not, the case is already saved; the card goes to each DSL by direct message instead and the
fallback is audited. When Slack does not answer (rate limited, a server error, no connection,
after the client's retries) the channel is "unknown", never "not private": the card still goes
to the DSLs privately, and the audited reason says Slack did not answer. A card already posted
(the urgent one) is updated in place.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.alerts import alert_message
from bot.views.text import CHANNEL_FALLBACK
from conversations import routing
from conversations.academies import Academies
from conversations.context import Context
from conversations.routing import Alert

log = logging.getLogger("ypsi.slack")


# Errors that say nothing about the channel: Slack (or the way to it) failed.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class ChannelUnknown(RuntimeError):
    """Slack did not say whether the channel is private (after the client's retries)."""


def channel_problem(client: WebClient, channel: str) -> str | None:
    """Why the bot must not post in `channel`, or None when it is private and the bot is a member.

    Raises ChannelUnknown when Slack did not answer: that is not a fact about the channel.
    """
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except OSError as exc:  # no connection, after the connection retries
        raise ChannelUnknown(f"no connection to Slack ({exc.__class__.__name__})") from None
    except SlackApiError as exc:
        if _transient(exc):
            raise ChannelUnknown(f"Slack did not answer ({exc.response.get('error', 'error')})") from None
        # Without channels:read (least privilege) a public channel is "not found", like a
        # private one the bot was not invited to: either way it must not be used.
        error = exc.response.get("error", "error")
        return f"ypsi-bot cannot see the channel: it is public or ypsi-bot is not invited ({error})"
    if not info.get("is_private"):
        return "the channel is public"
    if not info.get("is_member"):
        return "ypsi-bot is not a member of the channel"
    return None


def _transient(exc: SlackApiError) -> bool:
    status = getattr(exc.response, "status_code", 200)
    return status == 429 or status >= 500 or exc.response.get("error") in TRANSIENT_ERRORS


def channel_problems(academies: Academies, client: WebClient) -> list[str]:
    """One line per academy whose DSL channel cannot be used (for `ypsi check-config`)."""
    lines = []
    for academy in academies.all():
        try:
            problem = channel_problem(client, academy.dsl_channel)
        except ChannelUnknown as exc:
            lines.append(f"{academy.name} ({academy.dsl_channel}): could not be checked: {exc}; try again")
            continue
        if problem:
            lines.append(
                f"{academy.name} ({academy.dsl_channel}): {problem}; alerts go to the DSLs by direct "
                "message until the channel is private and ypsi-bot is invited to it"
            )
    return lines


def deliver_alert(ctx: Context, client: WebClient, alert: Alert, *, mention_dsls: bool = False) -> None:
    """Post the case's card in its DSL channel, update it in place, or fall back to direct messages."""
    try:
        problem = channel_problem(client, alert.channel)
    except ChannelUnknown as exc:
        # Not "not private": unknown. The DSLs must still hear now, and a DM is private.
        problem = f"ypsi-bot could not check the channel: {exc}"
    if problem is None:
        try:
            _post_or_update(ctx, client, alert, mention_dsls)
            return
        except SlackApiError as exc:
            # The case is saved whatever happens here: the DSLs must still hear of it.
            problem = f"posting failed ({exc.response.get('error', 'error')})"
    routing.record_channel_fallback(ctx, alert.reference, problem)
    message = alert_message(alert, note=CHANNEL_FALLBACK.format(problem=problem))
    for user in alert.dsl_users:
        direct_message(client, user, message)
    log.warning("alert sent by direct message", extra={"case": alert.reference})


def _post_or_update(ctx: Context, client: WebClient, alert: Alert, mention_dsls: bool) -> None:
    message = alert_message(alert, mention_dsls=mention_dsls)
    if alert.alert_ts:
        client.chat_update(channel=alert.channel, ts=alert.alert_ts, **message)
        log.info("alert updated", extra={"case": alert.reference})
        return
    ts = client.chat_postMessage(channel=alert.channel, **message)["ts"]
    routing.record_alert_posted(ctx, alert.reference, alert.channel, ts)
    log.info("alert posted", extra={"case": alert.reference})


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
