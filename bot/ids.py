"""Ids every front end shares: screens (callback ids), buttons (action ids) and the keyed ids
built from them, so one vocabulary names every screen and button on every platform.

Each step of the report has the callback id `ypsi_report_step:<step>`, so a submission says which
step it answers (a stale or duplicate submission is detected by the server) while the screen
carries only the draft id. The DSL's case screens carry only the case reference (and the decision
key); every click and submission is re-authorised by the services. A decision button's action id
is `ypsi_case_decide:<decision key>` (unique within a screen).
"""

from __future__ import annotations

import re
from enum import StrEnum


class CallbackId(StrEnum):
    """The screen a modal or dialog shows (and the report shortcut)."""

    REPORT_SHORTCUT = "ypsi_report_shortcut"
    STEP = "ypsi_report_step"
    REVIEW = "ypsi_report_review"
    RESUME = "ypsi_report_resume"
    SENT = "ypsi_report_sent"
    NOTICE = "ypsi_notice"
    CASE = "ypsi_case"
    DECISION = "ypsi_case_decision"
    HOME = "ypsi_home"
    EXTEND_DEADLINE = "ypsi_reminder_extend"


class ActionId(StrEnum):
    """Buttons: navigation, the DSL alert card, the case screens."""

    SUBMIT = "ypsi_submit"  # a Teams dialog's primary button (Slack's modals have theirs built in)
    BACK = "ypsi_back"
    RESUME = "ypsi_resume"
    START_AGAIN = "ypsi_start_again"
    ACKNOWLEDGE = "ypsi_case_acknowledge"
    OPEN_CASE = "ypsi_case_open"
    DECIDE = "ypsi_case_decide"
    BACK_TO_CASE = "ypsi_case_back"
    REPORT_FROM_HOME = "ypsi_home_report"
    SEND_DELETION_CHECK = "ypsi_case_deletion_check"
    DELETION_CHECK_TO = "ypsi_case_deletion_check_to"  # the input naming whom to ask


STEP_SEPARATOR = ":"
# A Slack user id as a case stores it: screens on every platform show a name, never the raw id.
USER_ID = re.compile(r"^[UW][A-Z0-9]{8,}$")
# Reminder buttons: `ypsi_reminder_<action>:<value>` (the action is a ButtonAction; the value
# repeats in the id so ids stay unique within a message, as Slack requires).
REMINDER_PREFIX = "ypsi_reminder_"
REMINDER_ACTIONS = re.compile("^" + re.escape(REMINDER_PREFIX) + r"[a-z_]+" + re.escape(STEP_SEPARATOR))


def reminder_action(action: str, value: str) -> str:
    """The action id of a reminder button."""
    return f"{REMINDER_PREFIX}{action}{STEP_SEPARATOR}{value}"


def reminder_action_of(action_id: str) -> tuple[str, str]:
    """The action and value a reminder button's action id names."""
    if not REMINDER_ACTIONS.match(action_id):
        raise ValueError(f"not a reminder action id: {action_id}")
    action, _, value = action_id.removeprefix(REMINDER_PREFIX).partition(STEP_SEPARATOR)
    return action, value


def decide_action(key: str) -> str:
    """The action id of the button that opens one decision's form (unique within a view)."""
    return f"{ActionId.DECIDE}{STEP_SEPARATOR}{key}"


def decision_of(action_id: str) -> str:
    """The decision key a decide button's action id names."""
    return _named(ActionId.DECIDE, action_id, "decide action id")


def step_callback(step: str) -> str:
    """The callback id of the screen showing one dialogue step."""
    return f"{CallbackId.STEP}{STEP_SEPARATOR}{step}"


def step_of(callback_id: str) -> str:
    """The dialogue step a step screen's callback id names."""
    return _named(CallbackId.STEP, callback_id, "step callback id")


def _named(prefix: str, id_: str, what: str) -> str:
    """What an id made of `prefix`, STEP_SEPARATOR and a name names; ValueError if not one."""
    head, _, name = id_.partition(STEP_SEPARATOR)
    if head != prefix or not name:
        raise ValueError(f"not a {what}: {id_}")
    return name
