"""Buttons inside the report modal: Back, and the resume offer's Carry on / Start again.

The DSL card's Acknowledge / Open case buttons (bot.ids.ActionId) belong to the DSL lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ids import ActionId, CallbackId, step_of
from bot.listeners.flow import current_view
from bot.views.report import notice_view
from bot.views.text import error_text
from conversations import reports
from conversations.context import Context
from conversations.errors import ConversationError, StaleStep
from state_machines import report as dialogue


def register(app: App, ctx: Context) -> None:
    """Attach the modal's buttons."""
    app.action(ActionId.BACK)(partial(go_back, ctx))
    app.action(ActionId.RESUME)(partial(resume, ctx))
    app.action(ActionId.START_AGAIN)(partial(start_again, ctx))


def go_back(ctx: Context, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Back one step; a stale click (the draft moved on) just shows where the draft is."""
    ack()
    view, user = body["view"], body["user"]["id"]
    shown = dialogue.REVIEW if view["callback_id"] == CallbackId.REVIEW else step_of(view["callback_id"])
    try:
        draft = reports.back(ctx, view["private_metadata"], user, expected_step=shown)
    except StaleStep:
        draft = reports.get(ctx, view["private_metadata"], user)
    _show(ctx, client, view["id"], lambda: draft)


def resume(ctx: Context, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Carry on with the unfinished draft at its current step."""
    ack()
    view, user = body["view"], body["user"]["id"]
    _show(ctx, client, view["id"], lambda: reports.get(ctx, view["private_metadata"], user))


def start_again(ctx: Context, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Discard the unfinished draft and start a new one (a second click resumes the new one)."""
    ack()
    view, user = body["view"], body["user"]["id"]
    team = body.get("team", {}).get("id") or body["user"].get("team_id", "")

    def restarted() -> reports.DraftView:
        old = reports.get(ctx, view["private_metadata"], user)
        return reports.start(ctx, team, user, restart=not old.finished)

    _show(ctx, client, view["id"], restarted)


def _show(ctx: Context, client: WebClient, view_id: str, load: Callable[[], reports.DraftView]) -> None:
    try:
        new_view = current_view(ctx, load())
    except ConversationError as exc:
        new_view = notice_view(error_text(exc))
    client.views_update(view_id=view_id, view=new_view)
