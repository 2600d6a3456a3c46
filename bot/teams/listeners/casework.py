"""The DSL's casework in Teams: the alert card's Acknowledge and Open case, the case dialog with
its decision forms ("not yet" when the case is not there yet), Back to the case, Send deletion
check, and `case REF` typed in the personal chat (bot.teams.listeners.messages lists `cases`).

The same service calls as Slack's (its actions, views, cases and commands listeners):
`casework.case_detail/decision_form/record_decision/decisions_now/principal_notice` and
`reminder_actions.request_deletion_check`. Every click and submission names the case only
by the reference in the button's data, and the services re-authorise the sender against that
case's academy (auditing a refusal): nothing on a card is trusted. A refusal shows a short
notice, never a trace of the case.

A card button in a conversation arrives as an `adaptiveCard/action` invoke (answered with a
message only the clicker sees) or, as Teams sends `Action.Submit`, as a message whose `value` is
the button's data (handed here by the message handler; answered in the conversation only when
the card itself does not show the answer). Dialog buttons arrive as task/fetch and task/submit
and are answered with the next card (`continue`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from microsoft_teams.api import (
    ActivityBase,
    AdaptiveCardInvokeActivity,
    MessageActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
)
from microsoft_teams.apps import ActivityContext, App

from bot import wording
from bot.ids import STEP_SEPARATOR, ActionId, CallbackId, decision_of
from bot.teams.cards.case import case_notice, case_view, decision_view, not_yet_view
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import Card, card, heading, opener
from bot.teams.cards.inputs import submitted_values
from bot.teams.ids import DataKey
from bot.teams.listeners import Outbox
from bot.teams.listeners.people import person_of
from bot.teams.listeners.replies import card_message, dialog
from bot.teams.listeners.report import deliver
from bot.teams.listeners.words import UNEXPECTED
from bot.wording import ALREADY_ACKNOWLEDGED, CASE_ERROR_TEXT
from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotFound
from conversations.platforms import is_person
from conversations.scheduling import reminder_actions

log = logging.getLogger("ypsi.teams")
ACKNOWLEDGED = "acknowledged"  # the decision the card's Acknowledge records
DELETION_CHECK_SENT = "Deletion check sent by direct message. Their answers appear here."
CASE_USAGE = "Send case and the reference, like case YPSI-2026-0042."
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
DECIDE = ActionId.DECIDE + STEP_SEPARATOR

Data = Mapping[str, Any]


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the alert card's Acknowledge (as an invoke; as a message it comes through
    bot.teams.listeners.messages, which also hands `case REF` here) and the case dialog."""
    app.router.add_handler(clicks_acknowledge, partial(acknowledge, ctx, outbox))
    app.router.add_handler(opens_case, partial(open_case, ctx))
    app.router.add_handler(submits_case, partial(case_dialog, ctx, outbox))


# --- what an activity carries --------------------------------------------------------------------


def data_of(activity: ActivityBase) -> dict[str, Any]:
    """The button's data (and a dialog's inputs): from a dialog, a card invoke, or a message."""
    value = getattr(activity, "value", None)
    if isinstance(activity, AdaptiveCardInvokeActivity):
        data: Any = activity.value.action.data
    elif isinstance(activity, MessageActivity):
        data = value
    else:
        data = getattr(value, "data", None)
    return data if isinstance(data, dict) else {}


def action_of(activity: ActivityBase) -> str:
    action = data_of(activity).get(DataKey.ACTION)
    return action if isinstance(action, str) else ""


def is_click(activity: ActivityBase) -> bool:
    """A card button pressed in a conversation as an invoke (as a message, bot.teams.listeners.messages
    hands it here)."""
    return isinstance(activity, AdaptiveCardInvokeActivity)


