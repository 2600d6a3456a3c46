"""The app's Home tab: a button to report, the DSL's open cases, and the person's own reports.

Nothing on it names a pupil or shows free text: references, academies, statuses, what is due.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ActionId, CallbackId
from bot.slack.ids import BlockId
from bot.slack.views.case import case_lines
from bot.slack.views.limits import SECTION_TEXT
from bot.slack.views.report import Block, View, button, mrkdwn, plain
from bot.slack.views.text import NO_OPEN_CASES, NO_REPORTS, escape
from bot.text_limits import pack
from bot.wording import INTRO
from conversations.casefile.casework import OverviewLine, ReportLine
from conversations.casefile.readable import when


def home_view(overview: Sequence[OverviewLine] | None, reports: Sequence[ReportLine]) -> View:
    """The Home tab; `overview` is None for someone on no academy's safeguarding team."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("ypsi-bot")},
        {"type": "section", "text": mrkdwn(INTRO)},
        {
            "type": "actions",
            "block_id": BlockId.HOME_ACTIONS,
            "elements": [button("Report a concern", ActionId.REPORT_FROM_HOME, "report", style="primary")],
        },
    ]
    if overview is not None:
        blocks.append({"type": "header", "text": plain("Open cases of your academies")})
        blocks += case_lines(overview) if overview else [_text(NO_OPEN_CASES)]
    blocks.append({"type": "header", "text": plain("Your reports")})
    if reports:
        lines = [f"• *{escape(r.reference)}* ({when(r.reported_at)}): {escape(r.status)}" for r in reports]
        blocks += [_text(text) for text in pack(lines, SECTION_TEXT, max_blocks=1)]
    else:
        blocks.append(_text(NO_REPORTS))
    return {"type": "home", "callback_id": CallbackId.HOME, "blocks": blocks}


def _text(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}
