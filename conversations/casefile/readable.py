"""Stored answers and decision values in the words a person reads: labels, UK dates and times.

Plain data out: every front end (console, export, Slack) formats the rows its own way. A row
that holds a member of staff says so, so each front end can show them as it should.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conversations.guidance.policy import Field, Guidance
from conversations.scheduling.calendar import LONDON

USER = "user"
TEXT = "text"


@dataclass(frozen=True)
class Row:
    """One answered question: its label, the answer as text, and whether the answer is a user id."""

    label: str
    value: str
    kind: str = TEXT


def when(moment: datetime) -> str:
    """A moment as UK local time, e.g. `Mon 7 Dec 2026 10:04` (as a record is dated by hand)."""
    local = moment.astimezone(LONDON)
    return f"{day(local.date())} {local:%H:%M}"


def day(value: date) -> str:
    """A date, e.g. `Mon 7 Dec 2026`."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def rows(fields: tuple[Field, ...], values: dict[str, Any], choices: dict[str, dict[str, str]]) -> list[Row]:
    """The answered fields of one step or decision, in field order (unanswered ones left out)."""
    out = []
    for field in fields:
        value = values.get(field.key)
        if value in (None, "", []):
            continue
        options = choices.get(field.key) or field.options
        out.append(Row(field.label, _text(field, value, options), USER if field.type == "user" else TEXT))
    return out


def answer_rows(
    guidance: Guidance, answers: dict[str, dict[str, Any]], choices: dict[str, dict[str, str]]
) -> list[tuple[str, list[Row]]]:
    """A report's answers as (step title, rows), in dialogue order, skipping unanswered steps."""
    sections = []
    for step in guidance.steps.values():
        found = rows(step.fields, answers.get(step.key, {}), choices)
        if found:
            sections.append((step.title, found))
    return sections


def _text(field: Field, value: Any, options: dict[str, str]) -> str:
    if field.type == "choice":
        return options.get(value, str(value))
    if field.type == "multi":
        return "; ".join(options.get(v, str(v)) for v in value)
    if field.type in ("ages", "names"):
        return ", ".join(str(v) for v in value)
    if field.type == "date":
        return day(date.fromisoformat(value))
    if field.type == "datetime":
        return when(datetime.fromisoformat(value))
    return str(value)
