"""`/ypsi` (report | status | help, and for DSLs cases | case REF) and the global shortcut
"Report a YPSI concern"."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import CallbackId
from bot.slack.courier import Courier
from bot.slack.ids import COMMAND
from bot.slack.listeners import cases as case_screens
from bot.slack.listeners.flow import first_view
from bot.slack.views.case import cases_message
from bot.slack.views.text import CASE_USAGE, HELP, NO_OPEN_CASES, NO_REPORTS, UNKNOWN, escape
from bot.wording import CASE_REFUSED
from conversations.casefile import casework
from conversations.context import Context
from conversations.errors import ConversationError, NotAuthorised


def register(app: App, ctx: Context, courier: Courier) -> None:
    """Attach the slash command and the shortcut."""
    app.command(COMMAND)(partial(ypsi_command, ctx, courier))
    app.shortcut(CallbackId.REPORT_SHORTCUT)(partial(report_shortcut, ctx, courier))


def ypsi_command(
    ctx: Context, courier: Courier, ack: Ack, command: dict[str, Any], client: WebClient
) -> None:
    """Route `/ypsi <word>`: every answer is private (an ephemeral ack or a modal)."""
    words = command.get("text", "").strip().split()
    word = words[0].lower() if words else ""
    if word == "cases":
        ack(**open_cases_reply(ctx, command["user_id"]))
    elif word == "case":
        open_case(ctx, courier, ack, client, command, words[1].upper() if len(words) > 1 else "")
    elif word == "report":
        trigger_id = command["trigger_id"]  # before the ack: a payload without one fails before it
        open_report(ctx, courier, client, trigger_id, command["team_id"], command["user_id"])
        ack()
    elif word == "status":
        ack(text=status_text(ctx, command["user_id"]))
    elif word in ("", "help"):
        ack(text=HELP)
    else:
        ack(text=UNKNOWN)


def report_shortcut(
    ctx: Context, courier: Courier, ack: Ack, shortcut: dict[str, Any], client: WebClient
) -> None:
    """The global shortcut opens the same dialogue as `/ypsi report`."""
    user, team = shortcut["user"]["id"], shortcut["team"]["id"]
    open_report(ctx, courier, client, shortcut["trigger_id"], team, user)
    ack()


def open_report(
    ctx: Context, courier: Courier, client: WebClient, trigger_id: str, team_id: str, user_id: str
) -> None:
    """Open the modal at once (the trigger id expires in about 3 s): resume offer or first step.

    The view is read here; `views.open` runs on a delivery worker straight away, in parallel
    with the ack, so neither waits for the other.
    """
    view = first_view(ctx, team_id, user_id)
    courier.screen(client.views_open, trigger_id=trigger_id, view=view, person=user_id)


def open_cases_reply(ctx: Context, user_id: str) -> dict[str, Any]:
    """`/ypsi cases`: the open cases of the caller's academies, overdue first (refusals audited)."""
    try:
        return cases_message(casework.dsl_overview(ctx, user_id), NO_OPEN_CASES)
    except NotAuthorised:
        return {"text": CASE_REFUSED}


def open_case(
    ctx: Context, courier: Courier, ack: Ack, client: WebClient, command: dict[str, Any], reference: str
) -> None:
    """`/ypsi case REF`: the case modal if the caller may see it, else a short private refusal.

    The record is read (and the opening audited) before the ack, so a refusal can be the ack's
    text; it takes milliseconds, well inside Slack's 3 seconds.
    """
    if not reference:
        ack(text=CASE_USAGE)
        return
    trigger = command["trigger_id"]  # read before the ack, so a malformed command fails before it
    try:
        view = case_screens.case_modal(ctx, reference, command["user_id"])
    except ConversationError as exc:
        ack(text=case_screens.refusal(exc))
        return
    courier.screen(client.views_open, trigger_id=trigger, view=view, person=command["user_id"])
    ack()


def status_text(ctx: Context, user_id: str) -> str:
    """The caller's own reports, each in the reporter's words (never the DSL's stage)."""
    rows = casework.my_reports(ctx, user_id)
    if not rows:
        return NO_REPORTS
    lines = [f"• *{escape(r.reference)}*: {escape(r.status)}" for r in rows]
    return "*Your reports*\n" + "\n".join(lines)
