"""Messages: the DSL alert card, the teacher's confirmation, and the DSLs' direct messages.

The card is built only from `routing.Alert` (reference, academy, urgency, category, reporter,
time, status): no pupil names, no ages beyond the under-13 flag, no free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.ids import ALERT_EVENT_TYPE, ActionId, BlockId
from bot.views.report import Block, button, contact_lines, mrkdwn, plain
from bot.views.text import escape
from conversations.calendar import LONDON
from conversations.policy import Contact
from conversations.routing import Alert
from state_machines.case import REPORTED


def alert_text(alert: Alert) -> str:
    """The notification text (lock screens show it): reference and academy only."""
    urgent = "URGENT " if alert.urgent else ""
    return f"{urgent}YPSI concern {alert.reference} at {alert.academy_name}"


def alert_message(alert: Alert, *, mention_dsls: bool = False, note: str = "") -> dict[str, Any]:
    """chat.postMessage / chat.update arguments (without channel) for the card of one case."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(alert_text(alert))},
        {"type": "section", "fields": _fields(alert)},
    ]
    flags = _flags(alert)
    if flags:
        blocks.append({"type": "section", "text": mrkdwn(flags)})
    if mention_dsls:
        who = " ".join(f"<@{u}>" for u in alert.dsl_users)
        blocks.append({"type": "section", "text": mrkdwn(f"{who}: please pick this up now.")})
    if note:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(note))]})
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


# When the DSL team will be in touch: "usually today" only in school hours.
IN_HOURS = "the DSL team has been alerted privately and will contact you, usually today."
OUT_OF_HOURS = (
    "the DSL team has been alerted privately. It is outside school hours, so they may not see it "
    "until the next school day. If a young person is at risk of harm now, call 999."
)


def teacher_receipt(reference: str, contacts: Sequence[Contact], *, in_hours: bool = True) -> dict[str, Any]:
    """The teacher's direct message after sending: reference, what happens next, signposting."""
    text = f"Your report {reference} has been sent to the DSL team."
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(f"*{escape(text)}*")},
        {
            "type": "section",
            "text": mrkdwn(
                f"*What happens next:* {IN_HOURS if in_hours else OUT_OF_HOURS} "
                "Until then: do not investigate further or talk to other pupils about it, "
                "do not view or ask for any image, and keep any device switched off and locked away. "
                "You will get a message here when a DSL picks your report up. `/ypsi status` shows it."
            ),
        },
        {"type": "section", "text": mrkdwn(contact_lines("Help for the young person", contacts))},
    ]
    return {"text": escape(text), "blocks": blocks}


PRINCIPAL_NOTE = (
    'You are told as the Principal (SUAT 2019: "The Safeguarding Lead should inform the Principal"). '
    "This case is urgent or aggravated; the DSL will agree the response with you. No pupil details "
    "are sent here."
)


def principal_message(alert: Alert) -> dict[str, Any]:
    """The Principal's direct message: the minimal card (no pupil details), without case buttons."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(alert_text(alert))},
        {"type": "section", "fields": _fields(alert)},
    ]
    flags = _flags(alert)
    if flags:
        blocks.append({"type": "section", "text": mrkdwn(flags)})
    blocks.append({"type": "context", "elements": [mrkdwn(escape(PRINCIPAL_NOTE))]})
    return {"text": escape(alert_text(alert)), "blocks": blocks}


def _buttons(alert: Alert) -> list[Block]:
    # Acknowledge only while nobody has: once owned, the card offers the case itself.
    opening = [button("Open case", ActionId.OPEN_CASE, alert.reference)]
    if alert.status != REPORTED:
        return opening
    return [button("Acknowledge", ActionId.ACKNOWLEDGE, alert.reference, style="primary"), *opening]


def _fields(alert: Alert) -> list[dict[str, Any]]:
    status = alert.status_label + (" (report still being completed)" if alert.in_progress else "")
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


def _flags(alert: Alert) -> str:
    lines = []
    if alert.under_13:
        lines.append("A young person under 13 is involved.")
    if alert.immediate_referral:
        lines.append("Immediate referral indicated by the policy (the DSL decides).")
    return "\n".join(lines)
