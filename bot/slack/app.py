"""The bolt app: a Web API client, signature verification, the listeners and one error handler."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.alerts import direct_message
from bot.slack.courier import Courier, delivery_client
from bot.slack.directory import slack_directory
from bot.slack.ids import SLACK_USER
from bot.slack.listeners import register_all
from bot.slack.listeners.shape import well_formed
from bot.slack.retries import retry_handlers
from bot.slack.views.text import UNEXPECTED
from conversations.context import Context

log = logging.getLogger("ypsi.slack")

# Listeners do their database work and return; every Web API call after that runs on the
# delivery workers (bot/slack/courier.py), so bolt can answer as soon as the listener is done, with no
# 10 ms polling loop and no listener thread waiting on Slack (docs/decisions/0040-outbox.md).
PROCESS_BEFORE_RESPONSE = True


def web_client(settings: Settings) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL when set (GovSlack, tests), with retry handlers."""
    if settings.api_url:
        return WebClient(token=settings.bot_token, base_url=settings.api_url, retry_handlers=retry_handlers())
    return WebClient(token=settings.bot_token, retry_handlers=retry_handlers())


def create_app(
    ctx: Context,
    settings: Settings,
    *,
    courier: Courier | None = None,
    listener_executor: Executor | None = None,
    process_before_response: bool = PROCESS_BEFORE_RESPONSE,
) -> App:
    """Build the app on the services' context; every request's signature is verified.

    `courier` delivers the outbox and runs the screen calls: the server passes the one its
    reminder runner also uses; one is made from the settings when not given.
    """
    courier = courier or Courier(ctx, delivery_client(settings))
    options: dict[str, Any] = {}
    if listener_executor is not None:
        options["listener_executor"] = listener_executor
    app = App(
        client=web_client(settings),
        signing_secret=settings.signing_secret,
        request_verification_enabled=True,
        process_before_response=process_before_response,
        **options,
    )
    app.use(well_formed)  # first: listeners may then read the parts Slack always sends
    register_all(app, replace(ctx, directory=slack_directory(app.client, ctx)), courier)
    app.error(partial(on_error, courier))
    return app


def on_error(
    courier: Courier, error: Exception, body: dict[str, Any], client: WebClient, response: BoltResponse | None
) -> BoltResponse | None:
    """The one handler for unexpected errors: log the event id (never the payload), tell the person.

    A failure before the ack (bolt would answer 500, and Slack show "trouble connecting") is
    answered 200 once a direct message to the person is on its way, else 400: no user to tell
    means the payload was not one Slack sends.
    """
    log.error(
        "unhandled error %s",
        error.__class__.__name__,
        extra={"event_id": _text(body.get("event_id")), "kind": _text(body.get("type", "command"))},
    )
    user = _user_of(body)
    if user:  # on a delivery worker: the answer below must not wait for Slack
        courier.screen(direct_message, client, user, {"text": UNEXPECTED})
    if response is None or response.status < 500:  # already acknowledged
        return None
    return BoltResponse(status=200 if user else 400, body="")


def _user_of(body: dict[str, Any]) -> str:
    """The Slack user id the payload names, if it names one as Slack does (a hostile one may not)."""
    user = body.get("user")
    event = body.get("event")
    candidates = [
        user.get("id") if isinstance(user, dict) else None,
        body.get("user_id"),
        event.get("user") if isinstance(event, dict) else None,
    ]
    return next((u for u in candidates if isinstance(u, str) and SLACK_USER.fullmatch(u)), "")


def _text(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) else None
