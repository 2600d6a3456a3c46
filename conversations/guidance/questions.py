"""Validation of one dialogue step's answers against the step's fields in the guidance file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from conversations.errors import InvalidAnswer
from conversations.guidance.policy import Field, Step
from conversations.platforms import TEAMS_PERSON
from conversations.scheduling.calendar import LONDON

Raw = str | list[str] | None


def validate(
    step: Step, raw: dict[str, Raw], choices: dict[str, dict[str, str]], *, now: datetime | None = None
) -> dict[str, Any]:
    """Turn what the person entered for `step` into clean answers, or raise InvalidAnswer.

    `choices` supplies options that come from configuration (the academy list) or the case;
    `now` is what date and datetime fields' day limits count from.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in step.fields:
        options = choices.get(field.key) or field.options
        try:
            value = _clean(field, raw.get(field.key), options, now or datetime.now(UTC))
        except ValueError as exc:
            errors[field.key] = str(exc)
            continue
        if value is not None:
            clean[field.key] = value
    if errors:
        raise InvalidAnswer(errors)
    return clean


def check_field(
    field: Field, raw: Raw, options: dict[str, str], *, now: datetime | None = None
) -> str | None:
    """What is wrong with one field's answer on its own, or None: lets a front end re-ask just
    that field as it is typed (the whole step is still validated when it is saved)."""
    try:
        _clean(field, raw, options, now or datetime.now(UTC))
    except ValueError as exc:
        return str(exc)
    return None


def _clean(field: Field, value: Raw, options: dict[str, str], now: datetime) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if value in (None, "", []):
        if field.optional:
            return [] if field.type == "multi" else None
        raise ValueError("Please answer this question.")
    if field.type in DATED:
        return DATED[field.type](field, value, now)
    return CLEANERS[field.type](field, value, options)


def _choice(field: Field, value: Raw, options: dict[str, str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError("Please pick one of the options.")
    return value


def _multi(field: Field, value: Raw, options: dict[str, str]) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v in options for v in values):
        raise ValueError("Please tick only the options shown.")
    return sorted(set(values), key=list(options).index)


def _int(field: Field, value: Raw, options: dict[str, str]) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,4}", value):
        raise ValueError("Please enter a whole number, like 2.")
    number = int(value)
    if not (field.min or 0) <= number <= (field.max or 10_000):
        raise ValueError(f"Please enter a number from {field.min} to {field.max}.")
    return number


def _ages(field: Field, value: Raw, options: dict[str, str]) -> list[int]:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError("Please enter ages as numbers separated by commas, like 14, 15.")
    parts = [p for p in re.split(r"[,\s]+", value) if p]
    if not parts or not all(p.isdigit() and len(p) <= 3 for p in parts):
        raise ValueError("Please enter ages as numbers separated by commas, like 14, 15.")
    ages = [int(p) for p in parts]
    if any(not (field.min or 0) <= a <= (field.max or 120) for a in ages):
        raise ValueError(f"Ages must be from {field.min} to {field.max}.")
    return ages


def _text(field: Field, value: Raw, options: dict[str, str]) -> str:
    if not isinstance(value, str):
        raise ValueError("Please type your answer as text.")
    if len(value) > field.max_length:
        raise ValueError(f"Please keep this under {field.max_length} characters ({len(value)} now).")
    return value


def _user(field: Field, value: Raw, options: dict[str, str]) -> str:
    # Slack's user picker gives the id; a typed mention <@U123|name> is accepted too. A Teams
    # people picker's choice arrives as teams:<Entra object id>.
    match = re.fullmatch(r"<?@?([UW][A-Z0-9]{8,20})(?:\|[^>]*)?>?", value) if isinstance(value, str) else None
    if match is not None:
        return match.group(1)
    if isinstance(value, str) and TEAMS_PERSON.match(value.strip().lower()):
        return value.strip().lower()
    raise ValueError("Please choose a member of staff.")


def _names(field: Field, value: Raw, options: dict[str, str]) -> list[str]:
    if not isinstance(value, str):
        raise ValueError("Please type the pseudonyms separated by commas.")
    names = list(dict.fromkeys(p.strip() for p in re.split(r"[,\n]+", value) if p.strip()))
    if any(len(n) > 40 for n in names):
        raise ValueError("Please use pseudonyms or initials (up to 40 characters each), not full details.")
    if len(names) > (field.max or 40):
        raise ValueError(f"Please list at most {field.max or 40}.")
    return names


CLEANERS = {
    "choice": _choice,
    "multi": _multi,
    "int": _int,
    "ages": _ages,
    "text": _text,
    "user": _user,
    "names": _names,
}


def _date(field: Field, value: Raw, now: datetime) -> str:
    day = _parse_day(value)
    _within(field, day, now)
    return day.isoformat()


def _datetime(field: Field, value: Raw, now: datetime) -> str:
    moment = _parse_moment(value)
    _within(field, moment.astimezone(LONDON).date(), now)
    return moment.astimezone(UTC).isoformat()


def _parse_day(value: Raw) -> date:
    text = value if isinstance(value, str) else ""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("Please enter a date like 2026-11-23 (or 23/11/2026).")


def _parse_moment(value: Raw) -> datetime:
    text = value if isinstance(value, str) else ""
    if re.fullmatch(r"\d{9,11}", text):  # Slack's datetime picker sends Unix seconds
        return datetime.fromtimestamp(int(text), UTC)
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=LONDON)
        except ValueError:
            continue
    raise ValueError("Please enter a date and time like 2026-11-23 14:30 (UK time).")


def _within(field: Field, day: date, now: datetime) -> None:
    today = now.astimezone(LONDON).date()
    if field.max is not None and day > today + timedelta(days=field.max):
        raise ValueError(
            "That date is in the future."
            if field.max == 0
            else f"Please choose a date within {field.max} days."
        )
    if field.min is not None and day < today + timedelta(days=field.min):
        raise ValueError(
            "That date is in the past."
            if field.min == 0
            else f"Please choose a date in the last {-field.min} days."
        )


DATED = {"date": _date, "datetime": _datetime}
