"""Slack listeners, grouped by kind. Each module's `register(app, ctx)` attaches its functions.

Listeners are plain functions taking the services' Context and the Courier first (bound with
functools.partial), then what bolt injects by name (ack, body, client, logger). They parse the
payload, call a service, ack with what the person sees, and hand every Web API call to the
courier's delivery workers; they keep nothing between requests.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.courier import Courier
from bot.slack.listeners import actions, commands, events, views
from conversations.context import Context

MODULES = (commands, actions, views, events)


def register_all(app: App, ctx: Context, courier: Courier) -> None:
    """Attach every listener module to the app; `courier` runs every Web API call they make."""
    for module in MODULES:
        module.register(app, ctx, courier)
