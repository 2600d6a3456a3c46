"""The report dialog: the Report button opens it (task/fetch); each card's buttons submit it
(task/submit) and the answer is the next card, shown in the same dialog (`continue`).

The same service calls as Slack's modal (its flow, views and actions listeners):
`reports.start/find_open/answer/back/get/submit`. What Slack keeps in a view's callback id and
private metadata, a card keeps in each button's data (`callback`, `action`, `draft`): every
submission is checked by the services against the sender, so a forged draft id is refused.
Validation errors come back on the same card, under each input, with what was typed kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from microsoft_teams.api import ActivityBase, TaskFetchInvokeActivity, TaskSubmitInvokeActivity
from microsoft_teams.apps import ActivityContext, App

from bot.ids import ActionId, CallbackId, step_of
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.inputs import submitted_values
from bot.teams.cards.report import notice_view, opening_view, resume_view, sent_view, step_view, view_for
from bot.teams.ids import DataKey
from bot.teams.listeners import Outbox
from bot.teams.listeners.people import person_of, tenant_of
from bot.teams.listeners.replies import dialog
from bot.teams.listeners.words import error_text
from bot.wording import NOT_SET_UP
from conversations.context import Context
from conversations.dialogue import reports
from conversations.dialogue.screens import step_screen
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotFound, StaleStep
from conversations.guidance.questions import Raw
from state_machines import report as dialogue

log = logging.getLogger("ypsi.teams")
REPORT_CALLBACKS = (CallbackId.REVIEW, CallbackId.RESUME, CallbackId.SENT, CallbackId.NOTICE)
# Cards that only say something: their button closes the dialog.
CLOSING = (CallbackId.SENT, CallbackId.NOTICE)

Data = Mapping[str, Any]


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the dialog's opening and its submissions (only the report's: by callback)."""
    app.router.add_handler(opens_report, partial(open_report, ctx))
    app.router.add_handler(submits_report, partial(answer, ctx, outbox))


def data_of(activity: ActivityBase) -> dict[str, Any]:
    """The submitted data of a task/fetch or task/submit (the button's data and the inputs)."""
    value = getattr(activity, "value", None)
    data = getattr(value, "data", None)
    return data if isinstance(data, dict) else {}


def opens_report(activity: ActivityBase) -> bool:
    return (
        isinstance(activity, TaskFetchInvokeActivity)
        and data_of(activity).get(DataKey.ACTION) == ActionId.REPORT_FROM_HOME
    )


def submits_report(activity: ActivityBase) -> bool:
    if not isinstance(activity, TaskSubmitInvokeActivity):
        return False
    callback = data_of(activity).get(DataKey.CALLBACK)
    return isinstance(callback, str) and (callback in REPORT_CALLBACKS or _is_step(callback))


