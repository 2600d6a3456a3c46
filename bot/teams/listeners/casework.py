"""The DSL's buttons and dialogs in Teams: Acknowledge on the alert card, Open case (a dialog),
each decision's form, Back to the case, and `case REF` typed to the bot.

The same service calls as Slack's (bot/slack/listeners/actions.py, views.py, cases.py): every
one goes through `conversations.casefile.casework`, which authorises the caller against the
case's own academy and audits a refusal; the refused get a short answer and nothing else. What
a decision writes to the outbox (the card updated in place, the reporter told) is handed to the
courier after the change is committed.

A button on a card in a chat or channel (`Action.Submit`) reaches the bot as a message whose
`value` is the button's data; a button that opens a dialog as task/fetch; a button inside the
dialog as task/submit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from microsoft_teams.api import (
    ActivityBase,
    MessageActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
)
from microsoft_teams.apps import ActivityContext, App

from bot.slack.views.text import ALREADY_ACKNOWLEDGED, CASE_ERROR_TEXT
from bot.slack.views.text import error_text as worded
from bot.teams.cards.case import case_notice, case_view, decision_view, not_yet_view
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import card, opener, text
from bot.teams.cards.inputs import submitted_values
from bot.teams.cards.text import escape
from bot.teams.ids import ActionId, CallbackId, DataKey, decision_of
from bot.teams.listeners import Outbox
from bot.teams.listeners.people import person_of
from bot.teams.listeners.replies import card_message, dialog
from bot.teams.listeners.report import data_of, deliver, tell_principal
from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotFound
from conversations.platforms import is_person
from conversations.scheduling import reminder_actions

log = logging.getLogger("ypsi.teams")
ACKNOWLEDGED = "acknowledged"  # the decision the card's Acknowledge records
CASE_USAGE = "Send case and the reference, like case YPSI-2026-0042."
DELETION_CHECK_SENT = "Deletion check sent by direct message. Their answers appear here."

Data = Mapping[str, Any]


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the case dialog's opening, its submissions and the card's Acknowledge."""
    app.router.add_handler(opens_case, partial(open_case, ctx))
    app.router.add_handler(submits_case, partial(answer, ctx, outbox))


def opens_case(activity: ActivityBase) -> bool:
    return (
        isinstance(activity, TaskFetchInvokeActivity)
        and data_of(activity).get(DataKey.ACTION) == ActionId.OPEN_CASE
    )


def submits_case(activity: ActivityBase) -> bool:
    return isinstance(activity, TaskSubmitInvokeActivity) and data_of(activity).get(DataKey.CALLBACK) in (
        CallbackId.CASE,
        CallbackId.DECISION,
    )


