"""Block Kit JSON of every modal, message and Home tab, written to docs/block-kit/ from the builders.

`python -m bot.slack.views.gallery` rewrites the files; a test fails when they are stale. Paste any
file into Slack's Block Kit Builder to see the screen as a person would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.ids import reminder_action
from bot.samples import (
    SAMPLE_ALERT,
    SAMPLE_CHECK,
    SAMPLE_DEFAULTS,
    SAMPLE_DRAFT,
    SAMPLE_TIME,
    sample_detail,
    sample_overview,
)
from bot.slack.reminder_posts import blocks as reminder_blocks
from bot.slack.views.alerts import alert_message, principal_message, teacher_receipt
from bot.slack.views.case import case_view, cases_message, decision_view, not_yet_view
from bot.slack.views.home import home_view
from bot.slack.views.reminders import answered, extend_view, recorded_line
from bot.slack.views.report import resume_view, view_for
from conversations.casefile.casework import (
    DecisionForm,
    ReportLine,
)
from conversations.casefile.decisions import load_decisions
from conversations.guidance.policy import Guidance, load_guidance
from conversations.guidance.referral_points import IMMEDIATE
from conversations.scheduling.reminder_messages import ButtonAction
from state_machines import report as dialogue

DOCS = Path(__file__).resolve().parents[3] / "docs" / "block-kit"


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
