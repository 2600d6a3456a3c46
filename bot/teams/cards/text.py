"""Text on cards: escaping what people typed, the policy's own emphasis, and Teams' wording.

A TextBlock renders a small markdown subset (bold, italic, lists, links). What a person typed
goes into a `TextRun` (no markdown at all) where it can, and through `escape` where it cannot
(facts, choice labels are plain already), so it can never make a link or emphasis. The policy
data (guidance.toml, decisions.toml) marks emphasis Slack's way, `*word*`; `markdown` turns it
into the card's `**word**`. The messages differ from Slack's only where Slack's name a slash
command: in Teams a person sends `report` to the app.
"""

from __future__ import annotations

import re

# Characters that make markdown in a TextBlock or a fact wherever they are (emphasis, links,
# code, strike-through, the `<at>` of a Teams mention), and what makes a list, heading or quote
# at the start of a line. Only these are escaped: a reference like YPSI-2026-0042 reads as is.
MARKDOWN = re.compile(r"([\\`*_\[\]<>~])")
LINE_START = re.compile(r"^(\s*)([-+#]|\d+(?=\.))", re.MULTILINE)
SLACK_BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")

DISCARDED = "This report was discarded. Send report to ypsi-bot to start a new one."
NO_OPEN_CASES = "There are no open cases for your academies."
NO_REPORTS = "You have not sent any reports. Send report to ypsi-bot to start one."
MORE_CASES = "{count} more open cases are not shown here: each alert card in the DSL channel opens its case."
STATUS_HINT = "You will get a message here when a DSL picks your report up."
EXPORT_HINT = "the export (ypsi case export) has all of it."


def escape(text: str) -> str:
    """`text` with every markdown character backslash-escaped: shown as typed, never formatted."""
    escaped = MARKDOWN.sub(r"\\\1", text)
    return LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), escaped)


def markdown(text: str) -> str:
    """Trusted policy text with Slack's `*bold*` as the card's `**bold**`."""
    return SLACK_BOLD.sub(r"**\1**", text)
