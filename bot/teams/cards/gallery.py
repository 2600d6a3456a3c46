"""Every Adaptive Card of the Teams front end, written to docs/adaptive-cards/ from the builders.

`python -m bot.teams.cards.gallery` rewrites the files; a test fails when they are stale. Paste
any file into the Adaptive Cards Designer (host app: Microsoft Teams) to see the card as a
person would; README.md there lists each card, and each dialog's title. The sample data is
`bot.samples`, the Block Kit gallery's too, so the two galleries show the same cases.
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
from bot.teams.cards.alerts import alert_message, principal_message, teacher_receipt
from bot.teams.cards.case import case_view, cases_message, decision_view, not_yet_view
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.home import home_view
from bot.teams.cards.reminders import answered, extend_view, recorded_line, reminder_card
from bot.teams.cards.report import resume_view, view_for
from conversations.casefile.casework import DecisionForm, ReportLine
from conversations.casefile.decisions import load_decisions
from conversations.guidance.policy import Guidance, load_guidance
from conversations.guidance.referral_points import IMMEDIATE
from conversations.scheduling.reminder_messages import Button, ButtonAction
from state_machines import report as dialogue

DOCS = Path(__file__).resolve().parents[3] / "docs" / "adaptive-cards"
Screen = Dialog | dict[str, Any]
# The people a decision's pickers offer (the listener passes the academy's staff by name).
SAMPLE_PEOPLE = {"U0OAKDSL00": "Alex Morgan", "U0OAKPRN00": "Sam Patel", "U0TEACHER0": "Chris Taylor"}


def report_screens(guidance: Guidance) -> dict[str, Screen]:
    """The report dialog's cards in dialogue order, then the messages around a report."""
    screens: dict[str, Screen] = {}
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
    young_person = guidance.contacts_for("young_person")
    screens["teacher-receipt"] = teacher_receipt(SAMPLE_ALERT.reference, young_person)
    screens["teacher-receipt-out-of-hours"] = teacher_receipt(
        SAMPLE_ALERT.reference, young_person, guidance.contacts_for("emergency")
    )
    screens["principal-card"] = principal_message(replace(SAMPLE_ALERT, urgent=True))
    screens["dsl-card-acknowledged"] = alert_message(
        replace(SAMPLE_ALERT, status="acknowledged", status_label="Acknowledged", owner_id="U0OAKDSL00")
    )
    return screens


def case_screens(guidance: Guidance) -> dict[str, Screen]:
    """The DSL's screens: the case, every decision's form, "not yet", the list, the welcome card."""
    categories = {c.key: c.label for c in guidance.categories}
    immediate = {t.key: t.label for t in guidance.triggers if t.level == IMMEDIATE}
    screens: dict[str, Screen] = {"case-dialog": case_view(sample_detail(guidance))}
    for decision in load_decisions().by_key.values():
        choices = {"category": categories, "deletions": {"1": "CD"}, "point": immediate}
        choices |= {f.key: SAMPLE_PEOPLE for f in decision.fields if f.type == "user"}
        form = DecisionForm(
            SAMPLE_ALERT.reference,
            decision,
            choices,
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
    screens["welcome-dsl"] = home_view(sample_overview(), [])
    screens["welcome-teacher"] = home_view(None, reports)
    return screens


SAMPLE_DUE = replace(
    SAMPLE_CHECK,
    reminder_id=8,
    kind="deletion_due",
    users=("U0OAKDSL00",),
    title=f"Deletion deadline today for case {SAMPLE_ALERT.reference}",
    text="The deletion deadline is today. Confirm deletion, extend the deadline with a reason, or snooze.",
    buttons=(
        Button(ButtonAction.CONFIRM_DELETION, "Confirm deletion", SAMPLE_ALERT.reference),
        Button(ButtonAction.EXTEND_DEADLINE, "Extend deadline", SAMPLE_ALERT.reference, needs_reason=True),
        Button(ButtonAction.SNOOZE, "Snooze one school day", "8"),
    ),
)


def reminder_screens() -> dict[str, Screen]:
    """A deletion check as the member of staff gets it, after one answer; a deadline reminder
    with the buttons that open dialogs; the extend dialog."""
    check = reminder_card(SAMPLE_CHECK)
    clicked = reminder_action(ButtonAction.DELETION_CONFIRMED_FOR, "11")
    line = recorded_line("Deletion confirmed for A.B.", "U0TEACHER0", SAMPLE_TIME)
    return {
        "reminder-deletion-check": check,
        "reminder-deletion-check-answered": answered(check, clicked, line, keep_others=True),
        "reminder-deletion-due": reminder_card(SAMPLE_DUE),
        "reminder-extend-deadline": extend_view(SAMPLE_ALERT.reference, "a:1oakdsl", "1790000000003"),
    }


def gallery(guidance: Guidance) -> dict[str, Screen]:
    """Every screen, by file name: the report dialog in order, the messages, the DSL's screens."""
    return {**report_screens(guidance), **case_screens(guidance), **reminder_screens()}


def rendered(guidance: Guidance) -> dict[str, str]:
    """File name → file text: one card per file, and README.md listing them."""
    screens = gallery(guidance)
    files = {f"{name}.json": _json(_card(screen)) for name, screen in screens.items()}
    lines = [
        "# Adaptive Cards of the Teams front end",
        "",
        "Generated by `python -m bot.teams.cards.gallery` from the builders in `bot/teams/cards/`",
        "(a test fails when these files are stale). Paste a file into the Adaptive Cards Designer,",
        "host app Microsoft Teams, to see it. Dialogs show their title above the card.",
        "",
        "| file | shown as |",
        "|---|---|",
        *(f"| [{n}.json]({n}.json) | {_shown_as(s)} |" for n, s in screens.items()),
        "",
    ]
    files["README.md"] = "\n".join(lines)
    return files


def _card(screen: Screen) -> dict[str, Any]:
    return screen.card if isinstance(screen, Dialog) else screen


def _shown_as(screen: Screen) -> str:
    return f"dialog “{screen.title}”" if isinstance(screen, Dialog) else "message"


def _json(card: dict[str, Any]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite docs/adaptive-cards/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for old in [*DOCS.glob("*.json"), *DOCS.glob("*.md")]:
        old.unlink()
    files = rendered(load_guidance())
    for name, text in files.items():
        (DOCS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {DOCS}")


if __name__ == "__main__":
    main()
