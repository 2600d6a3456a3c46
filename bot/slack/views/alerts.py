"""Messages: the DSL alert card, the teacher's confirmation, and the DSLs' direct messages.

The card is built only from `routing.Alert` (reference, academy, urgency, category, reporter,
time, status): no pupil names, no ages beyond the under-13 flag, no free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.ids import ActionId
from bot.slack.ids import ALERT_EVENT_TYPE, BlockId
from bot.slack.views.report import Block, button, contact_lines, header, mrkdwn, out_of_hours_blocks
from bot.slack.views.text import escape
from bot.wording import ALERTED, IN_HOURS, PRINCIPAL_NOTE, alert_text
from conversations.dialogue.routing import ACKNOWLEDGE, ACTION_LABELS, OPEN_CASE, Alert
from conversations.guidance.policy import Contact
from conversations.scheduling.calendar import LONDON

CARD_ACTIONS = {ACKNOWLEDGE: ActionId.ACKNOWLEDGE, OPEN_CASE: ActionId.OPEN_CASE}


def alert_message(alert: Alert, *, mention_dsls: bool = False, note: str = "") -> dict[str, Any]:
    """chat.postMessage / chat.update arguments (without channel) for the card of one case."""
    blocks: list[Block] = [
        header(alert_text(alert)),
        {"type": "section", "fields": _fields(alert)},
    ]
    if alert.flags:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(alert.flags))})
    if mention_dsls:
        who = " ".join(f"<@{u}>" for u in alert.dsl_users)
        blocks.append({"type": "section", "text": mrkdwn(f"{who}: please pick this up now.")})
    if note:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(note), verbatim=True)]})
    blocks.append(
        {
            "type": "actions",
            "block_id": BlockId.CASE_ACTIONS,
            "elements": _buttons(alert),
        }
    )
    return {
        "text": escape(alert_text(alert)),
        "blocks": blocks,
        "metadata": {"event_type": ALERT_EVENT_TYPE, "event_payload": {"reference": alert.reference}},
    }


def teacher_receipt(
    reference: str, contacts: Sequence[Contact], call_now: Sequence[Contact] = ()
) -> dict[str, Any]:
    """The teacher's direct message after sending: reference, what happens next, signposting, and
    out of school hours whom to call now."""
    text = f"Your report {reference} has been sent to the DSL team."
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(f"*{escape(text)}*")},
        {
            "type": "section",
            "text": mrkdwn(
                f"*What happens next:* {ALERTED if call_now else IN_HOURS} "
                "Until then: do not investigate further or talk to other pupils about it, "
                "do not view or ask for any image, and keep any device switched off and locked away. "
                "You will get a message here when a DSL picks your report up. `/ypsi status` shows it."
            ),
        },
        *out_of_hours_blocks(call_now),
        {"type": "section", "text": mrkdwn(contact_lines("Help for the young person", contacts))},
    ]
    return {"text": escape(text), "blocks": blocks}


def principal_message(alert: Alert) -> dict[str, Any]:
    """The Principal's direct message: the minimal card (no pupil details), without case buttons."""
    blocks: list[Block] = [header(alert_text(alert)), {"type": "section", "fields": _fields(alert)}]
    if alert.flags:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(alert.flags))})
    blocks.append({"type": "context", "elements": [mrkdwn(escape(PRINCIPAL_NOTE))]})
    return {"text": escape(alert_text(alert)), "blocks": blocks}


def _buttons(alert: Alert) -> list[Block]:
    styles = {ACKNOWLEDGE: "primary"}
    labels = {OPEN_CASE: f"Open case {alert.reference}"}
    return [
        button(
            ACTION_LABELS[action],
            CARD_ACTIONS[action],
            alert.reference,
            style=styles.get(action),
            label=labels.get(action),
        )
        for action in alert.actions
    ]


def _fields(alert: Alert) -> list[dict[str, Any]]:
    status = alert.status_text
    when = alert.reported_at.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")
    pairs = [
        ("Reference", alert.reference),
        ("Academy", alert.academy_name),
        ("Urgency", "Urgent" if alert.urgent else "Normal"),
        ("Suggested category", alert.category_label),
        ("Status", status),
        ("Reported", when),
    ]
    fields = [mrkdwn(f"*{label}:*\n{escape(value)}") for label, value in pairs]
    fields.insert(5, mrkdwn(f"*Reported by:*\n<@{alert.reporter_id}>"))
    if alert.owner_id:
        fields.append(mrkdwn(f"*Owner:*\n<@{alert.owner_id}>"))
    return fields
