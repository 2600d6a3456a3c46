"""The sample cases every gallery shows (docs/block-kit/, docs/adaptive-cards/), so the Slack and
Teams galleries show the same reports, cases and reminders. Made-up people and references only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from conversations.casefile.casework import (
    Blocked,
    CaseDetail,
    DeletionView,
    Due,
    OverviewLine,
    RecordedDecision,
    TimelineEntry,
)
from conversations.casefile.decisions import load_decisions
from conversations.casefile.readable import Row
from conversations.dialogue.reports import DraftView
from conversations.dialogue.routing import Alert
from conversations.directory import Person
from conversations.guidance.policy import Guidance
from conversations.scheduling.reminder_messages import Button, ButtonAction, ReminderMessage
from state_machines import case as lifecycle
from state_machines import report as dialogue

SAMPLE_TIME = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SAMPLE_DRAFT = DraftView(
    id="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    user_id="U0TEACHER0",
    state=dialogue.SAFETY,
    answers={"concerns": {"concerns": ["coercion"]}, "sharing": {"still_spreading": "yes"}},
    academy_key=None,
    choices={"academy": {"oakfield": "Oakfield Academy", "riverside": "Riverside Academy"}},
    reference=None,
    resumed=False,
    updated_at=SAMPLE_TIME,
)
SAMPLE_ALERT = Alert(
    reference="YPSI-2026-0042",
    academy_key="oakfield",
    academy_name="Oakfield Academy",
    channel="C0OAKDSL000",
    dsl_users=("U0OAKDSL00",),
    urgent=False,
    in_progress=False,
    category_label="Aggravated: youth only, intent to harm",
    immediate_referral=True,
    under_13=False,
    reporter_id="U0TEACHER0",
    reported_at=SAMPLE_TIME,
    status="reported",
    status_label="New: waiting for a DSL",
    owner_id=None,
    alert_ts=None,
)


SAMPLE_ANSWERS = {
    "young_people": {"count": 2, "age_bands": ["13_15"], "ages": [15, 15], "identifiers": "AB, CD"},
    "concerns": {"concerns": []},
}


def sample_detail(guidance: Guidance) -> CaseDetail:
    """A case part-way through (parents informed, deletion requested), as the case modal shows it."""
    decisions = load_decisions()
    blocked = [d for d in decisions.by_key.values() if d.key == "closed"]
    at = SAMPLE_TIME
    return CaseDetail(
        reference=SAMPLE_ALERT.reference,
        academy_key="oakfield",
        academy_name="Oakfield Academy",
        state=lifecycle.DELETION_REQUESTED,
        status_label="Deletion requested",
        urgent=False,
        under_13=False,
        immediate_referral=False,
        reporter_id="U0TEACHER0",
        owner_id="U0OAKDSL00",
        reported_at=at,
        submitted_at=at,
        closed_at=None,
        answers=SAMPLE_ANSWERS,
        answer_sections=(
            (
                "The young people",
                (Row("How many", "2"), Row("Ages", "15, 15"), Row("Initials or pseudonyms", "AB, CD")),
            ),
            ("How it was shared", (Row("How it came to light", "Another pupil told a member of staff"),)),
        ),
        suggestion=guidance.classify({}),
        confirmed_category=guidance.categories[3],
        timeline=(
            TimelineEntry(at, "ypsi-bot", "case_created", "Case created", None, "reported", None),
            TimelineEntry(at, "U0OAKDSL00", "acknowledged", "Acknowledge", "reported", "acknowledged", None),
            TimelineEntry(
                at,
                "U0OAKDSL00",
                "parents_informed",
                "Parents/carers informed",
                "managed_in_school",
                "parents_decided",
                "In person",
            ),
        ),
        decisions=(
            RecordedDecision(
                "parents_informed",
                "Parents/carers informed",
                at,
                "U0OAKDSL00",
                "managed_in_school",
                "parents_decided",
                {},
                (Row("By whom", "U0OAKDSL00", "user"), Row("How", "In person")),
            ),
        ),
        deletions=(DeletionView(1, "CD", SAMPLE_TIME.date(), "pending", "U0TEACHER0", None, None),),
        available=tuple(decisions.allowed_by(["record_deletion_for", "extend_deletion", "add_note"])),
        blocked=tuple(Blocked(d, ("record the deletion outcome",)) for d in blocked),
        missing_for_close=("record the deletion outcome (confirmed, or not required with a reason)",),
        due=(
            Due("Deletion deadline: Mon 23 Nov 2026", at, True),
            Due("Confirm deletion for each young person"),
        ),
        people={
            "U0OAKDSL00": Person("U0OAKDSL00", "Alex Morgan", "DSL"),
            "U0TEACHER0": Person("U0TEACHER0", "Chris Taylor", "member of staff who reported"),
            "ypsi-bot": Person("ypsi-bot", "ypsi-bot", ""),
        },
        staff_saw_image=True,
        contacts=tuple(guidance.contacts_for("case")),
    )


def sample_overview() -> list[OverviewLine]:
    """Two open cases, the overdue one first."""
    return [
        OverviewLine(
            "YPSI-2026-0042",
            "oakfield",
            "Oakfield Academy",
            "deletion_requested",
            "Deletion requested",
            False,
            "U0OAKDSL00",
            SAMPLE_TIME,
            Due("Deletion deadline: Mon 23 Nov 2026", SAMPLE_TIME, True),
        ),
        OverviewLine(
            "YPSI-2026-0043",
            "oakfield",
            "Oakfield Academy",
            "reported",
            "New: waiting for a DSL",
            True,
            None,
            SAMPLE_TIME,
            Due("Acknowledge the case"),
        ),
    ]


SAMPLE_DEFAULTS = {
    "me": "U0OAKDSL00",
    "reporter": "U0TEACHER0",
    "now": "2026-11-23 10:00",
    "today": "2026-11-23",
    "suggested": "romantic",
    "principal": "U0OAKPRN00",
}


SAMPLE_CHECK = ReminderMessage(
    reminder_id=7,
    kind="deletion_follow_up",
    academy_key="oakfield",
    reference=SAMPLE_ALERT.reference,
    channel=None,
    users=("U0TEACHER0",),
    title=f"Deletion check for case {SAMPLE_ALERT.reference}",
    text=(
        "The DSL asks: have the young people deleted the images (deadline 2026-11-27)? Ask them, and "
        "answer for each. Do not look at a young person's phone or at the images yourself."
    ),
    lines=(),
    buttons=(
        Button(ButtonAction.DELETION_CONFIRMED_FOR, "Deletion confirmed for A.B.", "11"),
        Button(ButtonAction.DELETION_CONFIRMED_FOR, "Deletion confirmed for C.D.", "12"),
        Button(ButtonAction.NOT_YET, "Not yet", "7"),
    ),
    urgent=False,
)
