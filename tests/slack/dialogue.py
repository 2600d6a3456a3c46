"""A teacher's answers to every modal step, with sentinel strings that must never leave the modal."""

from __future__ import annotations

from bot.ids import CallbackId, step_callback
from tests.conftest import TEACHER

SENTINEL_NAME = "Zebulon Quartermaine"
SENTINEL_ACCOUNT = "<!channel> XYZZY-ACCOUNT told me <@U0OAKDSL00> http://evil.example"
SENTINEL_PLATFORM = "PLUGH-PLATFORM"

ANSWERS = {
    "safety": {"understood": "yes"},
    "risk": {"immediate_risk": "no"},
    "young_people": {"count": "2", "age_bands": ["13_15"], "ages": "15, 15", "identifiers": SENTINEL_NAME},
    "sharing": {
        "came_to_light": "peer",
        "relationship": "relationship",
        "shared": "one_person",
        "platform": SENTINEL_PLATFORM,
        "still_spreading": "no",
    },
    "concerns": {"concerns": ["coercion"]},
    "device": {"device": "confiscated"},
    "account": {"account": SENTINEL_ACCOUNT},
}
STEPS = list(ANSWERS)


def walk_to_review(slack, user=TEACHER, answers=None):
    """Answer every step; assert each ack names the next step's view."""
    for step, following in zip(STEPS, [*STEPS[1:], None], strict=True):
        assert slack.view(user)["callback_id"] == step_callback(step)
        ack = slack.submit_view(user, (answers or ANSWERS)[step])
        assert ack.status == 200
        assert ack.json["response_action"] == "update"
        expected = step_callback(following) if following else CallbackId.REVIEW
        assert ack.json["view"]["callback_id"] == expected
