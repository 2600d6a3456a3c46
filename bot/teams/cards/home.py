"""The welcome card (Teams' counterpart of Slack's Home tab): a button to report, the DSL's open
cases, and the person's own reports. Sent in the personal chat on install and on `help`.

Nothing on it names a pupil or shows free text: references, academies, statuses, what is due.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import ActionId, CallbackId
from bot.teams.cards.case import case_lines, fit_list
from bot.teams.cards.elements import Card, Element, Run, card, heading, opener, rich, text
from bot.teams.cards.text import NO_OPEN_CASES, NO_REPORTS
from bot.teams.ids import DataKey
from bot.wording import INTRO
from conversations.casefile.casework import OverviewLine, ReportLine
from conversations.casefile.readable import when

REPORTS_SHOWN = 20  # the latest


def home_view(overview: Sequence[OverviewLine] | None, reports: Sequence[ReportLine]) -> Card:
    """The welcome card; `overview` is None for someone on no academy's safeguarding team."""
    report = opener(
        "Report a concern",
        {DataKey.ACTION: ActionId.REPORT_FROM_HOME, DataKey.CALLBACK: CallbackId.HOME},
        style="positive",
    )
    body: list[Element] = [
        heading("ypsi-bot"),
        text(INTRO),
        {"type": "ActionSet", "id": "ypsi_home_actions", "actions": [report]},
    ]
    mine: list[Element] = [heading("Your reports", size="Medium")]
    if reports:
        mine += [
            rich(Run(r.reference, bold=True), f" ({when(r.reported_at)}): {r.status}")
            for r in reports[:REPORTS_SHOWN]
        ]
        if len(reports) > REPORTS_SHOWN:
            mine.append(
                text(f"{len(reports) - REPORTS_SHOWN} earlier reports are not shown here.", subtle=True)
            )
    else:
        mine.append(text(NO_REPORTS))
    if overview is not None:
        # The person's own reports come first: the list of cases below them may be cut for size.
        body += mine
        body.append(heading("Open cases of your academies", size="Medium"))
        body += case_lines(overview) if overview else [text(NO_OPEN_CASES)]
        return card(fit_list(body, len(overview)), fallback="ypsi-bot")
    return card([*body, *mine], fallback="ypsi-bot")
