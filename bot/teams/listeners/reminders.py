"""What each reminder button does in Teams (Slack's: bot/slack/listeners/reminders.py).

A button that only records (Acknowledge, Snooze, Deletion confirmed for …, Not yet, Carry on
with my report) arrives as a message carrying its data; one that asks more (Open case, Deletion
confirmed, Extend deadline) opens a dialog (task/fetch), and the extend dialog's answer arrives
as task/submit. Every answer goes through a service (`reminder_actions`, `casework`) that
authorises the caller and audits a refusal. What was recorded is said in the conversation of
the reminder, right under it (Teams sends a card's data, not the card, with a click: the
reminder itself stays as it was).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any

from microsoft_teams.api import (
    ActivityBase,
    MessageActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
)
from microsoft_teams.apps import ActivityContext, App

from bot.slack.views.reminders import DEADLINE, REASON
from bot.slack.views.text import ALREADY_ACKNOWLEDGED
from bot.teams.cards.case import case_notice
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.reminders import extend_view, extended_text, recorded_line
from bot.teams.ids import ActionId, CallbackId, DataKey, reminder_action_of
from bot.teams.listeners import Outbox
from bot.teams.listeners.casework import (
    ACKNOWLEDGED,
    case_or_refusal,
    decision_or_not_yet,
    refusal,
    replay_key,
)
from bot.teams.listeners.home import home_for
from bot.teams.listeners.people import person_of
from bot.teams.listeners.replies import card_message, dialog
from bot.teams.listeners.report import data_of, deliver
from conversations.casefile import casework
from conversations.context import Context
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotFound
from conversations.scheduling import reminder_actions
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import ButtonAction

log = logging.getLogger("ypsi.teams")
CONFIRM_FORM = "deletion_confirmed"  # the per-person decision "Deletion confirmed" opens
EXTEND_FORM = "deletion_extended"  # checked before the extend dialog opens: same rights

Data = Mapping[str, Any]


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the dialogs reminder buttons open, and the extend dialog's answer."""
    app.router.add_handler(opens_from_reminder, partial(open_dialog, ctx))
    app.router.add_handler(submits_extension, partial(extend, ctx, outbox))


def pressed(data: Data) -> tuple[ButtonAction, str] | None:
    """The reminder button a card's data names, and its value; None if it names none."""
    try:
        action, _ = reminder_action_of(str(data.get(DataKey.ACTION, "")))
        return ButtonAction(action), str(data.get(DataKey.VALUE) or "")
    except ValueError:
        return None


def opens_from_reminder(activity: ActivityBase) -> bool:
    return isinstance(activity, TaskFetchInvokeActivity) and pressed(data_of(activity)) is not None


def submits_extension(activity: ActivityBase) -> bool:
    return (
        isinstance(activity, TaskSubmitInvokeActivity)
        and data_of(activity).get(DataKey.CALLBACK) == CallbackId.EXTEND_DEADLINE
    )


async def button(ctx: Context, outbox: Outbox, turn: ActivityContext[MessageActivity], data: Data) -> None:
    """A reminder's recording button: do it, then say what was recorded (or why not)."""
    press = pressed(data)
    if press is None:
        return
    action, value = press
    who, key = person_of(turn.activity), replay_key(turn.activity)
    if action == ButtonAction.RESUME_REPORT:  # a dialog opens only from a button: offer it
        await turn.send(card_message(await asyncio.to_thread(home_for, ctx, who)))
        return
    handle = RECORDERS.get(action)
    if handle is None:
        return
    said = await asyncio.to_thread(_answer, handle, ctx, outbox, who, key, value)
    if said:
        await turn.send(said)


