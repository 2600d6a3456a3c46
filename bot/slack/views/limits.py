"""Slack's documented Block Kit limits and a checker (`bot.text_limits` keeps text within them).

The numbers are Slack's (Block Kit reference: blocks, block elements, composition objects,
views; chat.postMessage). slack_sdk's models enforce some of them; `problems` checks them all,
including those the models leave out (blocks per surface, private_metadata, option counts,
duplicate ids). It walks any Block Kit JSON, so a new view is covered without a change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and Home tabs
MESSAGE_TEXT = 40_000  # a message's top-level `text`
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS = 10
HEADER_TEXT = 150
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACCESSIBILITY_LABEL = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
CHOICE_OPTIONS = 10  # radio buttons and checkboxes
PLACEHOLDER = 150
LABEL = 2000  # input label and hint
ID = 255  # action_id, block_id, callback_id
PRIVATE_METADATA = 3000
VIEW_TITLE = 24  # also a modal's submit and close labels
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
TEXT_INPUT_MAX = 3000

# (object type, key) -> the longest text allowed there.
TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("section", "text"): SECTION_TEXT,
    ("header", "text"): HEADER_TEXT,
    ("input", "label"): LABEL,
    ("input", "hint"): LABEL,
    ("button", "text"): BUTTON_TEXT,
    ("option", "text"): OPTION_TEXT,
    ("option", "description"): OPTION_TEXT,
    ("confirm", "title"): CONFIRM_TITLE,
    ("confirm", "text"): CONFIRM_TEXT,
    ("confirm", "confirm"): CONFIRM_BUTTON,
    ("confirm", "deny"): CONFIRM_BUTTON,
    ("modal", "title"): VIEW_TITLE,
    ("modal", "submit"): VIEW_TITLE,
    ("modal", "close"): VIEW_TITLE,
}
STRING_LIMITS: dict[str, int] = {
    "action_id": ID,
    "block_id": ID,
    "callback_id": ID,
    "external_id": ID,
    "private_metadata": PRIVATE_METADATA,
    "accessibility_label": ACCESSIBILITY_LABEL,
    "url": 3000,
}
COUNT_LIMITS: dict[tuple[str, str], int] = {
    ("section", "fields"): FIELDS,
    ("actions", "elements"): ACTIONS_ELEMENTS,
    ("context", "elements"): CONTEXT_ELEMENTS,
    ("static_select", "options"): SELECT_OPTIONS,
    ("multi_static_select", "options"): SELECT_OPTIONS,
    ("radio_buttons", "options"): CHOICE_OPTIONS,
    ("checkboxes", "options"): CHOICE_OPTIONS,
}


def problems(surface: dict[str, Any]) -> list[str]:
    """Every documented limit `surface` breaks (a modal, a Home tab, or message arguments).

    Each problem names where it is, e.g. `blocks[3].elements: 26 > 25`.
    """
    found: list[str] = []
    kind = surface.get("type", "message")
    blocks = surface.get("blocks", [])
    most = VIEW_BLOCKS if kind in ("modal", "home") else MESSAGE_BLOCKS
    if len(blocks) > most:
        found.append(f"blocks: {len(blocks)} > {most}")
    if kind == "message" or "type" not in surface:
        text = surface.get("text", "")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT:
            found.append(f"text: {len(text)} > {MESSAGE_TEXT}")
    _walk(surface, "", found)
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    for dup in {i for i in block_ids if block_ids.count(i) > 1}:
        found.append(f"block_id {dup!r} is used twice")
    for index, block in enumerate(blocks):
        actions = [a for a in _action_ids(block) if a]
        for dup in {a for a in actions if actions.count(a) > 1}:
            found.append(f"blocks[{index}]: action_id {dup!r} is used twice")
    return found


def _walk(node: Any, path: str, found: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]", found)
        return
    if not isinstance(node, dict):
        return
    kind = _kind(node)
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict) and value.get("type") in ("plain_text", "mrkdwn"):
            _text_object(kind, key, value, where, found)
        elif isinstance(value, str) and key in STRING_LIMITS and len(value) > STRING_LIMITS[key]:
            found.append(f"{where}: {len(value)} > {STRING_LIMITS[key]} characters")
        if isinstance(value, list) and (kind, key) in COUNT_LIMITS and len(value) > COUNT_LIMITS[kind, key]:
            found.append(f"{where}: {len(value)} > {COUNT_LIMITS[kind, key]} items")
        if kind == "section" and key == "fields" and isinstance(value, list):
            for index, field in enumerate(value):
                if isinstance(field, dict) and len(str(field.get("text", ""))) > FIELD_TEXT:
                    found.append(f"{where}[{index}]: {len(str(field['text']))} > {FIELD_TEXT} characters")
        if key == "value" and isinstance(value, str):
            limit = OPTION_VALUE if kind == "option" else BUTTON_VALUE
            if len(value) > limit:
                found.append(f"{where}: {len(value)} > {limit} characters")
        if key == "max_length" and isinstance(value, int) and value > TEXT_INPUT_MAX:
            found.append(f"{where}: {value} > {TEXT_INPUT_MAX}")
        if key == "placeholder" and isinstance(value, dict) and len(str(value.get("text", ""))) > PLACEHOLDER:
            found.append(f"{where}: {len(str(value['text']))} > {PLACEHOLDER} characters")
        _walk(value, where, found)


def _kind(node: dict[str, Any]) -> str:
    """The object's type; options and confirm dialogs have none of their own."""
    if "type" in node:
        return str(node["type"])
    if "value" in node and "text" in node:
        return "option"
    if {"title", "confirm"} <= node.keys():
        return "confirm"
    return ""


def _text_object(kind: str, key: str, value: dict[str, Any], where: str, found: list[str]) -> None:
    text = value.get("text")
    if not isinstance(text, str) or not text:
        found.append(f"{where}: empty text")
        return
    limit = TEXT_LIMITS.get((kind, key))
    if limit is not None and len(text) > limit:
        found.append(f"{where}: {len(text)} > {limit} characters")


def _action_ids(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _action_ids(item)
    elif isinstance(node, dict):
        if isinstance(node.get("action_id"), str):
            yield node["action_id"]
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _action_ids(value)
