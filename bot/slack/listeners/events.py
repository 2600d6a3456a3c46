"""Events: files shared with the bot are refused; retried events are handled once; opening the
app's Home tab publishes it (the DSL's open cases, the person's own reports).

Needs only `message.im` and `message.groups` (no `files:*` scope, no `file_shared` event): a
`message` with subtype `file_share` carries file metadata we never read. The bot never calls
`files.*` methods.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.slack.alerts import direct_message
from bot.slack.courier import Courier
from bot.slack.ids import SLACK_USER
from bot.slack.listeners import cases as case_screens
from bot.slack.views.text import DM_HINT, FILE_REFUSED, FILE_REFUSED_DSL
from conversations.context import Context
from conversations.delivery.deliveries import first_delivery
from conversations.dialogue import refusals

log = logging.getLogger("ypsi.slack")


def register(app: App, ctx: Context, courier: Courier) -> None:
    """Attach the retry filter (for every event) and the message listeners."""
    app.use(partial(once_per_event, ctx))
    app.event({"type": "message", "subtype": "file_share"})(partial(refuse_file, ctx, courier))
    app.event("message")(partial(other_message, courier))
    app.event("app_home_opened")(partial(publish_home, ctx, courier))


def once_per_event(ctx: Context, body: dict[str, Any], next) -> BoltResponse | None:  # type: ignore[no-untyped-def]
    """Global middleware: an event id seen before (a Slack retry) is acknowledged and dropped."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not first_delivery(ctx, f"event:{event_id}"):
        log.info("duplicate event ignored", extra={"event_id": event_id})
        return BoltResponse(status=200, body="")
    next()
    return None


def refuse_file(
    ctx: Context, courier: Courier, body: dict[str, Any], event: dict[str, Any], client: WebClient
) -> None:
    """Reply at once (not opened, not kept, delete it, what to do instead), audit, tell the DSLs."""
    user, channel = event.get("user", ""), event.get("channel", "")
    in_dm = event.get("channel_type") == "im"
    if in_dm:
        courier.screen(client.chat_postMessage, channel=channel, text=FILE_REFUSED)
    else:
        courier.screen(client.chat_postEphemeral, channel=channel, user=user, text=FILE_REFUSED)
    place = refusals.DM if in_dm else refusals.DSL_CHANNEL
    academies = refusals.file_refused(ctx, user, body.get("team_id", ""), place, channel)
    log.info("file refused", extra={"event_id": body.get("event_id"), "kind": place})
    if not in_dm:
        return
    for dsl in sorted({u for a in academies for u in a.dsl_users}):
        courier.screen(direct_message, client, dsl, {"text": FILE_REFUSED_DSL.format(who=_mention(user))})


def _mention(user: Any) -> str:
    # The id goes into mrkdwn unescaped (a mention): only a well-formed Slack user id may.
    return f"<@{user}>" if isinstance(user, str) and SLACK_USER.fullmatch(user) else "someone"


def other_message(courier: Courier, event: dict[str, Any], client: WebClient) -> None:
    """A plain message in the bot's DM gets a pointer to /ypsi; everything else is ignored."""
    if event.get("channel_type") == "im" and not event.get("subtype") and event.get("user"):
        courier.screen(client.chat_postMessage, channel=event["channel"], text=DM_HINT)


def publish_home(ctx: Context, courier: Courier, event: dict[str, Any], client: WebClient) -> None:
    """The Home tab, fresh each time it is opened (nothing is kept between requests)."""
    user = event.get("user")
    if event.get("tab") != "home" or not isinstance(user, str) or not user:
        return
    courier.screen(client.views_publish, user_id=user, view=case_screens.home_for(ctx, user))