async def open_dialog(ctx: Context, turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
    """Open case, Deletion confirmed (the per-person form) or Extend deadline, as a dialog."""
    action, value = pressed(data_of(turn.activity)) or (None, "")
    who = person_of(turn.activity)
    shown = await asyncio.to_thread(_opened, ctx, who, action, value)
    return dialog(shown.title, shown.card)


async def extend(ctx: Context, outbox: Outbox, turn: ActivityContext[TaskSubmitInvokeActivity]) -> Any:
    """The extend dialog's answer: errors on the same card, or the new deadline; Cancel closes."""
    data = data_of(turn.activity)
    if data.get(DataKey.ACTION) != ActionId.SUBMIT:
        return None
    who, key = person_of(turn.activity), replay_key(turn.activity)
    shown = await asyncio.to_thread(_extend, ctx, outbox, who, key, data)
    return dialog(shown.title, shown.card)


def _opened(ctx: Context, who: str, action: ButtonAction | None, reference: str) -> Dialog:
    if action == ButtonAction.CONFIRM_DELETION:
        return decision_or_not_yet(ctx, reference, who, CONFIRM_FORM)
    if action == ButtonAction.EXTEND_DEADLINE:
        try:
            casework.decision_form(ctx, reference, who, EXTEND_FORM)  # refuses (audited) first
        except ConversationError as exc:
            return case_notice(refusal(exc))
        return extend_view(reference, "", "")
    return case_or_refusal(ctx, reference, who)


def _extend(ctx: Context, outbox: Outbox, who: str, key: str | None, data: Data) -> Dialog:
    reference = str(data.get(DataKey.CASE) or "")
    reason = data.get(REASON)
    try:
        extended = reminder_actions.extend_deadline(
            ctx,
            reference,
            who,
            _date(data.get(DEADLINE)),
            reason if isinstance(reason, str) else None,
            replay_key=key,
        )
    except InvalidAnswer as exc:
        return extend_view(reference, "", "", errors=exc.errors)
    except ConversationError as exc:
        return case_notice(refusal(exc))
    if not extended.replayed:
        log.info("deletion deadline extended", extra={"case": reference})
        deliver(outbox, extended.messages)
    return case_notice(extended_text(extended.deadline))


def _answer(
    handle: Callable[[Context, Outbox, str, str | None, str], str],
    ctx: Context,
    outbox: Outbox,
    who: str,
    key: str | None,
    value: str,
) -> str:
    try:
        return handle(ctx, outbox, who, key, value)
    except NotAllowedNow as exc:
        return str(exc) or refusal(exc)
    except ConversationError as exc:
        return refusal(exc)


def _acknowledge(ctx: Context, outbox: Outbox, who: str, key: str | None, reference: str) -> str:
    try:
        outcome = casework.record_decision(ctx, reference, who, ACKNOWLEDGED, {}, replay_key=key)
    except NotAllowedNow:
        return ALREADY_ACKNOWLEDGED
    if outcome.replayed:
        return ""
    deliver(outbox, outcome.messages)
    return recorded_line("Acknowledged", who, ctx.clock())


def _snooze(ctx: Context, outbox: Outbox, who: str, key: str | None, value: str) -> str:
    scheduled = reminder_actions.snooze(ctx, _number(value), who)
    return recorded_line(
        f"Snoozed until {scheduled.due_at.astimezone(LONDON):%a %d %b %H:%M}", who, ctx.clock()
    )


def _deletion_confirmed_for(ctx: Context, outbox: Outbox, who: str, key: str | None, value: str) -> str:
    progress = reminder_actions.confirm_deletion_for(ctx, _number(value), who)
    deliver(outbox, progress.messages)  # the card, once every deletion is confirmed
    return recorded_line("Deletion confirmed", who, ctx.clock())


def _not_yet(ctx: Context, outbox: Outbox, who: str, key: str | None, value: str) -> str:
    progress = reminder_actions.deletion_not_yet(ctx, _number(value), who, replay_key=key)
    return "" if progress.replayed else recorded_line("Not yet", who, ctx.clock())


RECORDERS: dict[ButtonAction, Callable[[Context, Outbox, str, str | None, str], str]] = {
    ButtonAction.ACKNOWLEDGE: _acknowledge,
    ButtonAction.SNOOZE: _snooze,
    ButtonAction.DELETION_CONFIRMED_FOR: _deletion_confirmed_for,
    ButtonAction.NOT_YET: _not_yet,
}


def _number(value: str) -> int:
    # Reminder and deletion ids are numbers; anything else names nothing.
    if not value.isdigit():
        raise NotFound("reminder button value")
    return int(value)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
