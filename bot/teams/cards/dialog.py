"""A Teams dialog (task module): its title and the Adaptive Card it shows.

Slack's modal has its title, submit and close buttons built in; a Teams dialog has a title and
a card, and the card's own buttons submit it (Teams closes a dialog with its own ✕).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.teams.cards.limits import DIALOG_TITLE
from bot.text_limits import clip


@dataclass(frozen=True)
class Dialog:
    """What a listener answers a task/fetch or task/submit with (as a `continue` response)."""

    title: str
    card: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", clip(self.title, DIALOG_TITLE))