def text_value(data: Data, key: str) -> str:
    """A string from the data; anything else (a forged object) names nothing."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise NotFound(f"{key} in card data")
    return value


def interaction_key(activity: ActivityBase, who: str) -> str | None:
    """The key of one click or submission (Slack's replay key): the activity id and the sender, so
    the same activity delivered again changes nothing."""
    if not (isinstance(activity.id, str) and activity.id and who):
        return None
    return "teams:" + hashlib.sha256(f"{activity.id}\0{who}".encode()).hexdigest()


def refusal(error: ConversationError) -> str:
    """The words for a service error on a case screen (Slack's)."""
    return wording.error_text(error, CASE_ERROR_TEXT, UNEXPECTED)


async def tell(turn: ActivityContext[Any], text: str, *, quiet: bool = False) -> dict[str, Any] | None:
    """A short answer to a click: an invoke's answer, which only the clicker sees; for a click that
    came as a message, a message in that conversation unless `quiet` (the card itself changed)."""
    if isinstance(turn.activity, AdaptiveCardInvokeActivity):
        return {"statusCode": 200, "type": INVOKE_MESSAGE, "value": text}
    if not quiet:
        await turn.send(text)
    return None


# --- the alert card ------------------------------------------------------------------------------


def clicks_acknowledge(activity: ActivityBase) -> bool:
    return is_click(activity) and action_of(activity) == ActionId.ACKNOWLEDGE


async def acknowledge(ctx: Context, outbox: Outbox, turn: ActivityContext[Any]) -> dict[str, Any] | None:
    """The caller takes the case: the card updated in place (an outbox row), the reporter told once."""
    who = person_of(turn.activity)
    key = interaction_key(turn.activity, who)
    text, quiet = await asyncio.to_thread(acknowledged, ctx, outbox, who, data_of(turn.activity), key)
    return await tell(turn, text, quiet=quiet)


def acknowledged(ctx: Context, outbox: Outbox, who: str, data: Data, key: str | None) -> tuple[str, bool]:
    """What to tell the caller, and whether the card says it already (recorded)."""
    try:
        outcome = casework.record_decision(
            ctx, text_value(data, DataKey.VALUE), who, ACKNOWLEDGED, {}, replay_key=key
        )
    except NotAllowedNow:
        return ALREADY_ACKNOWLEDGED, False
    except ConversationError as exc:
        return refusal(exc), False
    if not outcome.replayed:  # a replay: the card and the reporter were told the first time
        after_decision(ctx, outbox, outcome)
    return recorded(outcome), True


def recorded(outcome: casework.DecisionOutcome) -> str:
    return f"Recorded: {outcome.title}. Status now: {outcome.status_label}."


def after_decision(ctx: Context, outbox: Outbox, outcome: casework.DecisionOutcome) -> None:
    """Deliver what the decision wrote: the card updated, the reporter told if due, the Principal."""
    log.info("decision recorded", extra={"case": outcome.reference, "kind": outcome.decision})
    deliver(outbox, outcome.messages)
    notice = casework.principal_notice(ctx, outcome.reference)
    if notice is not None:
        deliver(outbox, [notice.message])
        log.info("principal told", extra={"case": outcome.reference})


# --- the case dialog ------------------------------------------------------------------------------


def opens_case(activity: ActivityBase) -> bool:
    return isinstance(activity, TaskFetchInvokeActivity) and action_of(activity) == ActionId.OPEN_CASE


async def open_case(ctx: Context, turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
    """The case as it is now, for its safeguarding team only (from the card, a list, `case REF`)."""
    who, data = person_of(turn.activity), data_of(turn.activity)
    shown = await asyncio.to_thread(case_or_notice, ctx, who, data)
    return dialog(shown.title, shown.card)


def case_or_notice(ctx: Context, who: str, data: Data, notice: str = "") -> Dialog:
    try:
        return case_view(casework.case_detail(ctx, text_value(data, DataKey.CASE), who), notice=notice)
    except ConversationError as exc:
        return case_notice(refusal(exc))


def submits_case(activity: ActivityBase) -> bool:
    return isinstance(activity, TaskSubmitInvokeActivity) and data_of(activity).get(DataKey.CALLBACK) in (
        CallbackId.CASE,
        CallbackId.DECISION,
    )


async def case_dialog(
    ctx: Context, outbox: Outbox, turn: ActivityContext[TaskSubmitInvokeActivity]
) -> dict[str, Any]:
    """A button in the case dialog or a decision form: the next card, in the same dialog."""
    who = person_of(turn.activity)
    key = interaction_key(turn.activity, who)
    shown = await asyncio.to_thread(_case_dialog, ctx, outbox, who, data_of(turn.activity), key)
    return dialog(shown.title, shown.card)


def _case_dialog(ctx: Context, outbox: Outbox, who: str, data: Data, key: str | None) -> Dialog:
    action = data.get(DataKey.ACTION)
    if not isinstance(action, str):
        return case_notice(refusal(NotFound("action")))
    if data.get(DataKey.CALLBACK) == CallbackId.DECISION and action == ActionId.SUBMIT:
        return record_decision(ctx, outbox, who, data, key)
    if action.startswith(DECIDE):
        return decision_or_not_yet(ctx, who, data, decision_of(action))
    if action == ActionId.SEND_DELETION_CHECK:
        return send_deletion_check(ctx, who, data, key)
    return case_or_notice(ctx, who, data)  # Back to the case, or a button never drawn


def decision_or_not_yet(ctx: Context, who: str, data: Data, key: str) -> Dialog:
    """The decision's form, or what must be recorded first when the case is not there yet."""
    try:
        reference = text_value(data, DataKey.CASE)
        return decision_view(casework.decision_form(ctx, reference, who, key))
    except NotAllowedNow as exc:
        return not_yet(reference, key, exc)
    except ConversationError as exc:
        return case_notice(refusal(exc))


def not_yet(reference: str, key: str, error: NotAllowedNow) -> Dialog:
    """A decision the case's stage refuses (e.g. Close, with what is missing)."""
    return not_yet_view(reference, load_decisions().get(key).title, str(error), error.missing)


def record_decision(ctx: Context, outbox: Outbox, who: str, data: Data, key: str | None) -> Dialog:
    """Record a decision; the services re-authorise, so forged data is refused and audited."""
    try:
        reference, decision = text_value(data, DataKey.CASE), text_value(data, DataKey.DECISION)
        values = submitted_values(load_decisions().get(decision).fields, data)
        outcome = casework.record_decision(ctx, reference, who, decision, values, replay_key=key)
    except InvalidAnswer as exc:
        return with_errors(ctx, who, reference, decision, values, exc.errors)
    except NotAllowedNow as exc:
        return not_yet(reference, decision, exc)
    except ConversationError as exc:
        return case_notice(refusal(exc))
    if outcome.replayed:  # the same submission again: the same words, nothing sent again
        return case_notice(recorded(outcome))
    after_decision(ctx, outbox, outcome)
    return case_or_notice(ctx, who, data, notice=recorded(outcome))


def with_errors(
    ctx: Context, who: str, reference: str, decision: str, values: Data, errors: dict[str, str]
) -> Dialog:
    """The same form again, with what was typed and the services' message under each input."""
    try:
        form = casework.decision_form(ctx, reference, who, decision)
    except ConversationError as exc:
        return case_notice(refusal(exc))
    typed = {k: v for k, v in values.items() if v not in (None, [])}  # a multi-select stays a list
    return decision_view(replace(form, defaults={**form.defaults, **typed}), errors=errors)


def send_deletion_check(ctx: Context, who: str, data: Data, key: str | None) -> Dialog:
    """The case dialog's "Send deletion check": to the member of staff following it up."""
    picked = data.get(ActionId.DELETION_CHECK_TO)
    to = picked if isinstance(picked, str) and is_person(picked) else None
    try:
        reference = text_value(data, DataKey.CASE)
        reminder_actions.request_deletion_check(ctx, reference, who, to, replay_key=key)
    except ConversationError as exc:
        return case_notice(refusal(exc))
    return case_or_notice(ctx, who, data, notice=DELETION_CHECK_SENT)


# --- `case REF` in the personal chat --------------------------------------------------------------


async def case_command(ctx: Context, turn: ActivityContext[MessageActivity], reference: str) -> None:
    """`case REF`: a button opening the case (a bot opens a dialog only from a button), once the
    sender is known to be on its safeguarding team; else the refusal (audited by the services)."""
    if not reference:
        await turn.send(CASE_USAGE)
        return
    answer = await asyncio.to_thread(case_opener, ctx, person_of(turn.activity), reference)
    await turn.send(card_message(answer) if isinstance(answer, dict) else answer)


def case_opener(ctx: Context, who: str, reference: str) -> Card | str:
    """The card with the Open button (nothing of the case on it), or the words for a refusal."""
    try:
        casework.decisions_now(ctx, reference, who)
    except ConversationError as exc:
        return refusal(exc)
    data = {DataKey.ACTION: ActionId.OPEN_CASE, DataKey.VALUE: reference, DataKey.CASE: reference}
    return card([heading(f"Case {reference}", size="Medium")], [opener(f"Open case {reference}", data)])
