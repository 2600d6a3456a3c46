"""Slack's own ids: block ids, the slash command, the alert's metadata type. The callback and
action ids every front end shares are in `bot.ids`.

Input blocks use the field key from `guidance.toml` as block id and action id, so validation
errors map onto them directly. What a Teams dialog keeps in its buttons' data, a Slack modal keeps
in its `callback_id` and `private_metadata`.
"""

from __future__ import annotations

import re
from enum import StrEnum


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
