"""Validation of one dialogue step's answers against the step's fields in the guidance file."""

from __future__ import annotations

import re
from typing import Any

from conversations.errors import InvalidAnswer
from conversations.policy import Field, Step

Raw = str | list[str] | None


def validate(step: Step, raw: dict[str, Raw], choices: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Turn what the person entered for `step` into clean answers, or raise InvalidAnswer.

    `choices` supplies options that come from configuration (the academy list).
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in step.fields:
        options = choices.get(field.key) or field.options
        try:
            value = _clean(field, raw.get(field.key), options)
        except ValueError as exc:
            errors[field.key] = str(exc)
            continue
        if value is not None:
            clean[field.key] = value
    if errors:
        raise InvalidAnswer(errors)
    return clean


def _clean(field: Field, value: Raw, options: dict[str, str]) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if value in (None, "", []):
        if field.optional:
            return [] if field.type == "multi" else None
        raise ValueError("Please answer this question.")
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


CLEANERS = {"choice": _choice, "multi": _multi, "int": _int, "ages": _ages, "text": _text}
