"""Buttons: inside the report modal (Back, the resume offer's Carry on / Start again), and the
DSL's (the card's Acknowledge / Open case, each decision in the case modal, Back to the case,
and Home's Report a concern).

Every DSL button goes through `conversations.casefile.casework`, which re-authorises the caller against
the case's academy and audits a refusal; the refused get a short private answer and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import (
    REMINDER_ACTIONS,
    STEP_SEPARATOR,
    ActionId,
    CallbackId,
    decision_of,
    reminder_action_of,
    step_of,
)
from bot.slack.courier import Courier
from bot.slack.listeners import cases as case_screens
from bot.slack.listeners import reminders as reminder_screens
from bot.slack.listeners.flow import current_view, first_view
from bot.slack.listeners.replay_keys import interaction_key
from bot.slack.listeners.replies import update_view
from bot.slack.views.report import View, notice_view
from bot.slack.views.text import error_text
from bot.wording import ALREADY_ACKNOWLEDGED
from conversations.casefile import casework
from conversations.context import Context
from conversations.dialogue import reports
from conversations.errors import ConversationError, NotAllowedNow, StaleStep
from conversations.scheduling import reminder_actions
from state_machines import report as dialogue

DECIDE_ACTIONS = re.compile("^" + re.escape(ActionId.DECIDE + STEP_SEPARATOR) + ".")
ACKNOWLEDGED = "acknowledged"  # the decision the card's Acknowledge records
DELETION_CHECK_SENT = "Deletion check sent by direct message. Their answers appear here."


def register(app: App, ctx: Context, courier: Courier) -> None:
    """Attach the modal's buttons and the DSL's."""
    app.action(ActionId.BACK)(partial(go_back, ctx, courier))
    app.action(ActionId.RESUME)(partial(resume, ctx, courier))
    app.action(ActionId.START_AGAIN)(partial(start_again, ctx, courier))
    app.action(ActionId.ACKNOWLEDGE)(partial(acknowledge_case, ctx, courier))
    app.action(ActionId.OPEN_CASE)(partial(open_case, ctx, courier))
    app.action(DECIDE_ACTIONS)(partial(show_decision, ctx, courier))
    app.action(ActionId.BACK_TO_CASE)(partial(open_case, ctx, courier))
    app.action(ActionId.REPORT_FROM_HOME)(partial(report_from_home, ctx, courier))
    app.action(REMINDER_ACTIONS)(partial(answer_reminder, ctx, courier))
    app.action(ActionId.SEND_DELETION_CHECK)(partial(send_deletion_check, ctx, courier))
    app.action(ActionId.DELETION_CHECK_TO)(choose_only)


def go_back(ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Back one step; a stale click (the draft moved on) just shows where the draft is."""
    # Read the payload before the ack: a malformed one then fails before it (answered by the
    # error handler), not just after it, where bolt's ack wait would time out (3 s, then 404).
    view, user = body["view"], body["user"]["id"]
    shown = dialogue.REVIEW if view["callback_id"] == CallbackId.REVIEW else step_of(view["callback_id"])
    draft_id = view["private_metadata"]
    ack()
    try:
        reports.back(ctx, draft_id, user, expected_step=shown)
    except StaleStep:
        pass  # the draft moved on meanwhile: show where it is
    except ConversationError as exc:  # a sent or someone else's draft: a notice, not an error
        notice = notice_view(error_text(exc))
        courier.screen(update_view, client, view, lambda: notice, person=user)
        return
    _show(ctx, courier, client, view, lambda: reports.get(ctx, draft_id, user))


