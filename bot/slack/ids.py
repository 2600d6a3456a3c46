"""Slack's own ids (block ids, the slash command, the alert's metadata type), and the shared
callback and action ids (`bot.ids`) the Block Kit builders, the listeners and the tests use.

Input blocks use the field key from `guidance.toml` as block id and action id, so validation
errors map onto them directly. What a Teams dialog keeps in its buttons' data, a Slack modal keeps
in its `callback_id` and `private_metadata`.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.ids import (
    REMINDER_ACTIONS,
    REMINDER_PREFIX,
    STEP_SEPARATOR,
    ActionId,
    CallbackId,
    decide_action,
    decision_of,
    reminder_action,
    reminder_action_of,
    step_callback,
    step_of,
)

__all__ = [
    "ALERT_EVENT_TYPE",
    "COMMAND",
    "REMINDER_ACTIONS",
    "REMINDER_PREFIX",
    "SLACK_USER",
    "STEP_SEPARATOR",
    "ActionId",
    "BlockId",
    "CallbackId",
    "decide_action",
    "decision_of",
    "reminder_action",
    "reminder_action_of",
    "step_callback",
    "step_of",
]


class BlockId(StrEnum):
    """Block ids of non-input blocks that listeners or tests look for."""

    NAVIGATION = "ypsi_navigation"
    RESUME_CHOICE = "ypsi_resume_choice"
    CASE_ACTIONS = "ypsi_case_actions"
    DECISIONS = "ypsi_case_decisions"
    HOME_ACTIONS = "ypsi_home_actions"
    DELETION_CHECK = "ypsi_case_deletion_check"


COMMAND = "/ypsi"
# A Slack user id as Slack sends it: the only thing that may go into a `<@…>` mention unescaped.
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")
ALERT_EVENT_TYPE = "ypsi_case_alert"
