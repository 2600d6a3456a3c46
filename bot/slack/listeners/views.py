"""Modal submissions: each step answered with `response_action` update (next step) or errors,
and the DSL's decisions (update to the case as it is now, errors, or what is missing first).

Posting alerts, updating the card and direct messages are outbox rows the services wrote with
the change; the courier delivers them after the listener returns its `response_action`.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import STEP_SEPARATOR, CallbackId, step_of
from bot.slack.alerts import direct_message
from bot.slack.courier import Courier
from bot.slack.listeners import cases as case_screens
from bot.slack.listeners import reminders as reminder_screens
from bot.slack.listeners.flow import current_view, draft_for, submitted_values
from bot.slack.listeners.replay_keys import interaction_key
from bot.slack.views.case import case_notice
from bot.slack.views.report import notice_view, sent_view
from bot.slack.views.text import DRAFT_KEPT, error_text
from bot.wording import extended_text
from conversations.casefile import casework
from conversations.context import Context
from conversations.dialogue import reports
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow
from conversations.scheduling import reminder_actions

log = logging.getLogger("ypsi.slack")
STEP_VIEWS = re.compile("^" + re.escape(CallbackId.STEP + STEP_SEPARATOR))
DRAFT_VIEWS = re.compile(f"^({re.escape(CallbackId.STEP)}|{re.escape(CallbackId.REVIEW)})")


def register(app: App, ctx: Context, courier: Courier) -> None:
    """Attach the step, review and close handlers."""
    app.view_submission(STEP_VIEWS)(partial(answer_step, ctx, courier))
    app.view_submission(CallbackId.REVIEW)(partial(submit_report, ctx, courier))
    app.view_closed(DRAFT_VIEWS)(partial(closed, courier))
    app.view_submission(CallbackId.DECISION)(partial(record_decision, ctx, courier))
    app.view_submission(CallbackId.EXTEND_DEADLINE)(partial(extend_deadline, ctx, courier))


def answer_step(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """Save one step's answers and show the next step; alert the DSLs at once on immediate risk."""
    user, draft_id = body["user"]["id"], view["private_metadata"]
    try:
        draft_id = draft_for(ctx, body, view)
        outcome = reports.answer(
            ctx, draft_id, user, submitted_values(view), expected_step=step_of(view["callback_id"])
        )
    except InvalidAnswer as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    except NotAllowedNow:
        ack(response_action="update", view=_view_or_notice(ctx, draft_id, user))
        return
    except ConversationError as exc:
        ack(response_action="update", view=notice_view(error_text(exc)))
        return
    ack(response_action="update", view=current_view(ctx, outcome.draft))
    courier.send(outcome.messages)  # the urgent alert and the Principal's notice, if any
    if outcome.urgent_alert is not None:
        log.info("urgent alert", extra={"case": outcome.urgent_alert.reference})


def submit_report(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """Send the report: one case and one alert however often this arrives, then the teacher's DM.

    "Sent" is shown exactly when the case exists: the alert and the receipt are outbox rows of
    the same transaction, delivered after the ack (and by the runner if this process cannot).
    """
    user, draft_id = body["user"]["id"], view["private_metadata"]
    try:
        sent = reports.submit(ctx, draft_id, user)
    except NotAllowedNow:
        ack(response_action="update", view=_view_or_notice(ctx, draft_id, user))
        return
    except ConversationError as exc:
        ack(response_action="update", view=notice_view(error_text(exc)))
        return
    ack(response_action="update", view=sent_view(sent.reference, sent.call_now))
    if not sent.first_time:
        return
    log.info("report submitted", extra={"case": sent.reference})
    courier.send(sent.messages)  # the alert, the receipt and the Principal's notice, if any


def record_decision(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """Record a DSL decision; the services re-authorise, so forged metadata is refused and audited."""
    user = body["user"]["id"]
    try:
        reference, key = case_screens.metadata_of(view.get("private_metadata", ""))
        outcome = casework.record_decision(
            ctx, reference, user, key, submitted_values(view), replay_key=interaction_key(body)
        )
    except InvalidAnswer as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    except NotAllowedNow as exc:
        ack(response_action="update", view=case_screens.not_yet(reference, key, exc))
        return
    except ConversationError as exc:
        ack(response_action="update", view=case_notice(case_screens.refusal(exc)))
        return
    notice = f"Recorded: {outcome.title}. Status now: {outcome.status_label}."
    if outcome.replayed:
        # The same submission again: the same words, but no new opening of the case, nothing sent.
        ack(response_action="update", view=case_notice(notice))
        return
    ack(response_action="update", view=case_screens.case_modal(ctx, reference, user, notice=notice))
    case_screens.after_decision(courier, outcome)
    case_screens.tell_principal(ctx, courier, reference)


def extend_deadline(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
) -> None:
    """A reminder's "Extend deadline" modal: errors by field, or the new date and the reminder updated."""
    user = body["user"]["id"]
    try:
        extension = reminder_screens.extension_of(view)
        extended = reminder_actions.extend_deadline(
            ctx,
            extension.reference,
            user,
            extension.deadline,
            extension.reason,
            replay_key=interaction_key(body),
        )
    except InvalidAnswer as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    except ConversationError as exc:
        ack(response_action="update", view=case_notice(case_screens.refusal(exc)))
        return
    ack(response_action="update", view=case_notice(extended_text(extended.deadline)))
    if not extended.replayed:
        reminder_screens.after_extension(ctx, courier, client, user, extension, extended.deadline)
        courier.send(extended.messages)


def closed(courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Closing the modal keeps the draft: say so, and how to carry on (only if there is one)."""
    has_draft = bool(body["view"].get("private_metadata"))
    ack()
    if has_draft:
        courier.screen(direct_message, client, body["user"]["id"], {"text": DRAFT_KEPT})


def _view_or_notice(ctx: Context, draft_id: str, user: str) -> dict[str, Any]:
    try:
        return current_view(ctx, reports.get(ctx, draft_id, user))
    except ConversationError as exc:
        return notice_view(error_text(exc))
