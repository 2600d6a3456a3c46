"""Teams listeners, grouped by what they answer. Each module's `register(app, ctx, outbox)`
attaches its handlers to the SDK's router.

Handlers are async (the SDK runs them on its event loop) and call the services, which are
synchronous SQLAlchemy, with `asyncio.to_thread`, so the loop never waits on the database.
They keep nothing between activities: the database is the only state. Messages the services
queued (outbox rows) are handed to `outbox` once the change is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from microsoft_teams.apps import App

from conversations.context import Context


class Outbox(Protocol):
    """Delivers outbox rows a listener's service call wrote (the DSL alert, the receipt…)."""

    def send(self, message_ids: Sequence[int]) -> None: ...


def register_all(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach every listener module to the app."""
    from bot.teams.listeners import casework, install, messages, reminders, report

    for module in (install, messages, report, casework, reminders):
        module.register(app, ctx, outbox)
