"""Block Kit JSON of every modal, message and Home tab, written to docs/block-kit/ from the builders.

`python -m bot.slack.views.gallery` rewrites the files; a test fails when they are stale. Paste any
file into Slack's Block Kit Builder to see the screen as a person would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.slack.ids import reminder_action
from bot.slack.reminder_posts import blocks as reminder_blocks
from bot.slack.views.alerts import alert_message, principal_message, teacher_receipt
from bot.slack.views.case import case_view, cases_message, decision_view, not_yet_view
from bot.slack.views.home import home_view
from bot.slack.views.reminders import answered, extend_view, recorded_line
from bot.slack.views.report import resume_view, view_for
from conversations.casefile.casework import (
    Blocked,
    CaseDetail,
    DecisionForm,
    DeletionView,
    Due,
    OverviewLine,
    RecordedDecision,
    ReportLine,
    TimelineEntry,
)
from conversations.casefile.decisions import load_decisions
from conversations.casefile.readable import Row
from conversations.dialogue.reports import DraftView
from conversations.dialogue.routing import Alert
from conversations.directory import Person
from conversations.guidance.policy import Guidance, load_guidance
from conversations.guidance.referral_points import IMMEDIATE
from conversations.scheduling.reminder_messages import Button, ButtonAction, ReminderMessage
from state_machines import case as lifecycle
from state_machines import report as dialogue

DOCS = Path(__file__).resolve().parents[3] / "docs" / "block-kit"
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


def case_screens(guidance: Guidance) -> dict[str, dict[str, Any]]:
    """The DSL's screens: the case modal, every decision's modal, "not yet", the list, Home."""
    categories = {c.key: c.label for c in guidance.categories}
    immediate = {t.key: t.label for t in guidance.triggers if t.level == IMMEDIATE}
    screens: dict[str, dict[str, Any]] = {"case-modal": case_view(sample_detail(guidance))}
    for decision in load_decisions().by_key.values():
        form = DecisionForm(
            SAMPLE_ALERT.reference,
            decision,
            {"category": categories, "deletions": {"1": "CD"}, "point": immediate},
            {f.key: SAMPLE_DEFAULTS[f.default] for f in decision.fields if f.default},
            tuple(c for c in guidance.contacts if set(c.audience) & set(decision.contacts)),
        )
        screens[f"decision-{decision.key}"] = decision_view(form)
    screens["decision-not-yet"] = not_yet_view(
        SAMPLE_ALERT.reference,
        "Close the case",
        "Not yet: record these first.",
        ["record the parents/carers decision", "record the deletion outcome"],
    )
    screens["cases-list"] = cases_message(sample_overview(), "")
    reports = [ReportLine("YPSI-2026-0041", "Picked up by a DSL", SAMPLE_TIME)]
    screens["home-dsl"] = home_view(sample_overview(), [])
    screens["home-teacher"] = home_view(None, reports)
    return screens


SAMPLE_DEFAULTS = {
    "me": "U0OAKDSL00",
    "reporter": "U0TEACHER0",
    "now": "2026-11-23 10:00",
    "today": "2026-11-23",
    "suggested": "romantic",
    "principal": "U0OAKPRN00",
}


def gallery(guidance: Guidance) -> dict[str, dict[str, Any]]:
    """Every screen, by file name: the modal steps in dialogue order, then the messages."""
    screens: dict[str, dict[str, Any]] = {}
    for number, step in enumerate(dialogue.STEPS, start=1):
        screens[f"{number:02d}-{step}"] = view_for(guidance, replace(SAMPLE_DRAFT, state=step))
    screens["11-sent"] = view_for(
        guidance, replace(SAMPLE_DRAFT, state=dialogue.SUBMITTED, reference=SAMPLE_ALERT.reference)
    )
    screens["resume-offer"] = resume_view(SAMPLE_DRAFT.id, guidance.steps[dialogue.SHARING].title)
    screens["dsl-card"] = alert_message(SAMPLE_ALERT)
    # Posted mid-dialogue, when "immediate risk" is answered yes: nothing else is known yet.
    mid_dialogue = guidance.classify({dialogue.RISK: {"immediate_risk": "yes"}}).category.label
    screens["dsl-card-urgent"] = alert_message(
        replace(SAMPLE_ALERT, urgent=True, in_progress=True, category_label=mid_dialogue), mention_dsls=True
    )
    screens["teacher-receipt"] = teacher_receipt(
        SAMPLE_ALERT.reference, guidance.contacts_for("young_person")
    )
    screens["teacher-receipt-out-of-hours"] = teacher_receipt(
        SAMPLE_ALERT.reference, guidance.contacts_for("young_person"), guidance.contacts_for("emergency")
    )
    screens["principal-card"] = principal_message(replace(SAMPLE_ALERT, urgent=True))
    screens["dsl-card-acknowledged"] = alert_message(
        replace(SAMPLE_ALERT, status="acknowledged", status_label="Acknowledged", owner_id="U0OAKDSL00")
    )
    return {**screens, **case_screens(guidance), **reminder_screens()}


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


def reminder_screens() -> dict[str, dict[str, Any]]:
    """A deletion check as the member of staff gets it, after one answer, and the extend modal."""
    check = reminder_blocks(SAMPLE_CHECK)
    clicked = reminder_action(ButtonAction.DELETION_CONFIRMED_FOR, "11")
    line = recorded_line("Deletion confirmed for A.B.", "U0TEACHER0", SAMPLE_TIME)
    return {
        "reminder-deletion-check": check,
        "reminder-deletion-check-answered": {
            **check,
            "blocks": answered(check["blocks"], clicked, line, keep_others=True),
        },
        "reminder-extend-deadline": extend_view(SAMPLE_ALERT.reference, "D0OAKDSL00", "1790000000.000003"),
    }


def rendered(guidance: Guidance) -> dict[str, str]:
    """File name → file text."""
    return {
        f"{name}.json": json.dumps(view, indent=2, ensure_ascii=False) + "\n"
        for name, view in gallery(guidance).items()
    }


def main() -> None:
    """Rewrite docs/block-kit/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for old in DOCS.glob("*.json"):
        old.unlink()
    for name, text in rendered(load_guidance()).items():
        (DOCS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(gallery(load_guidance()))} files to {DOCS}")


if __name__ == "__main__":
    main()
