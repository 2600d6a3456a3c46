"""The welcome card for one person: the Report button, their own reports, and for a DSL or
deputy their academies' open cases (Slack's Home tab, its cases listener's `home_for`)."""

from __future__ import annotations

from bot.teams.cards.home import home_view
from bot.teams.listeners.replies import Card
from conversations.casefile import casework
from conversations.context import Context


def home_for(ctx: Context, who: str) -> Card:
    """Open cases only for a safeguarding team member (others are never refused, just not shown)."""
    overview = casework.dsl_overview(ctx, who) if who and ctx.academies.dsl_of(who) else None
    return home_view(overview, casework.my_reports(ctx, who) if who else [])
