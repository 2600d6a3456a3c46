"""What each reminder button does in Slack: shared by the action and view listeners.

Every answer goes through a service (`reminder_actions`, `casework`), which authorises the
caller (the case's safeguarding team, or the member of staff a deletion check was sent to) and
audits a refusal. Once recorded, the reminder message is updated in place (its buttons replaced
by what was recorded) and, when the case's status changed, so is its DSL channel card.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ids import ActionId
from bot.slack.courier import Courier
from bot.slack.ids import SLACK_USER, BlockId
from bot.slack.listeners import cases as case_screens
from bot.slack.listeners.flow import first_view, submitted_values
from bot.slack.listeners.replay_keys import interaction_key
from bot.slack.views import reminders as screens
from bot.wording import ALREADY_ACKNOWLEDGED, DEADLINE, REASON
from conversations.casefile import casework
from conversations.context import Context
from conversations.errors import ConversationError, NotAllowedNow, NotFound
from conversations.scheduling import reminder_actions
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import ButtonAction

log = logging.getLogger("ypsi.slack")
ACKNOWLEDGED = "acknowledged"  # the decision Acknowledge records (as on the card)
CONFIRM_FORM = "deletion_confirmed"  # the per-person decision the DSL's "Deletion confirmed" opens
EXTEND_FORM = "deletion_extended"  # checked before the extend modal opens: same trigger, same rights


@dataclass(frozen=True)
class Click:
    """A reminder button pressed: by whom, which, and the message it sits on (if a message)."""

    ctx: Context
    courier: Courier
    client: WebClient
    body: dict[str, Any]
    user: str
    action_id: str
    value: str
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


def click_of(ctx: Context, courier: Courier, client: WebClient, body: dict[str, Any]) -> Click:
    """Read the click before the ack (a malformed payload then fails before it)."""
    user, action_id, value = case_screens.clicked(body)
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    blocks = message.get("blocks") if isinstance(message.get("blocks"), list) else []
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    channel, ts = container.get("channel_id"), container.get("message_ts")
    in_message = container.get("type") == "message" and isinstance(channel, str) and isinstance(ts, str)
    return Click(
        ctx,
        courier,
        client,
        body,
        user,
        action_id,
        value,
        channel if in_message else "",
        ts if in_message else "",
        text or "Reminder",
        [b for b in blocks if isinstance(b, dict)],
    )


def check_recipient(body: dict[str, Any]) -> str | None:
    """Who the DSL picked for the deletion check in the case modal (None: the one recorded)."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    state = view.get("state") if isinstance(view.get("state"), dict) else {}
    values = state.get("values") if isinstance(state.get("values"), dict) else {}
    block = values.get(BlockId.DELETION_CHECK) if isinstance(values.get(BlockId.DELETION_CHECK), dict) else {}
    picked = block.get(ActionId.DELETION_CHECK_TO)
    user = picked.get("selected_user") if isinstance(picked, dict) else None
    return user if isinstance(user, str) and SLACK_USER.fullmatch(user) else None


def answer(click: Click, action: str) -> None:
    """Do what the button says; tell the person privately when the service refuses."""
    try:
        handle = HANDLERS[ButtonAction(action)]
    except ValueError:
        return  # not a button ypsi-bot ever sends: nothing to do
    try:
        handle(click)
    except NotAllowedNow as exc:
        case_screens.tell_privately(
            click.courier, click.client, click.body, str(exc) or case_screens.refusal(exc)
        )
    except ConversationError as exc:
        case_screens.tell_privately(click.courier, click.client, click.body, case_screens.refusal(exc))


def _number(value: str) -> int:
    # Reminder and deletion ids are numbers; anything else names nothing.
    if not value.isdigit():
        raise NotFound("reminder button value")
    return int(value)


def _record(click: Click, what: str, *, keep_others: bool = False) -> None:
    """Replace the clicked message's buttons by what was recorded (messages only; modals differ)."""
    if not (click.channel and click.blocks):
        return
    line = screens.recorded_line(what, click.user, click.ctx.clock())
    blocks = screens.answered(click.blocks, click.action_id, line, keep_others=keep_others)
    click.courier.screen(
        update_message, click.client, click.channel, click.ts, {"text": click.text, "blocks": blocks}
    )


def update_message(client: WebClient, channel: str, ts: str, message: dict[str, Any]) -> None:
    """Update a reminder in place (on a delivery worker); a failure is logged: the answer is recorded."""
    try:
        client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as exc:
        log.warning("reminder message not updated %s", exc.response.get("error", "error"))


