"""Messages to the bot: a file or pasted image is refused (never opened, never downloaded); a
card's button (`Action.Submit`, arriving as a message carrying its data) goes to its handler; in
the personal chat `report`, `status`, `cases` and `case REF` answer as `/ypsi` does in Slack,
anything else gets help.

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

from bot.ids import REMINDER_PREFIX, ActionId
from bot.teams.cards.case import cases_message
from bot.teams.cards.text import NO_OPEN_CASES, NO_REPORTS, escape
from bot.teams.ids import DataKey
from bot.teams.listeners import Outbox, casework, install, reminders
from bot.teams.listeners.home import home_for
from bot.teams.listeners.people import channel_of, is_personal, person_of, tenant_of
from bot.teams.listeners.replies import card_message
from bot.teams.listeners.words import FILE_REFUSED, FILE_REFUSED_DSL, HELP, NOT_PERSONAL
from bot.wording import CASE_REFUSED
from conversations.casefile import casework as case_services
from conversations.context import Context
from conversations.dialogue import refusals
from conversations.errors import NotAuthorised

log = logging.getLogger("ypsi.teams")
# Teams sends a formatted copy of every typed message as a text/html attachment: that is the
# message itself, not a file (unless it holds a pasted image).
MESSAGE_COPY = "text/html"


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the message handler."""
    app.on_message(partial(on_message, ctx, outbox))


async def on_message(ctx: Context, outbox: Outbox, turn: ActivityContext[MessageActivity]) -> None:
    """Refuse a file first (whatever else the message holds); then buttons; then commands."""
    activity = turn.activity
    if has_file(activity):
        await refuse_file(ctx, outbox, turn)
        return
    pressed = activity.value if isinstance(activity.value, dict) else None
    if pressed is not None:
        await button(ctx, outbox, turn, pressed)
        return
    if not is_personal(activity):
        await turn.send(NOT_PERSONAL)
        return
    await install.remember_from(ctx, activity)
    words = (activity.text or "").strip().split()
    await command(ctx, turn, words[0].lower() if words else "", words[1:])


async def button(
    ctx: Context, outbox: Outbox, turn: ActivityContext[MessageActivity], data: dict[str, Any]
) -> None:
    """A card's Action.Submit: the alert's Acknowledge, or a reminder's button."""
    action = data.get(DataKey.ACTION)
    if action == ActionId.ACKNOWLEDGE:
        await casework.acknowledge(ctx, outbox, turn)
    elif isinstance(action, str) and action.startswith(REMINDER_PREFIX):
        await reminders.answer_click(ctx, outbox, turn)


async def command(ctx: Context, turn: ActivityContext[MessageActivity], word: str, rest: list[str]) -> None:
    """The personal chat's words: every answer is in that chat, seen by the sender only."""
    who = person_of(turn.activity)
    if word == "report":
        await turn.send(card_message(await asyncio.to_thread(home_for, ctx, who)))
    elif word == "case":
        await casework.case_command(ctx, turn, rest[0].upper() if rest else "")
    elif word == "cases":
        await turn.send(await asyncio.to_thread(open_cases, ctx, who))
    elif word == "status":
        await turn.send(await asyncio.to_thread(status_text, ctx, who))
    else:
        await turn.send(HELP)


def open_cases(ctx: Context, who: str) -> Any:
    """`cases`: the open cases of the sender's academies, overdue first (refusals audited)."""
    try:
        return card_message(cases_message(case_services.dsl_overview(ctx, who), NO_OPEN_CASES))
    except NotAuthorised:
        return CASE_REFUSED


def status_text(ctx: Context, who: str) -> str:
    """The sender's own reports, each in the reporter's words (never the DSL's stage)."""
    rows = case_services.my_reports(ctx, who) if who else []
    if not rows:
        return NO_REPORTS
    return "**Your reports**\n\n" + "\n".join(
        f"- **{escape(r.reference)}**: {escape(r.status)}" for r in rows
    )


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


async def refuse_file(ctx: Context, outbox: Outbox, turn: ActivityContext[MessageActivity]) -> None:
    """Say it was not opened or kept and what to do; audit the refusal (nothing of the file);
    from a personal chat, tell the sender's DSLs (as Slack does)."""
    activity = turn.activity
    await turn.send(FILE_REFUSED)
    await asyncio.to_thread(_refused, ctx, outbox, activity)
    log.info("file refused", extra={"event_id": _short(activity.id), "kind": _place(activity)})


def _refused(ctx: Context, outbox: Outbox, activity: MessageActivity) -> None:
    place = _place(activity)
    academies = refusals.file_refused(
        ctx, person_of(activity), tenant_of(activity), place, channel_of(activity)
    )
    if place == refusals.DM:
        who = escape(activity.from_.name or "a member of staff")
        outbox.send(refusals.tell_dsls(ctx, academies, FILE_REFUSED_DSL.format(who=who)))


def _place(activity: MessageActivity) -> str:
    return refusals.DM if is_personal(activity) else refusals.DSL_CHANNEL


def _short(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) else None
