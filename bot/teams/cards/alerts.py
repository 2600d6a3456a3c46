"""Messages: the DSL alert card, the teacher's confirmation, and the Principal's card.

The alert card is built only from `routing.Alert` (reference, academy, urgency, category, time,
status), as Slack's: no pupil names, no ages beyond the under-13 flag, no free text. An `Alert`
holds people's ids, not their names, and a Teams mention needs the name: the card says who
reported and who owns the case in the case itself (Open case), never as a raw id.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ActionId
from bot.teams.cards.elements import Card, Element, card, facts, heading, opener, rich, submit, text
from bot.teams.cards.report import contact_lines, out_of_hours
from bot.teams.cards.text import STATUS_HINT, escape
from bot.teams.ids import DataKey
from bot.wording import ALERTED, IN_HOURS, PRINCIPAL_NOTE, alert_text
from conversations.dialogue.routing import ACKNOWLEDGE, ACTION_LABELS, OPEN_CASE, Alert
from conversations.guidance.policy import Contact
from conversations.scheduling.calendar import LONDON

NAMED_IN_CASE = "a member of staff (named in the case)"
OWNER_IN_CASE = "a DSL (named in the case)"
PICK_UP = "DSL team: please pick this up now."


def alert_message(alert: Alert, *, mention_dsls: bool = False, note: str = "") -> Card:
    """The card of one case for the DSL channel (posted, then updated in place)."""
    body: list[Element] = [_heading(alert), facts(_facts(alert)), *_flags(alert)]
    if mention_dsls:
        body.append(text(f"**{PICK_UP}**", attention=True))
    if note:
        body.append(rich(note, subtle=True))
    return card(body, _buttons(alert), fallback=alert_text(alert))


def teacher_receipt(reference: str, contacts: Sequence[Contact], call_now: Sequence[Contact] = ()) -> Card:
    """The teacher's direct message after sending: reference, what happens next, signposting, and
    out of school hours whom to call now."""
    sent = f"Your report {reference} has been sent to the DSL team."
    body: list[Element] = [
        text(f"**{escape(sent)}**"),
        text(
            f"**What happens next:** {ALERTED if call_now else IN_HOURS} "
            "Until then: do not investigate further or talk to other pupils about it, "
            "do not view or ask for any image, and keep any device switched off and locked away. "
            + STATUS_HINT
        ),
        *out_of_hours(call_now),
        text(contact_lines("Help for the young person", contacts)),
    ]
    return card(body, fallback=sent)


def principal_message(alert: Alert) -> Card:
    """The Principal's direct message: the minimal card (no pupil details), without case buttons."""
    body = [_heading(alert), facts(_facts(alert)), *_flags(alert), text(escape(PRINCIPAL_NOTE), subtle=True)]
    return card(body, fallback=alert_text(alert))


def _heading(alert: Alert) -> Element:
    block = heading(escape(alert_text(alert)))
    if alert.urgent:
        block["color"] = "Attention"
    return block


def _flags(alert: Alert) -> list[Element]:
    return [text(flag, attention=True) for flag in alert.flags]


def _buttons(alert: Alert) -> list[Element]:
    data = {DataKey.VALUE: alert.reference, DataKey.CASE: alert.reference}
    buttons = {
        ACKNOWLEDGE: submit(
            ACTION_LABELS[ACKNOWLEDGE], {DataKey.ACTION: ActionId.ACKNOWLEDGE, **data}, style="positive"
        ),
        OPEN_CASE: opener(
            f"{ACTION_LABELS[OPEN_CASE]} {alert.reference}", {DataKey.ACTION: ActionId.OPEN_CASE, **data}
        ),
    }
    return [buttons[action] for action in alert.actions]


def _facts(alert: Alert) -> list[tuple[str, str]]:
    pairs = [
        ("Reference", alert.reference),
        ("Academy", alert.academy_name),
        ("Urgency", "Urgent" if alert.urgent else "Normal"),
        ("Suggested category", alert.category_label),
        ("Status", alert.status_text),
        ("Reported by", NAMED_IN_CASE),
        ("Reported", alert.reported_at.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")),
    ]
    if alert.owner_id:
        pairs.append(("Owner", OWNER_IN_CASE))
    return pairs
