"""`/ypsi` (report | status | help) and the global shortcut "Report a YPSI concern"."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import COMMAND, CallbackId
from bot.listeners.flow import first_view
from bot.views.text import HELP, UNKNOWN, escape
from conversations import cases
from conversations.context import Context


def register(app: App, ctx: Context) -> None:
    """Attach the slash command and the shortcut."""
    app.command(COMMAND)(partial(ypsi_command, ctx))
    app.shortcut(CallbackId.REPORT_SHORTCUT)(partial(report_shortcut, ctx))


def ypsi_command(ctx: Context, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """Route `/ypsi <word>`: every answer is private (an ephemeral ack or a modal)."""
    word = command.get("text", "").strip().lower().split(" ")[0]
    if word == "report":
        ack()
        open_report(ctx, client, command["trigger_id"], command["team_id"], command["user_id"])
    elif word == "status":
        ack(text=status_text(ctx, command["user_id"]))
    elif word in ("", "help"):
        ack(text=HELP)
    else:
        ack(text=UNKNOWN)


def report_shortcut(ctx: Context, ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
    """The global shortcut opens the same dialogue as `/ypsi report`."""
    ack()
    open_report(ctx, client, shortcut["trigger_id"], shortcut["team"]["id"], shortcut["user"]["id"])


def open_report(ctx: Context, client: WebClient, trigger_id: str, team_id: str, user_id: str) -> None:
    """Open the modal at once (the trigger id expires in about 3 s): resume offer or first step."""
    client.views_open(trigger_id=trigger_id, view=first_view(ctx, team_id, user_id))


def status_text(ctx: Context, user_id: str) -> str:
    """The caller's own reports and their states."""
    rows = cases.reports_of(ctx, user_id)
    if not rows:
        return "You have not sent any reports. Type `/ypsi report` to start one."
    lines = [f"• *{escape(r.reference)}*: {escape(r.status_label)}" for r in rows]
    return "*Your reports*\n" + "\n".join(lines)
