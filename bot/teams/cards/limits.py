"""Teams' limits for Adaptive Cards, functions that keep cards within their size, and a checker.

Teams refuses a message (or dialog response) larger than about 28 KB, the card and the activity
around it together; the card is kept to `CARD_BYTES`, leaving room for the envelope. Teams shows
at most six buttons in a row and cuts long dialog titles and button titles; the builders keep
within the numbers here. `problems` walks any card (or a `Dialog`'s card), so a new builder is
covered without a change here; it also checks the project's own rules: no file input, image or
media; every TextBlock wraps; every button's data says which action it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MESSAGE_BYTES = 28 * 1024  # Teams' limit for one message, card and activity together
ENVELOPE_BYTES = 2 * 1024  # the activity around the card (ids, addresses, summary text)
CARD_BYTES = MESSAGE_BYTES - ENVELOPE_BYTES
ACTIONS_PER_ROW = 6  # Teams shows at most six buttons of a card or an ActionSet
DIALOG_TITLE = 50
ACTION_TITLE = 75
CHOICES = 100  # options in one ChoiceSet (a longer list is no use on a phone)
EXPANDED_CHOICES = 10  # radio buttons / checkboxes; a longer list becomes a dropdown
FORBIDDEN_TYPES = frozenset({"Input.File", "Image", "ImageSet", "Media", "Action.OpenUrl"})
SUBMITS = frozenset({"Action.Submit", "Action.Execute"})


def size(card: dict[str, Any]) -> int:
    """The card's size in bytes as sent (compact UTF-8 JSON)."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fit(body: list[dict[str, Any]], budget: int, cut: dict[str, Any]) -> list[dict[str, Any]]:
    """The longest head of `body` whose elements take at most `budget` bytes; when something is
    left out, `cut` (a short element saying so) ends it. Builders put what matters first."""
    total = size({"body": body})
    if total <= budget:
        return body
    room = budget - size(cut)
    kept: list[dict[str, Any]] = []
    for element in body:
        room -= size(element) + 1
        if room < 0:
            break
        kept.append(element)
    return [*kept, cut]


def problems(surface: Any) -> list[str]:
    """Every limit or rule the card breaks (`surface` is a card dict or a `Dialog`).

    Each problem names where it is, e.g. `body[3].actions: 7 > 6 buttons`.
    """
    found: list[str] = []
    title = getattr(surface, "title", None)
    card = getattr(surface, "card", surface)
    if isinstance(title, str) and not 0 < len(title) <= DIALOG_TITLE:
        found.append(f"title: {len(title)} characters, not 1 to {DIALOG_TITLE}")
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.5":
        found.append("not an Adaptive Card 1.5")
    if size(card) > CARD_BYTES:
        found.append(f"card: {size(card)} > {CARD_BYTES} bytes")
    _walk(card, "", found)
    ids = list(_input_ids(card))
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        found.append(f"input id {dup!r} is used twice")
    return found


def _walk(node: Any, path: str, found: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]", found)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in FORBIDDEN_TYPES:
        found.append(f"{path}: {kind} is not allowed")
    if kind == "TextBlock" and (not node.get("text") or node.get("wrap") is not True):
        found.append(f"{path}: a TextBlock needs text and wrap")
    if kind == "TextRun" and not node.get("text"):
        found.append(f"{path}: empty TextRun")
    if isinstance(kind, str) and kind.startswith("Action."):
        _action(node, path, found)
    if kind == "Input.ChoiceSet":
        choices = node.get("choices", [])
        if not choices or len(choices) > CHOICES:
            found.append(f"{path}.choices: {len(choices)}, not 1 to {CHOICES}")
    buttons = node.get("actions")
    if isinstance(buttons, list) and len(buttons) > ACTIONS_PER_ROW:
        found.append(f"{path}.actions: {len(buttons)} > {ACTIONS_PER_ROW} buttons")
    for key, value in node.items():
        if key != "data":  # a button's data is ours, not card content
            _walk(value, f"{path}.{key}" if path else key, found)


def _action(node: dict[str, Any], path: str, found: list[str]) -> None:
    title = node.get("title")
    if not isinstance(title, str) or not 0 < len(title) <= ACTION_TITLE:
        found.append(f"{path}.title: not 1 to {ACTION_TITLE} characters")
    if node.get("type") in SUBMITS:
        data = node.get("data")
        if not isinstance(data, dict) or not data.get("action"):
            found.append(f"{path}.data: no action id")


def _input_ids(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _input_ids(item)
    elif isinstance(node, dict):
        if str(node.get("type", "")).startswith("Input.") and isinstance(node.get("id"), str):
            yield node["id"]
        for key, value in node.items():
            if key != "data" and isinstance(value, dict | list):
                yield from _input_ids(value)
