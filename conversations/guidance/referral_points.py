"""Points of immediate referral on a case: which fired, and which have neither a referral nor a
record of the agency consulted and why no referral.

Which points fired is read from the case's stored classification (`Case.triggers`) against the
trigger levels of guidance.toml, never from a list of keys in code: the guidance may add or
reclassify points and every case follows.
"""

from __future__ import annotations

from conversations.context import Context
from conversations.guidance.policy import Rule
from conversations.storage.models import Case

IMMEDIATE = "immediate"  # the guidance.toml trigger level of a point of immediate referral
POINT_DECISION = "referral_point"  # the decision that records one point's consultation


def referral_points(ctx: Context, case: Case) -> tuple[Rule, ...]:
    """The immediate-referral points that fired for this case (a key the guidance no longer has
    is skipped: its level is unknown)."""
    by_key = {t.key: t for t in ctx.guidance.triggers}
    return tuple(by_key[k] for k in case.triggers if k in by_key and by_key[k].level == IMMEDIATE)


def unanswered_points(ctx: Context, case: Case) -> tuple[Rule, ...]:
    """Points with neither a referral nor a record of the agency consulted and why not."""
    if case.decisions.get("referred"):
        return ()
    answered = {e["values"]["point"] for e in case.decisions.get(POINT_DECISION, [])}
    return tuple(p for p in referral_points(ctx, case) if p.key not in answered)
