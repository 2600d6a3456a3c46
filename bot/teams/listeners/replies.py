"""The shapes Teams expects back: a message carrying an Adaptive Card, and a dialog's answer
(`continue` with the next card, which Teams shows in the same dialog)."""

from __future__ import annotations

from typing import Any

from microsoft_teams.api import Attachment, MessageActivityInput

CARD = "application/vnd.microsoft.card.adaptive"
Card = dict[str, Any]


def card_message(card: Card) -> MessageActivityInput:
    """A message whose only content is the card (plain JSON, as the card builders return it)."""
    return MessageActivityInput(attachments=[Attachment(content_type=CARD, content=card)])


def dialog(title: str, card: Card) -> dict[str, Any]:
    """The invoke answer that shows `card` in the dialog (opening it, or replacing its card)."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "width": "large",
                "height": "large",
                "card": {"contentType": CARD, "content": card},
            },
        }
    }
