"""Plain text and lists kept within a chat platform's limits: clipped, packed, or cut into runs.

Every front end has limits of the same shape (characters in a text, buttons in a row); the numbers
are each platform's own and stay in its limits module (`bot.slack.views.limits`,
`bot.teams.cards.limits`), passed in here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pack(lines: Sequence[str], limit: int, *, max_blocks: int) -> list[str]:
    """Lines joined into at most `max_blocks` texts of at most `limit` characters each.

    A line too long alone is clipped. Lines that do not fit are counted in a last line
    "…and N more" (the reader is told something is left out, never shown a broken block).
    """
    texts: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = ""
        if len(texts) == max_blocks:
            return _with_more(texts, len(lines) - index, limit)
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def _with_more(texts: list[str], left: int, limit: int) -> list[str]:
    more = f"…and {left} more"
    last = texts[-1]
    while len(last) + 1 + len(more) > limit and "\n" in last:
        last = last.rpartition("\n")[0]
        left += 1
        more = f"…and {left} more"
    texts[-1] = f"{last}\n{more}"
    return texts


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """`items` in runs of at most `size` (e.g. buttons, one row or block each)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