def _acknowledge(click: Click) -> None:
    try:
        outcome = casework.record_decision(
            click.ctx, click.value, click.user, ACKNOWLEDGED, {}, replay_key=interaction_key(click.body)
        )
    except NotAllowedNow:
        case_screens.tell_privately(click.courier, click.client, click.body, ALREADY_ACKNOWLEDGED)
        return
    if outcome.replayed:
        return
    _record(click, "Acknowledged")
    case_screens.after_decision(click.courier, outcome)


def _open_case(click: Click) -> None:
    view = case_screens.case_modal(click.ctx, click.value, click.user)
    click.courier.screen(click.client.views_open, trigger_id=click.body["trigger_id"], view=view)


def _confirm_deletion(click: Click) -> None:
    # The DSL ticks who has confirmed in the decision form, as from the case modal.
    view = case_screens.decision_or_not_yet(click.ctx, click.value, click.user, CONFIRM_FORM)
    click.courier.screen(click.client.views_open, trigger_id=click.body["trigger_id"], view=view)


def _extend_deadline(click: Click) -> None:
    casework.decision_form(click.ctx, click.value, click.user, EXTEND_FORM)  # refuses (audited) first
    view = screens.extend_view(click.value, click.channel, click.ts)
    click.courier.screen(click.client.views_open, trigger_id=click.body["trigger_id"], view=view)


def _snooze(click: Click) -> None:
    scheduled = reminder_actions.snooze(click.ctx, _number(click.value), click.user)
    _record(click, f"Snoozed until {scheduled.due_at.astimezone(LONDON):%a %d %b %H:%M}")


def _deletion_confirmed_for(click: Click) -> None:
    progress = reminder_actions.confirm_deletion_for(click.ctx, _number(click.value), click.user)
    label = screens.clicked_label(click.blocks, click.action_id) or "Deletion confirmed"
    _record(click, label, keep_others=not progress.all_confirmed)
    click.courier.send(progress.messages)  # the card, once every deletion is confirmed


def _not_yet(click: Click) -> None:
    progress = reminder_actions.deletion_not_yet(
        click.ctx, _number(click.value), click.user, replay_key=interaction_key(click.body)
    )
    if not progress.replayed:
        _record(click, "Not yet")


def _resume_report(click: Click) -> None:
    # The person's own open draft, whatever the value says: a draft is only ever its author's.
    body = click.body
    team = body.get("team", {}).get("id") or body["user"].get("team_id", "")
    view = first_view(click.ctx, team, click.user)
    click.courier.screen(click.client.views_open, trigger_id=click.body["trigger_id"], view=view)


HANDLERS: dict[ButtonAction, Callable[[Click], None]] = {
    ButtonAction.ACKNOWLEDGE: _acknowledge,
    ButtonAction.OPEN_CASE: _open_case,
    ButtonAction.SNOOZE: _snooze,
    ButtonAction.CONFIRM_DELETION: _confirm_deletion,
    ButtonAction.EXTEND_DEADLINE: _extend_deadline,
    ButtonAction.DELETION_CONFIRMED_FOR: _deletion_confirmed_for,
    ButtonAction.NOT_YET: _not_yet,
    ButtonAction.RESUME_REPORT: _resume_report,
}


@dataclass(frozen=True)
class Extension:
    """The extend modal's submission: the case, the reminder message, and the answers."""

    reference: str
    channel: str
    ts: str
    deadline: date | None
    reason: str | None


def extension_of(view: dict[str, Any]) -> Extension:
    """Read the extend modal (NotFound when its metadata is not the modal's own)."""
    try:
        data = json.loads(view.get("private_metadata", ""))
        parts = [data["case"], data["channel"], data["ts"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise NotFound("malformed private_metadata") from exc
    if not all(isinstance(p, str) for p in parts):
        raise NotFound("malformed private_metadata")
    values = submitted_values(view)
    picked, reason = values.get(DEADLINE), values.get(REASON)
    return Extension(*parts, _date(picked), reason if isinstance(reason, str) else None)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def after_extension(
    ctx: Context,
    courier: Courier,
    client: WebClient,
    user: str,
    extension: Extension,
    deadline: date,
) -> None:
    """The reminder message says what was recorded (the card's update is an outbox row)."""
    log.info("deletion deadline extended", extra={"case": extension.reference})
    if extension.channel and extension.ts:
        line = screens.recorded_line(f"Deadline extended to {deadline:%a %d %b %Y}", user, ctx.clock())
        message = screens.extended_message(extension.reference, line)
        courier.screen(update_message, client, extension.channel, extension.ts, message)
