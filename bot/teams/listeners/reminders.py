"""Reminder buttons in Teams: Acknowledge, Snooze one school day, Deletion confirmed for each
young person, Not yet, Resume the report, and those opening a dialog (Open case, Confirm
deletion, Extend deadline with its date and reason).

The same services as Slack's reminder listeners: `reminder_actions` and
`casework`, which authorise the caller (the case's safeguarding team, or the member of staff a
deletion check was sent to) and audit a refusal. Once recorded, the reminder is updated in place
(the clicked button, or all of them, replaced by who recorded what and when): Teams does not
send the card back with a click, so it is drawn again from the reminder
(`reminder_messages.current`), as it was before the answer, and only after the service accepted
the click; the activity to update is the one the click came from (`replyToId`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from microsoft_teams.api import ActivityBase, TaskFetchInvokeActivity, TaskSubmitInvokeActivity
from microsoft_teams.apps import ActivityContext, App

from bot.ids import REMINDER_PREFIX, ActionId, CallbackId, reminder_action_of
from bot.teams.cards import reminders as screens
from bot.teams.cards.case import case_notice
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import Card
from bot.teams.ids import DataKey
from bot.teams.listeners import Outbox
from bot.teams.listeners.casework import (
    Data,
    action_of,
    after_decision,
    case_or_notice,
    data_of,
    decision_or_not_yet,
    interaction_key,
    is_click,
    refusal,
    tell,
    text_value,
)
from bot.teams.listeners.home import home_for
from bot.teams.listeners.people import is_personal, person_of
from bot.teams.listeners.replies import card_message, dialog
from bot.wording import ALREADY_ACKNOWLEDGED, DEADLINE, REASON, extended_text
from conversations.casefile import casework
from conversations.context import Context
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotFound
from conversations.platforms import TEAMS_PREFIX
from conversations.scheduling import reminder_actions, reminder_messages
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import ButtonAction

log = logging.getLogger("ypsi.teams")
ACKNOWLEDGED = "acknowledged"  # the decision Acknowledge records (as on the card)
CONFIRM_FORM = "deletion_confirmed"  # the per-person decision the DSL's "Confirm deletion" opens
EXTEND_FORM = "deletion_extended"  # checked before the extend dialog opens: same rights
CHANNEL = "channel"  # the extend dialog's data: where the reminder is (conversation, activity)
TS = "ts"
RESUME = "Your report is waiting: press Report a concern to carry on."


@dataclass(frozen=True)
class Click:
    """A reminder button pressed: by whom (id and display name), which, and where its card is."""

    ctx: Context
    outbox: Outbox
    who: str
    name: str
    action_id: str
    value: str
    data: Data
    replay_key: str | None
    conversation: str  # `teams:<conversation id>` of the card
    activity_id: str  # the card's activity (replyToId): "" when Teams did not say
    channel: bool  # the DSL channel's copy (no pseudonyms), not a direct message


@dataclass(frozen=True)
class Answer:
    """What the click changed: the text for the clicker, and the card to show in place (if any)."""

    text: str
    card: Card | None = None
    quiet: bool = False  # nothing to say in a conversation: the card shows what was recorded


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the reminder buttons (clicks and dialog openers) and the extend dialog's submit."""
    app.router.add_handler(clicks_reminder, partial(answer_click, ctx, outbox))
    app.router.add_handler(opens_from_reminder, partial(open_dialog, ctx))
    app.router.add_handler(submits_extension, partial(extend_deadline, ctx, outbox))


def clicks_reminder(activity: ActivityBase) -> bool:
    return is_click(activity) and action_of(activity).startswith(REMINDER_PREFIX)


def opens_from_reminder(activity: ActivityBase) -> bool:
    return isinstance(activity, TaskFetchInvokeActivity) and action_of(activity).startswith(REMINDER_PREFIX)


def submits_extension(activity: ActivityBase) -> bool:
    return (
        isinstance(activity, TaskSubmitInvokeActivity)
        and data_of(activity).get(DataKey.CALLBACK) == CallbackId.EXTEND_DEADLINE
    )


def click_of(ctx: Context, outbox: Outbox, activity: ActivityBase) -> Click:
    """Read the click: who, which button (its action names the value the services check)."""
    who = person_of(activity)
    action_id = action_of(activity)
    _, value = reminder_action_of(action_id)
    return Click(
        ctx,
        outbox,
        who,
        activity.from_.name or "",
        action_id,
        value,
        data_of(activity),
        interaction_key(activity, who),
        TEAMS_PREFIX + activity.conversation.id.split(";", 1)[0],
        activity.reply_to_id or "",
        not is_personal(activity),
    )


