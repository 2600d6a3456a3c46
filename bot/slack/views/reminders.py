"""What a reminder becomes once answered, and the "extend deadline" modal.

An answered reminder is updated in place: its buttons are replaced by a line saying what was
recorded, by whom and when (a per-person deletion answer removes only that person's button).
The extend modal carries only the case reference and where the reminder message is.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.ids import CallbackId
from bot.slack.views.case import person
from bot.slack.views.report import Block, View, mrkdwn, plain
from bot.slack.views.text import escape
from bot.wording import DEADLINE, REASON, REASON_LIMIT, SENSITIVE_HINT
from conversations.scheduling.calendar import LONDON


def recorded_line(what: str, user_id: str, at: datetime) -> str:
    """E.g. "Deletion confirmed for A.B. by <@U…> at 10:04" (London time)."""
    return f"{escape(what)} by {person(user_id)} at {at.astimezone(LONDON):%H:%M}"


def answered(blocks: list[Block], action_id: str, line: str, *, keep_others: bool) -> list[Block]:
    """The reminder's blocks after one answer: the clicked button gone (all of them unless
    `keep_others`), then the recorded line."""
    kept: list[Block] = []
    for block in blocks:
        if block.get("type") != "actions":
            kept.append(block)
            continue
        others = [e for e in _elements(block) if e.get("action_id") != action_id]
        if keep_others and others:
            kept.append({**block, "elements": others})
    return [*kept, {"type": "context", "elements": [mrkdwn(line, verbatim=True)]}]


def clicked_label(blocks: list[Block], action_id: str) -> str:
    """The label of the button with `action_id` in the reminder's blocks ("" when absent)."""
    for block in blocks:
        for element in _elements(block) if block.get("type") == "actions" else []:
            label = element.get("text")
            if element.get("action_id") == action_id and isinstance(label, dict):
                return str(label.get("text", ""))
    return ""


def _elements(block: Block) -> list[Block]:
    # The blocks come back from Slack as it shows the message: keep only well-formed elements.
    elements = block.get("elements")
    return [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []


def extend_view(reference: str, channel: str, ts: str) -> View:
    """Ask the new deletion deadline and why (both required; the service validates them)."""
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(f"Case *{escape(reference)}*: choose the new deletion deadline.")},
        {
            "type": "input",
            "block_id": DEADLINE,
            "label": plain("New deadline"),
            "element": {"type": "datepicker", "action_id": DEADLINE, "placeholder": plain("Choose a date")},
        },
        {
            "type": "input",
            "block_id": REASON,
            "label": plain("Why"),
            "hint": plain(SENSITIVE_HINT),
            "element": {
                "type": "plain_text_input",
                "action_id": REASON,
                "multiline": True,
                "max_length": REASON_LIMIT,
            },
        },
    ]
    data = {"case": reference, "channel": channel, "ts": ts}  # keys only: never the message's text
    return {
        "type": "modal",
        "callback_id": CallbackId.EXTEND_DEADLINE,
        "private_metadata": json.dumps(data, separators=(",", ":")),
        "title": plain("Extend deadline"),
        "submit": plain("Extend"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def extended_message(reference: str, line: str) -> dict[str, Any]:
    """chat.update arguments for a reminder whose deadline was extended from the modal."""
    heading = f"*Deletion deadline for case {escape(reference)}*"
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(heading)},
        {"type": "context", "elements": [mrkdwn(line, verbatim=True)]},
    ]
    return {"text": "Deletion deadline extended", "blocks": blocks}