async def open_case(ctx: Context, turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
    """The case as it is now, for its safeguarding team only (every opening audited)."""
    reference = _text(data_of(turn.activity).get(DataKey.CASE))
    shown = await asyncio.to_thread(case_or_refusal, ctx, reference, person_of(turn.activity))
    return dialog(shown.title, shown.card)


async def answer(
    ctx: Context, outbox: Outbox, turn: ActivityContext[TaskSubmitInvokeActivity]
) -> dict[str, Any]:
    """A button in the case dialog or a decision's form: the next card in the same dialog."""
    data = data_of(turn.activity)
    who, key = person_of(turn.activity), replay_key(turn.activity)
    shown = await asyncio.to_thread(_handle, ctx, outbox, who, key, data)
    return dialog(shown.title, shown.card)


async def acknowledge(
    ctx: Context, outbox: Outbox, turn: ActivityContext[MessageActivity], data: Data
) -> None:
    """The card's Acknowledge (a message carrying the button's data): the caller takes the case."""
    who, key = person_of(turn.activity), replay_key(turn.activity)
    said = await asyncio.to_thread(_acknowledge, ctx, outbox, who, key, _text(data.get(DataKey.CASE)))
    if said:
        await turn.send(said)


async def case_command(turn: ActivityContext[MessageActivity], reference: str) -> None:
    """`case REF`: the button that opens the case. A bot opens a dialog only from a button, so
    whether the sender may see the case is decided (and a refusal audited) when it is pressed."""
    if not reference:
        await turn.send(CASE_USAGE)
        return
    data = {DataKey.ACTION: ActionId.OPEN_CASE, DataKey.CASE: reference, DataKey.VALUE: reference}
    button = opener(f"Open case {reference}", data)
    await turn.send(card_message(card([text(escape(f"Case {reference}"))], [button], fallback=reference)))


def case_or_refusal(ctx: Context, reference: str, who: str, *, notice: str = "") -> Dialog:
    try:
        return case_view(casework.case_detail(ctx, reference, who), notice=notice)
    except ConversationError as exc:
        return case_notice(refusal(exc))


def refusal(error: ConversationError) -> str:
    """The words for a service error on a case screen (not authorised reads as not found)."""
    return worded(error, CASE_ERROR_TEXT)


def replay_key(activity: ActivityBase) -> str | None:
    """The key one press is known by: Teams gives every activity its own id, and a redelivery of
    the same activity keeps it (conversations/delivery/replays.py stores the outcome)."""
    parts = (activity.id, person_of(activity))
    if not all(parts):
        return None
    return "teams:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _handle(ctx: Context, outbox: Outbox, who: str, key: str | None, data: Data) -> Dialog:
    reference, action = _text(data.get(DataKey.CASE)), _text(data.get(DataKey.ACTION))
    if data.get(DataKey.CALLBACK) == CallbackId.DECISION and action == ActionId.SUBMIT:
        return record(ctx, outbox, who, key, reference, _text(data.get(DataKey.DECISION)), data)
    if action == ActionId.SEND_DELETION_CHECK:
        return send_deletion_check(ctx, who, key, reference, data.get(ActionId.DELETION_CHECK_TO))
    if action.startswith(ActionId.DECIDE):
        try:
            return decision_or_not_yet(ctx, reference, who, decision_of(action))
        except ValueError:
            pass
    return case_or_refusal(ctx, reference, who)  # Back to the case, or a button never drawn


def send_deletion_check(ctx: Context, who: str, key: str | None, reference: str, to: Any) -> Dialog:
    """The case dialog's "Send deletion check": to the member of staff following the deletion up
    (the one picked, if the pick names a person; else the one recorded). The runner sends it."""
    try:
        reminder_actions.request_deletion_check(
            ctx, reference, who, to if isinstance(to, str) and is_person(to) else None, replay_key=key
        )
    except ConversationError as exc:
        return case_notice(refusal(exc))
    return case_or_refusal(ctx, reference, who, notice=DELETION_CHECK_SENT)


def decision_or_not_yet(ctx: Context, reference: str, who: str, key: str) -> Dialog:
    """The decision's form, or what must be recorded first."""
    try:
        return decision_view(casework.decision_form(ctx, reference, who, key))
    except NotAllowedNow as exc:
        return not_yet(reference, key, exc)
    except (ConversationError, KeyError) as exc:
        return case_notice(refusal(exc if isinstance(exc, ConversationError) else NotFound(key)))


def record(
    ctx: Context, outbox: Outbox, who: str, key: str | None, reference: str, decision: str, data: Data
) -> Dialog:
    """Record a decision; the services re-authorise, so a forged reference is refused and audited."""
    try:
        fields = load_decisions().get(decision).fields
        outcome = casework.record_decision(
            ctx, reference, who, decision, submitted_values(fields, data), replay_key=key
        )
    except InvalidAnswer as exc:
        return decision_view(casework.decision_form(ctx, reference, who, decision), errors=exc.errors)
    except NotAllowedNow as exc:
        return not_yet(reference, decision, exc)
    except (ConversationError, KeyError) as exc:
        return case_notice(refusal(exc if isinstance(exc, ConversationError) else NotFound(decision)))
    notice = f"Recorded: {outcome.title}. Status now: {outcome.status_label}."
    if outcome.replayed:
        return case_notice(notice)
    log.info("decision recorded", extra={"case": outcome.reference, "kind": outcome.decision})
    deliver(outbox, outcome.messages)
    tell_principal(ctx, outbox, reference)
    return case_or_refusal(ctx, reference, who, notice=notice)


def not_yet(reference: str, key: str, error: NotAllowedNow) -> Dialog:
    return not_yet_view(reference, load_decisions().get(key).title, str(error), error.missing)


def _acknowledge(ctx: Context, outbox: Outbox, who: str, key: str | None, reference: str) -> str:
    """What to tell the person ("" when it worked: the card itself changes)."""
    try:
        outcome = casework.record_decision(ctx, reference, who, ACKNOWLEDGED, {}, replay_key=key)
    except NotAllowedNow:
        return ALREADY_ACKNOWLEDGED
    except ConversationError as exc:
        return refusal(exc)
    if not outcome.replayed:
        log.info("decision recorded", extra={"case": outcome.reference, "kind": outcome.decision})
        deliver(outbox, outcome.messages)
    return ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
