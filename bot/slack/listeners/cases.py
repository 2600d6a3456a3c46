"""What the DSL's case screens need from the services: shared by the action, view, command and
event listeners, as flow.py is for the report modal.

Every function goes through `conversations.casefile.casework`, which authorises the caller against the
case's own academy and audits refusals; nothing here decides who may see what.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack.courier import Courier
from bot.slack.listeners.replies import reply_privately, response_url, update_view
from bot.slack.views.case import case_notice, case_view, decision_view, not_yet_view
from bot.slack.views.home import home_view
from bot.slack.views.report import View
from bot.slack.views.text import error_text
from bot.wording import CASE_ERROR_TEXT
from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.errors import ConversationError, NotAllowedNow, NotFound

log = logging.getLogger("ypsi.slack")


def case_modal(ctx: Context, reference: str, user_id: str, *, notice: str = "") -> View:
    """The case modal for an authorised member of the case's safeguarding team (audited)."""
    return case_view(casework.case_detail(ctx, reference, user_id), notice=notice)


def decision_or_not_yet(ctx: Context, reference: str, user_id: str, key: str) -> View:
    """The decision's form, or what must be recorded first when the case is not there yet."""
    try:
        return decision_view(casework.decision_form(ctx, reference, user_id, key))
    except NotAllowedNow as exc:
        return not_yet(reference, key, exc)


def not_yet(reference: str, key: str, error: NotAllowedNow) -> View:
    """The "not yet" modal for a decision the case's stage refuses (e.g. Close, with what is missing)."""
    return not_yet_view(reference, load_decisions().get(key).title, str(error), error.missing)


def metadata_of(private_metadata: str) -> tuple[str, str]:
    """The case reference and decision key a decision modal carries (NotFound when malformed)."""
    try:
        data = json.loads(private_metadata)
        reference, key = data["case"], data["decision"]
    except (ValueError, TypeError, KeyError) as exc:
        raise NotFound("malformed private_metadata") from exc
    if not isinstance(reference, str) or not isinstance(key, str):
        raise NotFound("malformed private_metadata")
    return reference, key


def after_decision(courier: Courier, outcome: casework.DecisionOutcome) -> None:
    """Deliver what the decision wrote to the outbox: the card updated, the reporter told if due."""
    log.info("decision recorded", extra={"case": outcome.reference, "kind": outcome.decision})
    courier.send(outcome.messages)


def tell_principal(ctx: Context, courier: Courier, reference: str) -> None:
    """The Principal's direct message for an urgent or aggravated case, once per case (outbox)."""
    notice = casework.principal_notice(ctx, reference)
    if notice is None:
        return
    courier.send([notice.message])
    log.info("principal told", extra={"case": reference})


def home_for(ctx: Context, user_id: str) -> View:
    """The Home tab: open cases only for a safeguarding team member (others are never refused)."""
    overview = casework.dsl_overview(ctx, user_id) if ctx.academies.dsl_of(user_id) else None
    return home_view(overview, casework.my_reports(ctx, user_id))


def clicked(body: dict[str, Any]) -> tuple[str, str, str]:
    """Who clicked which button with which value, read before the ack.

    A malformed payload then fails before the ack (answered by the error handler), not just
    after it, where bolt's wait for the ack would time out. The trigger id is checked too: every
    answer may need it.
    """
    action = body["actions"][0]
    user, trigger = body["user"]["id"], body["trigger_id"]
    values = (user, action["action_id"], action.get("value", ""), trigger)
    if not all(isinstance(v, str) for v in values):
        raise TypeError("not a button click as Slack sends it")
    return user, action["action_id"], action.get("value", "")


def tell_privately(courier: Courier, client: WebClient, body: dict[str, Any], text: str) -> None:
    """A short answer only the person sees, where they clicked: the channel, the modal, or a new modal."""
    user, view = body["user"]["id"], _dict(body.get("view"))
    if _dict(body.get("container")).get("type") == "message" and response_url(client, body):
        courier.screen(reply_privately, client, body, text)
    elif view.get("type") == "modal" and view.get("id"):
        courier.screen(update_view, client, view, lambda: case_notice(text), person=user)
    else:
        courier.screen(client.views_open, trigger_id=body["trigger_id"], view=case_notice(text), person=user)


def refusal(error: ConversationError) -> str:
    """The words for a service error on a case screen."""
    return error_text(error, CASE_ERROR_TEXT)


def show(courier: Courier, client: WebClient, body: dict[str, Any], view: View) -> None:
    """Replace the modal the click came from, or open a new one (from a message or Home)."""
    current, person = _dict(body.get("view")), body["user"]["id"]
    if current.get("type") == "modal" and current.get("id"):
        courier.screen(update_view, client, current, lambda: view, person=person)
    else:
        courier.screen(client.views_open, trigger_id=body["trigger_id"], view=view, person=person)


def _dict(value: Any) -> dict[str, Any]:
    # Parts of a payload that Slack always sends as objects; anything else counts as absent.
    return value if isinstance(value, dict) else {}
