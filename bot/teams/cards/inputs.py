"""A dialog submission's data read back as the raw answers the services check.

The inverse of the inputs `bot.teams.cards.report` draws: Teams sends each input's value as a
string under its id (a multi-select as "a,b", an empty input as "" or not at all); the services
take what Slack's listeners hand them (`conversations.guidance.questions.Raw`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.teams.ids import time_input
from conversations.guidance.policy import Field
from conversations.guidance.questions import Raw


def submitted_values(fields: Iterable[Field], data: Mapping[str, Any]) -> dict[str, Raw]:
    """The raw answer per field key (None when left empty; a list for a multi-select)."""
    values: dict[str, Raw] = {}
    for field in fields:
        value = _text(data.get(field.key))
        if field.type == "multi":
            values[field.key] = [v for v in (value or "").split(",") if v]
        elif field.type == "datetime":
            clock = _text(data.get(time_input(field.key)))
            values[field.key] = f"{value} {clock}" if value and clock else value
        else:
            values[field.key] = value
    return values


def _text(value: Any) -> str | None:
    # Teams sends strings; anything else (a hostile client) is passed on for the services to refuse.
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
