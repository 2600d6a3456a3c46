"""Slack listeners, grouped by kind. Each module's `register(app, ctx)` attaches its functions.

Listeners are plain functions taking the services' Context first (bound with functools.partial),
then what bolt injects by name (ack, body, client, logger). They parse the payload, call a
service and render the result; they keep nothing between requests.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, views
from conversations.context import Context

MODULES = (commands, actions, views, events)


def register_all(app: App, ctx: Context) -> None:
    """Attach every listener module to the app."""
    for module in MODULES:
        module.register(app, ctx)