def resume(ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Carry on with the unfinished draft at its current step."""
    view, user = body["view"], body["user"]["id"]
    draft_id = view["private_metadata"]
    ack()
    _show(ctx, courier, client, view, lambda: reports.get(ctx, draft_id, user))


def start_again(ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Discard the unfinished draft and start a new one (a second click resumes the new one)."""
    view, user = body["view"], body["user"]["id"]
    draft_id = view["private_metadata"]
    team = body.get("team", {}).get("id") or body["user"].get("team_id", "")
    ack()
    try:
        old = reports.get(ctx, draft_id, user)
        draft_id = reports.start(ctx, team, user, restart=not old.finished).id
    except ConversationError as exc:
        notice = notice_view(error_text(exc))
        courier.screen(update_view, client, view, lambda: notice, person=user)
        return
    _show(ctx, courier, client, view, lambda: reports.get(ctx, draft_id, user))


def acknowledge_case(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient
) -> None:
    """The caller takes the case: card updated in place, reporter told (once: the machine allows it once)."""
    user, _, reference = case_screens.clicked(body)
    ack()
    try:
        outcome = casework.record_decision(
            ctx, reference, user, ACKNOWLEDGED, {}, replay_key=interaction_key(body)
        )
    except NotAllowedNow:
        case_screens.tell_privately(courier, client, body, ALREADY_ACKNOWLEDGED)
        return
    except ConversationError as exc:
        case_screens.tell_privately(courier, client, body, case_screens.refusal(exc))
        return
    if not outcome.replayed:  # a replayed click: the card and the reporter were told the first time
        case_screens.after_decision(courier, outcome)


def open_case(ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """The case as it is now, for its safeguarding team only: opened from the card, Home or
    `/ypsi cases`, or shown again from a decision form ("Back to the case")."""
    user, _, reference = case_screens.clicked(body)
    ack()
    try:
        view = case_screens.case_modal(ctx, reference, user)
    except ConversationError as exc:
        case_screens.tell_privately(courier, client, body, case_screens.refusal(exc))
        return
    case_screens.show(courier, client, body, view)


def show_decision(ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """A decision button in the case modal: its form, or what is missing first."""
    user, action_id, reference = case_screens.clicked(body)
    key = decision_of(action_id)
    ack()
    try:
        view = case_screens.decision_or_not_yet(ctx, reference, user, key)
    except ConversationError as exc:
        case_screens.tell_privately(courier, client, body, case_screens.refusal(exc))
        return
    case_screens.show(courier, client, body, view)


def report_from_home(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient
) -> None:
    """Home's "Report a concern": the same dialogue as `/ypsi report`."""
    user, _, _ = case_screens.clicked(body)
    team = body.get("team", {}).get("id") or body["user"].get("team_id", "")
    ack()
    courier.screen(client.views_open, trigger_id=body["trigger_id"], view=first_view(ctx, team, user))


def answer_reminder(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient
) -> None:
    """Any reminder button (see bot/slack/listeners/reminders.py): recorded, then the message updated."""
    click = reminder_screens.click_of(ctx, courier, client, body)
    action, _ = reminder_action_of(click.action_id)
    ack()
    reminder_screens.answer(click, action)


def send_deletion_check(
    ctx: Context, courier: Courier, ack: Ack, body: dict[str, Any], client: WebClient
) -> None:
    """The case modal's "Send deletion check": to the member of staff following the deletion up."""
    user, _, reference = case_screens.clicked(body)
    to = reminder_screens.check_recipient(body)
    ack()
    try:
        check = reminder_actions.request_deletion_check(
            ctx, reference, user, to, replay_key=interaction_key(body)
        )
        if check.replayed:  # the check went the first time; nothing more to show or send
            return
        view = case_screens.case_modal(ctx, reference, user, notice=DELETION_CHECK_SENT)
    except ConversationError as exc:
        case_screens.tell_privately(courier, client, body, case_screens.refusal(exc))
        return
    case_screens.show(courier, client, body, view)


def choose_only(ack: Ack) -> None:
    """Choosing who gets the deletion check changes nothing until Send is pressed."""
    ack()


def _show(
    ctx: Context,
    courier: Courier,
    client: WebClient,
    view: dict[str, Any],
    load: Callable[[], reports.DraftView],
) -> None:
    """The modal `view` shows where the draft is now (re-read again if the modal changed meanwhile)."""

    def render() -> View:
        try:
            return current_view(ctx, load())
        except ConversationError as exc:
            return notice_view(error_text(exc))

    courier.screen(update_view, client, view, render)