async def answer_click(ctx: Context, outbox: Outbox, turn: ActivityContext[Any]) -> dict[str, Any] | None:
    """Do what the button says; update the reminder in place; tell the clicker what happened."""
    try:
        click = click_of(ctx, outbox, turn.activity)
    except ValueError:
        return await tell(turn, refusal(NotFound("reminder button")))
    if reminder_action_of(click.action_id)[0] == ButtonAction.RESUME_REPORT:
        # The person's own draft, whatever the value says: a dialog opens only from a button,
        # so the welcome card's Report button is offered (it resumes the draft).
        await turn.send(card_message(await asyncio.to_thread(home_for, ctx, click.who)))
        return await tell(turn, RESUME, quiet=True)
    answered = await asyncio.to_thread(answer, click)
    if answered.card is not None and click.activity_id:
        await update_card(turn, click, answered.card)
    return await tell(turn, answered.text, quiet=answered.quiet)


def answer(click: Click) -> Answer:
    """The service's answer to the click, or the words for its refusal."""
    try:
        handle = HANDLERS[ButtonAction(reminder_action_of(click.action_id)[0])]
    except (ValueError, KeyError):
        return Answer(refusal(NotFound("reminder button")))  # not a button ypsi-bot sends
    try:
        return handle(click)
    except NotAllowedNow as exc:
        return Answer(str(exc) or refusal(exc))
    except ConversationError as exc:
        return Answer(refusal(exc))


async def update_card(turn: ActivityContext[Any], click: Click, card: Card) -> None:
    """Replace the clicked reminder (a failure is logged: the answer is recorded)."""
    try:
        await turn.api.conversations.update_activity(
            click.conversation.removeprefix(TEAMS_PREFIX),
            click.activity_id,
            card_message(card),
            service_url=turn.activity.service_url,
        )
    except Exception as exc:  # the SDK's HTTP errors have no common base; the answer stands
        log.warning("reminder not updated %s", exc.__class__.__name__)


def _number(value: str) -> int:
    # Reminder and deletion ids are numbers; anything else names nothing.
    if not value.isdigit():
        raise NotFound("reminder button value")
    return int(value)


def _drawn(click: Click, reminder_id: Any) -> reminder_messages.ReminderMessage | None:
    """The reminder as it reads now (None for an id that names none); shown only once answered."""
    if not isinstance(reminder_id, int | str) or not str(reminder_id).isdigit():
        return None
    return reminder_messages.current(click.ctx, int(reminder_id))


def _card(click: Click, message: reminder_messages.ReminderMessage | None, reference: str) -> Card | None:
    """The reminder's card as the clicker saw it, if it is about the case the service just answered
    for (a forged reminder id names another case: nothing is drawn)."""
    if message is None or message.reference != reference:
        return None
    return screens.reminder_card(message, channel=click.channel)


def _answered(click: Click, card: Card | None, what: str, *, keep_others: bool = False) -> Card | None:
    if card is None:
        return None
    line = screens.recorded_line(what, click.name or click.who, click.ctx.clock())
    return screens.answered(card, click.action_id, line, keep_others=keep_others)


def _acknowledge(click: Click) -> Answer:
    reminder = click.data.get(DataKey.REMINDER)
    try:
        outcome = casework.record_decision(
            click.ctx, click.value, click.who, ACKNOWLEDGED, {}, replay_key=click.replay_key
        )
    except NotAllowedNow:
        return Answer(ALREADY_ACKNOWLEDGED)
    text = f"Recorded: {outcome.title}. Status now: {outcome.status_label}."
    if outcome.replayed:
        return Answer(text, quiet=True)
    after_decision(click.ctx, click.outbox, outcome)
    card = _answered(click, _card(click, _drawn(click, reminder), outcome.reference), "Acknowledged")
    return Answer(text, card, quiet=True)


def _snooze(click: Click) -> Answer:
    reminder = _number(click.value)
    shown = _drawn(click, reminder)  # the snoozed reminder is the one the service authorised
    scheduled = reminder_actions.snooze(click.ctx, reminder, click.who)
    what = f"Snoozed until {scheduled.due_at.astimezone(LONDON):%a %d %b %H:%M}"
    card = screens.reminder_card(shown, channel=click.channel) if shown else None
    return Answer(what + ".", _answered(click, card, what), quiet=True)


def _deletion_confirmed_for(click: Click) -> Answer:
    # Drawn before the answer: the button names the young person (by pseudonym) until then.
    before = _drawn(click, click.data.get(DataKey.REMINDER))
    progress = reminder_actions.confirm_deletion_for(click.ctx, _number(click.value), click.who)
    click.outbox.send(progress.messages)  # the channel card, once every deletion is confirmed
    card = _card(click, before, progress.reference)
    label = (screens.clicked_label(card, click.action_id) if card else "") or "Deletion confirmed"
    text = "All deletions are confirmed." if progress.all_confirmed else f"{label}: recorded."
    return Answer(text, _answered(click, card, label, keep_others=not progress.all_confirmed), quiet=True)


