"""Messages to the bot: a file or pasted image is refused (never opened, never downloaded);
in the personal chat `report` offers the report dialog, anything else gets help.

Every inbound personal message also refreshes the person's stored address (install.remember_from),
so proactive messages reach them even when the install event was missed.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from microsoft_teams.api import MessageActivity
from microsoft_teams.apps import ActivityContext, App

from bot.teams.listeners import Outbox, install
from bot.teams.listeners.home import home_for
from bot.teams.listeners.people import channel_of, is_personal, person_of, tenant_of
from bot.teams.listeners.replies import card_message
from bot.teams.listeners.words import FILE_REFUSED, HELP, NOT_PERSONAL
from conversations.context import Context
from conversations.dialogue import refusals

log = logging.getLogger("ypsi.teams")
# Teams sends a formatted copy of every typed message as a text/html attachment: that is the
# message itself, not a file (unless it holds a pasted image).
MESSAGE_COPY = "text/html"
REPORT_WORDS = ("report",)


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the message handler."""
    app.on_message(partial(on_message, ctx))


async def on_message(ctx: Context, turn: ActivityContext[MessageActivity]) -> None:
    """Refuse a file first (whatever the text says); then the personal chat's commands."""
    activity = turn.activity
    if has_file(activity):
        await refuse_file(ctx, turn)
        return
    if not is_personal(activity):
        await turn.send(NOT_PERSONAL)
        return
    await install.remember_from(ctx, activity)
    word = (activity.text or "").strip().lower()
    if word in REPORT_WORDS:
        who = person_of(activity)
        await turn.send(card_message(await asyncio.to_thread(home_for, ctx, who)))
    else:
        await turn.send(HELP)


def has_file(activity: MessageActivity) -> bool:
    """Whether the message carries a file or an image: any attachment but the message's own
    formatted copy, or a formatted copy holding a pasted image."""
    for attachment in activity.attachments or []:
        content = attachment.content
        if attachment.content_type != MESSAGE_COPY:
            return True
        if isinstance(content, str) and "<img" in content.lower():
            return True
    return False


async def refuse_file(ctx: Context, turn: ActivityContext[MessageActivity]) -> None:
    """Say it was not opened or kept and what to do; audit the refusal (nothing of the file)."""
    activity = turn.activity
    await turn.send(FILE_REFUSED)
    place = refusals.DM if is_personal(activity) else refusals.DSL_CHANNEL
    await asyncio.to_thread(
        refusals.file_refused, ctx, person_of(activity), tenant_of(activity), place, channel_of(activity)
    )
    log.info("file refused", extra={"event_id": _short(activity.id), "kind": place})


def _short(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) else None
