"""Reminders as cards: the reminder itself with its buttons, what it becomes once answered, and
the "extend deadline" dialog.

A reminder's texts are the data file's (`reminders.toml`), never free text. Buttons carry
`{"action": reminder_action(action, value), "value": value, "reminder": id}`; those that ask
more (open the case, confirm deletion per person, extend the deadline) open a dialog. A button
that shows a pseudonym ("Deletion confirmed for …") goes only to direct messages: the channel
copy leaves it out. An answered reminder is updated in place: the clicked button (or all of
them) gone and a line saying what was recorded, by whom and when. Teams does not send a card
back with a click, so `answered` works on the card the courier rebuilds or kept.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.ids import ActionId, CallbackId, reminder_action
from bot.teams.cards.case import person
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import Card, Element, Run, action_sets, card, error, opener, rich, submit, text
from bot.teams.cards.limits import CARD_BYTES, fit, size
from bot.teams.cards.text import escape
from bot.teams.ids import DataKey
from bot.wording import DEADLINE, PRIVATE_ONLY, REASON, REASON_LIMIT, SENSITIVE_HINT
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import Button, ButtonAction, ReminderMessage

# Buttons that ask more than a click: Teams fetches a dialog for them.
OPENS_DIALOG = frozenset(
    {ButtonAction.OPEN_CASE, ButtonAction.CONFIRM_DELETION, ButtonAction.EXTEND_DEADLINE}
)
ANSWERED_ID = "ypsi_reminder_answered"


def reminder_card(message: ReminderMessage, *, channel: bool = False) -> Card:
    """The reminder as a card; `channel`: the DSL channel's copy (no pseudonyms)."""
    buttons = [_button(b, message) for b in message.buttons if not (channel and b.action in PRIVATE_ONLY)]
    rows = action_sets(buttons, f"ypsi_reminder:{message.reminder_id}")
    title = text(f"{'🚨 ' if message.urgent else ''}**{escape(message.title)}**", attention=message.urgent)
    lines = [rich(line) for line in message.lines]
    # The digest's lines fill what the buttons leave; the last give way to "…and N more".
    room = CARD_BYTES - size(card([title, text(escape(message.text)), *rows])) - 128
    shown = fit(lines, room, text("…", subtle=True))
    if len(shown) < len(lines):
        shown[-1] = text(f"…and {len(lines) - len(shown) + 1} more", subtle=True)
    body = [title, text(escape(message.text)), *shown, *rows]
    return card(body, fallback=message.title)


def _button(button: Button, message: ReminderMessage) -> Element:
    data = {
        DataKey.ACTION: reminder_action(button.action, button.value),
        DataKey.VALUE: button.value,
        DataKey.REMINDER: message.reminder_id,
    }
    if message.reference:
        data[DataKey.CASE] = message.reference
    if button.action in OPENS_DIALOG:
        return opener(button.label, data)
    return submit(button.label, data, validate=False)


def recorded_line(what: str, user_id: str, at: datetime) -> str:
    """E.g. "Deletion confirmed for A.B. by a member of staff at 10:04" (London time; plain text)."""
    return f"{what} by {person(user_id)} at {at.astimezone(LONDON):%H:%M}"


def answered(reminder: Card, action_id: str, line: str, *, keep_others: bool) -> Card:
    """The reminder's card after one answer: the clicked button gone (all of them unless
    `keep_others`), then the recorded line."""
    result = copy.deepcopy(reminder)
    kept: list[Element] = []
    for element in result.get("body", []):
        if element.get("type") != "ActionSet":
            kept.append(element)
            continue
        others = [a for a in element.get("actions", []) if _action_of(a) != action_id]
        if keep_others and others:
            kept.append({**element, "actions": others})
    result["body"] = [*kept, {**rich(line, subtle=True), "id": ANSWERED_ID}]
    return result


def clicked_label(reminder: Card, action_id: str) -> str:
    """The title of the button with `action_id` on the reminder's card ("" when absent)."""
    for element in reminder.get("body", []):
        for action in element.get("actions", []) if element.get("type") == "ActionSet" else []:
            if _action_of(action) == action_id:
                return str(action.get("title", ""))
    return ""


def _action_of(action: Any) -> str:
    data = action.get("data") if isinstance(action, dict) else None
    return str(data.get(DataKey.ACTION, "")) if isinstance(data, dict) else ""


def extend_view(reference: str, channel: str, ts: str, *, errors: Mapping[str, str] | None = None) -> Dialog:
    """Ask the new deletion deadline and why (both required; the service validates them).

    `channel` and `ts` are where the reminder is (Teams: its conversation and activity id), so
    the reminder can be updated once the deadline moves; `errors` (deadline / reason → message)
    are the service's messages for the last answer.
    """
    errors = errors or {}
    body: list[Element] = [
        rich("Case ", Run(reference, bold=True), ": choose the new deletion deadline."),
        {
            "type": "Input.Date",
            "id": DEADLINE,
            "label": "New deadline",
            "isRequired": True,
            "errorMessage": "Please choose the new deadline.",
        },
        *([error(errors[DEADLINE], DEADLINE)] if DEADLINE in errors else []),
        {
            "type": "Input.Text",
            "id": REASON,
            "label": "Why",
            "isMultiline": True,
            "maxLength": REASON_LIMIT,
            "isRequired": True,
            "errorMessage": "Please say why the deadline moves.",
        },
        *([error(errors[REASON], REASON)] if REASON in errors else []),
        text(SENSITIVE_HINT, subtle=True),
    ]
    data = {
        DataKey.CALLBACK: CallbackId.EXTEND_DEADLINE,
        DataKey.CASE: reference,
        "channel": channel,
        "ts": ts,
    }
    actions = [
        submit("Extend", {**data, DataKey.ACTION: ActionId.SUBMIT}, style="positive"),
        submit("Cancel", {**data, DataKey.ACTION: ActionId.BACK}, validate=False),
    ]
    return Dialog("Extend deadline", card(body, actions, fallback="Extend the deletion deadline"))


def extended_message(reference: str, line: str) -> Card:
    """The reminder once its deadline was extended from the dialog."""
    body = [text(f"**Deletion deadline for case {escape(reference)}**"), rich(line, subtle=True)]
    return card(body, fallback="Deletion deadline extended")