def _not_yet(click: Click) -> Answer:
    reminder = _number(click.value)
    progress = reminder_actions.deletion_not_yet(click.ctx, reminder, click.who, replay_key=click.replay_key)
    if progress.replayed:
        return Answer("Not yet: recorded.", quiet=True)
    card = _answered(click, _card(click, _drawn(click, reminder), progress.reference), "Not yet")
    return Answer("Not yet: recorded.", card, quiet=True)


HANDLERS: dict[ButtonAction, Callable[[Click], Answer]] = {
    ButtonAction.ACKNOWLEDGE: _acknowledge,
    ButtonAction.SNOOZE: _snooze,
    ButtonAction.DELETION_CONFIRMED_FOR: _deletion_confirmed_for,
    ButtonAction.NOT_YET: _not_yet,
}


# --- the buttons that open a dialog -----------------------------------------------------------


async def open_dialog(ctx: Context, turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
    """Open case, Confirm deletion (the per-person form), Extend deadline (date and reason)."""
    activity = turn.activity
    who, data = person_of(activity), data_of(activity)
    where = (TEAMS_PREFIX + activity.conversation.id.split(";", 1)[0], activity.reply_to_id or "")
    shown = await asyncio.to_thread(_open, ctx, who, action_of(activity), data, where)
    return dialog(shown.title, shown.card)


def _open(ctx: Context, who: str, action_id: str, data: Data, where: tuple[str, str]) -> Dialog:
    try:
        action, reference = reminder_action_of(action_id)
        kind = ButtonAction(action)
    except ValueError:
        return case_notice(refusal(NotFound("reminder button")))
    case = {DataKey.CASE: reference}
    if kind is ButtonAction.CONFIRM_DELETION:
        return decision_or_not_yet(ctx, who, case, CONFIRM_FORM)
    if kind is ButtonAction.EXTEND_DEADLINE:
        try:
            casework.decision_form(ctx, reference, who, EXTEND_FORM)  # refuses (audited) first
        except NotAllowedNow as exc:
            return case_notice(str(exc) or refusal(exc))
        except ConversationError as exc:
            return case_notice(refusal(exc))
        return screens.extend_view(reference, *where)
    return case_or_notice(ctx, who, case)


async def extend_deadline(
    ctx: Context, outbox: Outbox, turn: ActivityContext[TaskSubmitInvokeActivity]
) -> dict[str, Any] | None:
    """The extend dialog: errors by field, or the new date, and the reminder updated in place."""
    data = data_of(turn.activity)
    if data.get(DataKey.ACTION) != ActionId.SUBMIT:
        return None  # Cancel closes the dialog
    who = person_of(turn.activity)
    key = interaction_key(turn.activity, who)
    shown, deadline = await asyncio.to_thread(_extend, ctx, outbox, who, data, key)
    channel, ts = data.get(CHANNEL), data.get(TS)
    if deadline is not None and isinstance(channel, str) and isinstance(ts, str) and channel and ts:
        name = turn.activity.from_.name or who
        line = screens.recorded_line(f"Deadline extended to {deadline:%a %d %b %Y}", name, ctx.clock())
        message = screens.extended_message(str(data.get(DataKey.CASE)), line)
        try:
            await turn.api.conversations.update_activity(
                channel.removeprefix(TEAMS_PREFIX),
                ts,
                card_message(message),
                service_url=turn.activity.service_url,
            )
        except Exception as exc:  # the SDK's HTTP errors have no common base; the answer stands
            log.warning("reminder not updated %s", exc.__class__.__name__)
    return dialog(shown.title, shown.card)


def _extend(
    ctx: Context, outbox: Outbox, who: str, data: Data, key: str | None
) -> tuple[Dialog, date | None]:
    picked, reason = data.get(DEADLINE), data.get(REASON)
    try:
        reference = text_value(data, DataKey.CASE)
        extended = reminder_actions.extend_deadline(
            ctx, reference, who, _date(picked), reason if isinstance(reason, str) else None, replay_key=key
        )
    except InvalidAnswer as exc:
        return screens.extend_view(
            reference, str(data.get(CHANNEL, "")), str(data.get(TS, "")), errors=exc.errors
        ), None
    except ConversationError as exc:
        return case_notice(refusal(exc)), None
    notice = case_notice(extended_text(extended.deadline))
    if extended.replayed:
        return notice, None
    log.info("deletion deadline extended", extra={"case": reference})
    outbox.send(extended.messages)
    return notice, extended.deadline


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
