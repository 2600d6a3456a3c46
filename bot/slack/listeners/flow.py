"""What the report modal shows for a draft: shared by the command, action and view listeners."""

from __future__ import annotations

from typing import Any

from bot.ids import step_of
from bot.slack.views.report import View, notice_view, opening_view, resume_view, view_for
from bot.wording import NOT_SET_UP
from conversations.context import Context
from conversations.dialogue import reports
from conversations.errors import NotFound
from conversations.guidance.questions import Raw
from state_machines import report as dialogue


def first_view(ctx: Context, team_id: str, user_id: str) -> View:
    """The view `/ypsi report` opens: an offer to resume an unfinished draft, or the first step.

    Only reads: the trigger id expires in about 3 s, so the draft is written when the first step
    is answered (`draft_for`), after the modal is already on screen.
    """
    if not ctx.academies.for_staff(user_id, team_id):
        return notice_view(NOT_SET_UP)
    draft = reports.find_open(ctx, team_id, user_id)
    if draft is None:
        return opening_view(ctx.guidance)
    if draft.answers:
        return resume_view(draft.id, ctx.guidance.steps[draft.state].title)
    return current_view(ctx, draft)


def draft_for(ctx: Context, body: dict[str, Any], view: dict[str, Any]) -> str:
    """The draft a step submission belongs to: only the opening step may start (or resume) one."""
    if view.get("private_metadata"):
        return view["private_metadata"]
    if step_of(view.get("callback_id", "")) != dialogue.SAFETY:
        raise NotFound("draft")
    team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
    return reports.start(ctx, team, body["user"]["id"]).id


def current_view(ctx: Context, draft: reports.DraftView) -> View:
    """The view for where the draft is now (a step, the review, or the end)."""
    return view_for(ctx.guidance, draft)


def submitted_values(view: dict[str, Any]) -> dict[str, Raw]:
    """The raw answer per field key from a view_submission's state (block id = action id = key)."""
    values: dict[str, Raw] = {}
    for actions in view.get("state", {}).get("values", {}).values():
        for action_id, element in actions.items():
            values[action_id] = _raw(element)
    return values


def _raw(element: dict[str, Any]) -> Raw:
    kind = element.get("type")
    if kind in ("radio_buttons", "static_select"):
        option = element.get("selected_option")
        return option["value"] if option else None
    if kind in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "datetimepicker":
        moment = element.get("selected_date_time")
        return str(moment) if moment is not None else None
    if kind == "users_select":
        return element.get("selected_user")
    return element.get("value")
