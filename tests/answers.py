"""Dialogue answers for the policy's case studies, as a person would enter them (raw values)."""

from __future__ import annotations

from typing import Any

from conversations.context import Context
from conversations.dialogue import reports

BASE: dict[str, dict[str, Any]] = {
    "safety": {"understood": "yes"},
    "academy": {"academy": "oakfield"},
    "risk": {"immediate_risk": "no"},
    "risk_actions": {"safe_adult": "yes"},
    "young_people": {"count": "2", "age_bands": ["13_15"], "ages": "15, 15", "identifiers": "Pupil AB"},
    "sharing": {
        "came_to_light": "peer",
        "relationship": "relationship",
        "shared": "one_person",
        "platform": "",
        "still_spreading": "no",
    },
    "concerns": {"concerns": []},
    "device": {"device": "with_pupil"},
    "account": {"account": "A friend told the form tutor."},
}

# Case study A: two 15-year-olds in a relationship, one photo sent to the boy, not shared on.
CASE_A = BASE
# Case study B: an 11-year-old, a dare, a photo found on a school tablet, not sent.
CASE_B = {
    **BASE,
    "young_people": {"count": "3", "age_bands": ["under_13"], "ages": "11", "identifiers": ""},
    "sharing": {
        "came_to_light": "found",
        "relationship": "self_only",
        "shared": "not_shared",
        "still_spreading": "no",
    },
    "device": {"device": "school_device"},
}
# Case study C: 16-year-olds, images forwarded to a friend after a break-up.
CASE_C = {
    **BASE,
    "young_people": {"count": "2", "age_bands": ["16_17"], "ages": "16, 16"},
    "sharing": {
        "came_to_light": "disclosed",
        "relationship": "not_relationship",
        "shared": "group",
        "still_spreading": "unknown",
    },
    "concerns": {"concerns": ["intent_to_harm"]},
}


def complete(ctx: Context, user: str, team: str, answers: dict[str, dict[str, Any]]) -> reports.DraftView:
    """Answer every step from the draft's current one to the review step."""
    draft = reports.start(ctx, team, user)
    while draft.state != "review":
        draft = reports.answer(ctx, draft.id, user, answers[draft.state]).draft
    return draft
