"""The pieces every card is made of: text, facts, buttons, inputs, and the card itself.

Text: `text` is for trusted text (the policy's and ours) and renders markdown; `rich` is for
lines holding what a person typed: each part is a `TextRun`, which renders no markdown, so a
typed `**` or `[link](…)` shows as typed. Buttons carry `{"action": id, …}` in their data;
`opener` asks Teams to fetch a dialog. Inputs say when they are required and what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.teams.cards.limits import ACTION_TITLE, ACTIONS_PER_ROW
from bot.teams.cards.text import escape, markdown
from bot.text_limits import chunks, clip

Element = dict[str, Any]
Card = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # what Teams renders in bot messages and dialogs


@dataclass(frozen=True)
class Run:
    """A part of a `rich` line: literal text, bold or not."""

    text: str
    bold: bool = False
    subtle: bool = False


def card(body: Sequence[Element], actions: Sequence[Element] = (), *, fallback: str = "") -> Card:
    """An Adaptive Card 1.5; `fallback` is what a client that cannot render it shows."""
    result: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": list(body)}
    if actions:
        result["actions"] = list(actions)
    if fallback:
        result["fallbackText"] = fallback
    return result


def heading(text: str, *, size: str = "Large") -> Element:
    """A heading (trusted or escaped text)."""
    return {
        "type": "TextBlock",
        "text": text,
        "size": size,
        "weight": "Bolder",
        "wrap": True,
        "style": "heading",
    }


def text(value: str, *, subtle: bool = False, attention: bool = False, small: bool = False) -> Element:
    """A TextBlock of trusted text (Slack-style `*bold*` becomes bold)."""
    block: Element = {"type": "TextBlock", "text": markdown(value), "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if attention:
        block["color"] = "Attention"
    if small:
        block["size"] = "Small"
    return block


def rich(*runs: Run | str, subtle: bool = False) -> Element:
    """One line of literal text runs (safe for anything a person typed)."""
    inlines = []
    for run in runs:
        part = Run(run) if isinstance(run, str) else run
        if not part.text:
            continue
        inline: Element = {"type": "TextRun", "text": part.text}
        if part.bold:
            inline["weight"] = "Bolder"
        if part.subtle or subtle:
            inline["isSubtle"] = True
        inlines.append(inline)
    return {"type": "RichTextBlock", "inlines": inlines}


def facts(pairs: Sequence[tuple[str, str]]) -> Element:
    """Label: value pairs (values escaped)."""
    return {"type": "FactSet", "facts": [{"title": label, "value": escape(value)} for label, value in pairs]}


def error(message: str, input_id: str = "") -> Element:
    """A validation message from the server, in the attention colour, under its input."""
    block: Element = {"type": "TextBlock", "text": escape(message), "wrap": True, "color": "Attention"}
    if input_id:
        block["id"] = f"{input_id}:error"
    return block


def submit(title: str, data: dict[str, Any], *, style: str = "", validate: bool = True) -> Element:
    """An Action.Submit; `validate=False` sends no inputs (Back, Cancel: nothing to check)."""
    action: Element = {"type": "Action.Submit", "title": clip(title, ACTION_TITLE), "data": data}
    if style:
        action["style"] = style
    if not validate:
        action["associatedInputs"] = "none"
    return action


def opener(title: str, data: dict[str, Any], *, style: str = "") -> Element:
    """A button that opens a dialog: Teams sends task/fetch with `data`."""
    return submit(title, {"msteams": {"type": "task/fetch"}, **data}, style=style, validate=False)


def confirm(title: str, question: str, yes: Element, no: Element) -> Element:
    """A destructive action's confirmation step: the button shows the question and the two
    answers under it (Adaptive Cards have no confirm dialog of their own)."""
    return {
        "type": "Action.ShowCard",
        "title": clip(title, ACTION_TITLE),
        "card": card([text(question)], [yes, no]),
    }


def action_sets(actions: Sequence[Element], id_prefix: str = "") -> list[Element]:
    """Buttons in rows of at most six (Teams shows no more in a row)."""
    rows = []
    for number, run in enumerate(chunks(actions, ACTIONS_PER_ROW)):
        row: Element = {"type": "ActionSet", "actions": list(run)}
        if id_prefix:
            row["id"] = f"{id_prefix}:{number}"
        rows.append(row)
    return rows


def container(items: Sequence[Element], *, style: str = "", separator: bool = False) -> Element:
    """Elements grouped (an emphasis or attention box when `style` is given)."""
    box: Element = {"type": "Container", "items": list(items)}
    if style:
        box["style"] = style
    if separator:
        box["separator"] = True
    return box