async def open_report(ctx: Context, turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
    """The first card: an offer to resume an unfinished report, or the first step."""
    who, tenant = person_of(turn.activity), tenant_of(turn.activity)
    shown = await asyncio.to_thread(first_view, ctx, who, tenant)
    return dialog(shown.title, shown.card)


async def answer(
    ctx: Context, outbox: Outbox, turn: ActivityContext[TaskSubmitInvokeActivity]
) -> dict[str, Any] | None:
    """The next card for a button pressed in the dialog; None closes the dialog."""
    data = data_of(turn.activity)
    if data.get(DataKey.CALLBACK) in CLOSING:
        return None
    who, tenant = person_of(turn.activity), tenant_of(turn.activity)
    shown = await asyncio.to_thread(_handle, ctx, outbox, who, tenant, data)
    return dialog(shown.title, shown.card)


def first_view(ctx: Context, who: str, tenant: str) -> Dialog:
    """Reads only: the draft is written when the first step is answered."""
    if not who or not ctx.academies.for_staff(who, tenant):
        return notice_view(NOT_SET_UP)
    draft = reports.find_open(ctx, tenant, who)
    if draft is None:
        return opening_view(ctx.guidance)
    if draft.answers:
        return resume_view(draft.id, ctx.guidance.steps[draft.state].title)
    return view_for(ctx.guidance, draft)


def _handle(ctx: Context, outbox: Outbox, who: str, tenant: str, data: Data) -> Dialog:
    callback, action = str(data.get(DataKey.CALLBACK)), data.get(DataKey.ACTION)
    draft_id = data.get(DataKey.DRAFT) or ""
    if not who or not isinstance(draft_id, str):
        return notice_view(NOT_SET_UP)
    if _is_step(callback) and step_of(callback) in ctx.guidance.steps:
        if action == ActionId.SUBMIT:
            return answer_step(ctx, outbox, who, tenant, step_of(callback), draft_id, data)
        if action == ActionId.BACK:
            return go_back(ctx, who, draft_id, step_of(callback))
    elif callback == CallbackId.REVIEW:
        if action == ActionId.SUBMIT:
            return submit_report(ctx, outbox, who, draft_id)
        if action == ActionId.BACK:
            return go_back(ctx, who, draft_id, dialogue.REVIEW)
    elif callback == CallbackId.RESUME and action == ActionId.START_AGAIN:
        return start_again(ctx, who, tenant, draft_id)
    return view_or_notice(ctx, draft_id, who)  # Carry on, Keep my report, or a button we never drew


def answer_step(
    ctx: Context, outbox: Outbox, who: str, tenant: str, step: str, draft_id: str, data: Data
) -> Dialog:
    """Save one step's answers and show the next step; alert the DSLs at once on immediate risk."""
    values = submitted_values(ctx.guidance.steps[step].fields, data)
    try:
        draft_id = draft_id or _start(ctx, who, tenant, step)
        outcome = reports.answer(ctx, draft_id, who, values, expected_step=step)
    except InvalidAnswer as exc:
        return with_errors(ctx, draft_id, who, step, values, exc.errors)
    except NotAllowedNow:
        return view_or_notice(ctx, draft_id, who)
    except ConversationError as exc:
        return notice_view(error_text(exc))
    deliver(outbox, outcome.messages)  # the urgent alert and the Principal's notice, if any
    if outcome.urgent_alert is not None:
        log.info("urgent alert", extra={"case": outcome.urgent_alert.reference})
    return view_for(ctx.guidance, outcome.draft)


def go_back(ctx: Context, who: str, draft_id: str, shown: str) -> Dialog:
    """Back one step; a stale press (the draft moved on) just shows where the draft is."""
    try:
        reports.back(ctx, draft_id, who, expected_step=shown)
    except StaleStep:
        pass
    except ConversationError as exc:
        return notice_view(error_text(exc))
    return view_or_notice(ctx, draft_id, who)


def start_again(ctx: Context, who: str, tenant: str, draft_id: str) -> Dialog:
    """Discard the unfinished draft and start a new one (a second press resumes the new one)."""
    try:
        old = reports.get(ctx, draft_id, who)
        fresh = reports.start(ctx, tenant, who, restart=not old.finished)
    except ConversationError as exc:
        return notice_view(error_text(exc))
    return view_for(ctx.guidance, fresh)


def submit_report(ctx: Context, outbox: Outbox, who: str, draft_id: str) -> Dialog:
    """Send the report: one case and one alert however often this arrives; "sent" exactly when
    the case exists (the alert and the receipt are outbox rows of the same transaction)."""
    try:
        sent = reports.submit(ctx, draft_id, who)
    except NotAllowedNow:
        return view_or_notice(ctx, draft_id, who)
    except ConversationError as exc:
        return notice_view(error_text(exc))
    if sent.first_time:
        log.info("report submitted", extra={"case": sent.reference})
        deliver(outbox, sent.messages)  # the alert, the receipt and the Principal's notice, if any
    return sent_view(sent.reference, sent.call_now)


def with_errors(
    ctx: Context, draft_id: str, who: str, step: str, values: dict[str, Raw], errors: dict[str, str]
) -> Dialog:
    """The same step again, with what was typed and the services' message under each input."""
    draft = reports.get(ctx, draft_id, who)
    typed = {key: value for key, value in values.items() if value not in (None, [])}
    return step_view(step_screen(ctx.guidance, step, draft.id, typed, draft.choices), errors=errors)


def view_or_notice(ctx: Context, draft_id: str, who: str) -> Dialog:
    """Where the draft is now, or a notice if it is not the sender's (or does not exist)."""
    try:
        return view_for(ctx.guidance, reports.get(ctx, draft_id, who))
    except ConversationError as exc:
        return notice_view(error_text(exc))


def deliver(outbox: Outbox, messages: Sequence[int]) -> None:
    if messages:
        outbox.send(messages)


def _start(ctx: Context, who: str, tenant: str, step: str) -> str:
    """Only the opening step may start (or resume) a draft: its card carries no draft id yet."""
    if step != dialogue.SAFETY:
        raise NotFound("draft")
    return reports.start(ctx, tenant, who).id


def _is_step(callback: str) -> bool:
    try:
        step_of(callback)
    except ValueError:
        return False
    return True
