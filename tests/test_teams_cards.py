"""The Adaptive Cards of the Teams front end: valid, within Teams' limits, and safe with typed text.

Every builder is rendered at maximal realistic data (40 young people, 60 open cases, 150
timeline events, 120-character names, typed answers at their longest, markdown typed in them)
and each card is validated against the Adaptive Cards 1.5 JSON schema (vendored in
tests/teams/, see docs/decisions/0112-adaptive-cards.md) and checked by
`bot.teams.cards.limits.problems`. The checker itself is shown to catch what it checks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.ids import ActionId, CallbackId, reminder_action
from bot.samples import SAMPLE_ALERT, SAMPLE_CHECK, SAMPLE_DEFAULTS, SAMPLE_DRAFT, SAMPLE_TIME, sample_detail
from bot.teams.cards import limits
from bot.teams.cards.alerts import alert_message, principal_message, teacher_receipt
from bot.teams.cards.case import case_notice, case_view, cases_message, decision_view, not_yet_view
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.gallery import gallery
from bot.teams.cards.home import home_view
from bot.teams.cards.inputs import submitted_values
from bot.teams.cards.reminders import (
    answered,
    clicked_label,
    extend_view,
    extended_message,
    recorded_line,
    reminder_card,
)
from bot.teams.cards.report import opening_view, resume_view, sent_view, step_view, view_for
from bot.teams.cards.text import escape
from bot.teams.ids import time_input
from conversations.casefile.casework import DecisionForm, ReportLine
from conversations.casefile.decisions import load_decisions
from conversations.dialogue.screens import step_screen
from conversations.guidance.policy import Field, load_guidance
from conversations.guidance.questions import validate
from conversations.guidance.referral_points import IMMEDIATE
from conversations.scheduling.reminder_messages import Button, ButtonAction
from state_machines import report as dialogue
from tests.test_slack_limits import YOUNG_PEOPLE, maximal_detail, maximal_overview

SCHEMA = Path(__file__).parent / "teams" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
STAFF = 120
NAME = "N" * 119 + "."  # as tests/test_slack_limits.py: a 120-character name or label
TYPED = "typed **bold** [link](https://example.org) <at>x</at> _i_ " * 20


def schema_errors(card: dict[str, Any]) -> list[str]:
    """What the Adaptive Cards 1.5 schema finds wrong with `card`, by path."""
    found = []
    for e in sorted(VALIDATOR.iter_errors(card), key=lambda e: list(e.absolute_path)):
        found.append(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
    return found


def card_of(surface: Any) -> dict[str, Any]:
    return surface.card if isinstance(surface, Dialog) else surface


def report_surfaces() -> dict[str, Any]:
    guidance = load_guidance()
    answers = {
        step: {
            f.key: (TYPED[: f.max_length] if f.type == "text" else None) for f in guidance.steps[step].fields
        }
        for step in dialogue.STEPS[:-1]
    }
    surfaces: dict[str, Any] = {}
    for step in dialogue.STEPS:
        draft = replace(SAMPLE_DRAFT, state=step, answers={**SAMPLE_DRAFT.answers, **answers})
        surfaces[f"step-{step}"] = view_for(guidance, draft)
    surfaces["opening"] = opening_view(guidance)
    surfaces["sent"] = view_for(
        guidance, replace(SAMPLE_DRAFT, state=dialogue.SUBMITTED, reference="YPSI-2026-0042")
    )
    surfaces["sent-out-of-hours"] = sent_view("YPSI-2026-0042", guidance.contacts_for("emergency"))
    surfaces["discarded"] = view_for(guidance, replace(SAMPLE_DRAFT, state=dialogue.CANCELLED))
    surfaces["resume"] = resume_view(SAMPLE_DRAFT.id, NAME)
    young = step_screen(guidance, dialogue.YOUNG_PEOPLE, SAMPLE_DRAFT.id)
    errors = {f.key: f"{NAME} is not an answer" for f in young.step.fields}
    surfaces["step-with-errors"] = step_view(young, errors=errors)
    return surfaces


def message_surfaces() -> dict[str, Any]:
    guidance = load_guidance()
    alert = replace(SAMPLE_ALERT, academy_name=NAME, urgent=True, in_progress=True, under_13=True)
    acknowledged = replace(
        SAMPLE_ALERT, status="acknowledged", status_label="Acknowledged", owner_id="U0OAKDSL00"
    )
    reports = [ReportLine(f"YPSI-2026-{i:04d}", NAME, SAMPLE_TIME) for i in range(60)]
    return {
        "alert": alert_message(alert, mention_dsls=True, note=TYPED[:2000]),
        "alert-acknowledged": alert_message(acknowledged),
        "receipt": teacher_receipt("YPSI-2026-0042", guidance.contacts_for("young_person")),
        "receipt-out-of-hours": teacher_receipt(
            "YPSI-2026-0042", guidance.contacts_for("young_person"), guidance.contacts_for("emergency")
        ),
        "principal": principal_message(alert),
        "cases": cases_message(maximal_overview(), ""),
        "cases-empty": cases_message([], "There are no open cases for your academies."),
        "home-dsl": home_view(maximal_overview(), reports),
        "home-dsl-no-cases": home_view([], []),
        "home-teacher": home_view(None, reports),
    }


def case_surfaces() -> dict[str, Any]:
    guidance = load_guidance()
    categories = {c.key: c.label for c in guidance.categories}
    immediate = {t.key: t.label for t in guidance.triggers if t.level == IMMEDIATE}
    deletions = {str(i): f"{i:02d}{NAME}" for i in range(YOUNG_PEOPLE)}
    # A large academy's staff, as academies.toml names them (a picker shows at most CHOICES).
    people = {f"teams:{i:08d}-0000-0000-0000-000000000000": f"{i:03d} {'M' * 36}" for i in range(STAFF)}
    surfaces: dict[str, Any] = {
        "case": case_view(maximal_detail(), notice=NAME),
        "case-sample": case_view(sample_detail(guidance)),
        "not-yet": not_yet_view("YPSI-2026-0042", NAME, TYPED[:2000], [NAME] * 10),
        "case-notice": case_notice(TYPED[:300]),
    }
    for decision in load_decisions().by_key.values():
        choices = {"category": categories, "deletions": deletions, "point": immediate}
        choices |= {f.key: people for f in decision.fields if f.type == "user"}
        defaults = {f.key: SAMPLE_DEFAULTS[f.default] for f in decision.fields if f.default}
        errors = {f.key: NAME for f in decision.fields}
        contacts = tuple(c for c in guidance.contacts if set(c.audience) & set(decision.contacts))
        form = DecisionForm("YPSI-2026-0042", decision, choices, defaults, contacts)
        surfaces[f"decision-{decision.key}"] = decision_view(form, errors=errors)
    return surfaces


def reminder_surfaces() -> dict[str, Any]:
    check = replace(
        SAMPLE_CHECK,
        buttons=tuple(
            Button(ButtonAction.DELETION_CONFIRMED_FOR, f"Deletion confirmed for {i:02d}{NAME}", str(i))
            for i in range(YOUNG_PEOPLE)
        )
        + (Button(ButtonAction.NOT_YET, "Not yet", "7"),),
    )
    digest = replace(
        SAMPLE_CHECK,
        kind="weekly_digest",
        buttons=(),
        lines=tuple(f"YPSI-2026-{i:04d}: URGENT Deletion overdue; next: {NAME}" for i in range(3000)),
    )
    due = replace(
        SAMPLE_CHECK,
        kind="deletion_due",
        urgent=True,
        buttons=(
            Button(ButtonAction.CONFIRM_DELETION, "Confirm deletion", "YPSI-2026-0042"),
            Button(ButtonAction.EXTEND_DEADLINE, "Extend deadline", "YPSI-2026-0042", needs_reason=True),
            Button(ButtonAction.SNOOZE, "Snooze one school day", "7"),
        ),
    )
    card = reminder_card(check)
    clicked = reminder_action(ButtonAction.DELETION_CONFIRMED_FOR, "0")
    line = recorded_line(f"Deletion confirmed for {NAME}", "teams:0000", SAMPLE_TIME)
    return {
        "deletion-check": card,
        "deletion-check-channel": reminder_card(check, channel=True),
        "deletion-check-answered": answered(card, clicked, line, keep_others=True),
        "deletion-due": reminder_card(due),
        "digest": reminder_card(digest, channel=True),
        "extend": extend_view(
            "YPSI-2026-0042", "a:1" * 40, "1" * 40, errors={"deadline": NAME, "reason": NAME}
        ),
        "extended": extended_message("YPSI-2026-0042", line),
    }


def all_surfaces() -> dict[str, Any]:
    """Every builder's card at maximal data, by name."""
    gallery_cards = {f"gallery-{name}": screen for name, screen in gallery(load_guidance()).items()}
    return {
        **report_surfaces(),
        **message_surfaces(),
        **case_surfaces(),
        **reminder_surfaces(),
        **gallery_cards,
    }


SURFACES = all_surfaces()


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_card_validates_against_the_adaptive_cards_schema(name):
    assert schema_errors(card_of(SURFACES[name])) == []


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_card_is_within_teams_limits(name):
    assert limits.problems(SURFACES[name]) == []


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in _walk(card) if n.get("type") == kind]


def test_a_step_card_asks_each_question_and_says_which_step_and_draft_it_answers():
    guidance = load_guidance()
    dialog = step_view(step_screen(guidance, dialogue.YOUNG_PEOPLE, "d1", {"count": 2}))
    inputs = [n for n in _walk(dialog.card) if str(n.get("type", "")).startswith("Input.")]
    assert [i["id"] for i in inputs] == [f.key for f in guidance.steps[dialogue.YOUNG_PEOPLE].fields]
    required = [i for i in inputs if i.get("isRequired")]
    assert required and all(i["errorMessage"] for i in required)
    assert inputs[0]["value"] == "2"
    next_button, back = dialog.card["actions"]
    assert next_button["data"] == {
        "callback": "ypsi_report_step:young_people",
        "draft": "d1",
        "action": "ypsi_submit",
    }
    assert back["data"]["action"] == ActionId.BACK and back["associatedInputs"] == "none"


def test_the_first_step_has_no_back_and_no_draft_yet():
    dialog = opening_view(load_guidance())
    assert [a["title"] for a in dialog.card["actions"]] == ["Next"]
    assert dialog.card["actions"][0]["data"]["draft"] == ""


def test_the_services_validation_errors_show_in_red_under_their_question():
    guidance = load_guidance()
    step = guidance.steps[dialogue.YOUNG_PEOPLE]
    with pytest.raises(Exception) as raised:
        validate(step, {"count": "lots"}, {})
    errors = raised.value.errors
    body = step_view(step_screen(guidance, dialogue.YOUNG_PEOPLE, "d1"), errors=errors).card["body"]
    ids = [b.get("id") for b in body]
    for key, message in errors.items():
        shown = body[ids.index(f"{key}:error")]
        assert shown["color"] == "Attention" and shown["text"] == escape(message)
        assert ids.index(f"{key}:error") > ids.index(key)
    assert body[1]["color"] == "Attention"  # the summary at the top


def test_starting_again_asks_first_and_is_marked_destructive():
    card = resume_view("d1", "Sharing").card
    carry_on, start_again = card["actions"]
    assert carry_on["data"] == {"callback": CallbackId.RESUME, "draft": "d1", "action": ActionId.RESUME}
    assert start_again["type"] == "Action.ShowCard"  # the click only shows the question
    discard, keep = start_again["card"]["actions"]
    assert discard["style"] == "destructive" and discard["data"]["action"] == ActionId.START_AGAIN
    assert keep["data"]["action"] == ActionId.RESUME
    assert "cannot be got back" in start_again["card"]["body"][0]["text"]


def test_typed_text_is_shown_literally_never_as_markdown():
    guidance = load_guidance()
    review = SURFACES["step-review"].card
    runs = [r["text"] for r in _of_type(review, "TextRun")]
    assert any(TYPED[:40] in r for r in runs)  # TextRuns render no markdown
    blocks = " ".join(b["text"] for b in _of_type(review, "TextBlock"))
    assert "[link](" not in blocks and "**bold**" not in blocks
    assert escape("**x** [a](b) <at>") == "\\*\\*x\\*\\* \\[a\\](b) \\<at\\>"
    assert escape("- one\n2. two") == "\\- one\n2\\. two"
    assert escape("YPSI-2026-0042") == "YPSI-2026-0042"
    assert guidance  # the data the builders read


def test_the_policys_emphasis_becomes_bold():
    card = opening_view(load_guidance()).card
    assert "Do **not** view" in card["body"][1]["text"]


def test_a_submission_reads_back_as_the_services_raw_answers():
    fields = [
        Field("one", "choice", "One"),
        Field("many", "multi", "Many"),
        Field("when", "datetime", "When"),
        Field("day", "date", "Day"),
        Field("note", "text", "Note", optional=True),
    ]
    data = {
        "one": "yes",
        "many": "a,b",
        "when": "2026-11-23",
        time_input("when"): "14:30",
        "day": "2026-11-24",
        "note": "",
    }
    assert submitted_values(fields, data) == {
        "one": "yes",
        "many": ["a", "b"],
        "when": "2026-11-23 14:30",
        "day": "2026-11-24",
        "note": None,
    }
    assert submitted_values(fields, {})["many"] == []


def test_the_alert_card_is_minimal_and_its_buttons_acknowledge_or_open_the_case():
    card = SURFACES["alert"]
    shown = json.dumps(card["body"])
    assert SAMPLE_ALERT.reporter_id not in shown and "U0OAKDSL00" not in shown
    facts = {f["title"] for f in _of_type(card, "FactSet")[0]["facts"]}
    assert facts == {
        "Reference",
        "Academy",
        "Urgency",
        "Suggested category",
        "Status",
        "Reported by",
        "Reported",
    }
    acknowledge, open_case = card["actions"]
    assert acknowledge["type"] == "Action.Submit" and "msteams" not in acknowledge["data"]
    assert (
        acknowledge["data"]["action"] == ActionId.ACKNOWLEDGE
        and acknowledge["data"]["case"] == "YPSI-2026-0042"
    )
    assert open_case["data"]["msteams"] == {"type": "task/fetch"}
    assert open_case["data"]["action"] == ActionId.OPEN_CASE
    assert [a["data"]["action"] for a in SURFACES["alert-acknowledged"]["actions"]] == [ActionId.OPEN_CASE]
    assert "please pick this up now" in shown and card["fallbackText"].startswith("URGENT YPSI concern")


def test_the_note_on_an_alert_is_shown_as_typed():
    runs = _of_type(SURFACES["alert"], "TextRun")
    assert runs[-1]["text"] == TYPED[:2000]


def test_a_long_case_keeps_its_summary_and_buttons_and_says_the_export_has_the_rest():
    card = SURFACES["case"].card
    shown = json.dumps(card)
    assert "Record a decision" in shown and "Send deletion check" in shown
    assert card["body"][-1]["text"].startswith("The record is too long to show in full here")
    rows = _of_type(card, "ActionSet")
    assert all(len(r["actions"]) <= limits.ACTIONS_PER_ROW for r in rows)
    decide = [a for r in rows for a in r["actions"] if a["data"]["action"].startswith(ActionId.DECIDE)]
    detail = maximal_detail()
    assert len(decide) == len(detail.available) + len(detail.blocked)
    assert decide[0]["data"] == {
        "callback": CallbackId.CASE,
        "case": "YPSI-2026-0042",
        "action": decide[0]["data"]["action"],
    }
    sample = json.dumps(SURFACES["case-sample"].card)
    assert "Parents/carers informed" in sample and "too long" not in sample
    assert SURFACES["case"].title == "Case YPSI-2026-0042"


def test_a_case_shows_names_never_raw_ids():
    shown = json.dumps(SURFACES["case-sample"].card)
    assert "Alex Morgan (DSL)" in shown and "Chris Taylor" in shown
    assert '"U0OAKDSL00"' not in shown.replace('"value": "U0OAKDSL00"', "")


def test_a_form_with_many_staff_lists_fewer_people_but_keeps_the_one_chosen():
    card = SURFACES["decision-viewing"].card
    pickers = [i for i in _of_type(card, "Input.ChoiceSet") if i["choices"][0]["value"].startswith("teams:")]
    assert pickers and all(len(p["choices"]) < STAFF for p in pickers)
    assert limits.size(card) <= limits.CARD_BYTES


def test_the_case_list_says_how_many_cases_it_leaves_out():
    body = SURFACES["cases"]["body"]
    listed = sum(1 for e in body if e["type"] == "Container")
    assert body[-1]["text"].startswith(f"{len(maximal_overview()) - listed} more open cases are not shown")
    opener = _of_type(body[1], "Action.Submit")[0]
    assert opener["data"]["msteams"] == {"type": "task/fetch"} and opener["data"]["case"] == "YPSI-2026-0000"


def test_reminder_buttons_naming_young_people_stay_out_of_the_channel():
    private = json.dumps(SURFACES["deletion-check"])
    channel = json.dumps(SURFACES["deletion-check-channel"])
    assert "Deletion confirmed for 00" in private and "Deletion confirmed for" not in channel
    rows = [r for r in SURFACES["deletion-check"]["body"] if r["type"] == "ActionSet"]
    assert [len(r["actions"]) for r in rows] == [6] * 6 + [5]


def test_an_answered_reminder_loses_the_clicked_button_and_says_what_was_recorded():
    before = SURFACES["deletion-check"]
    after = SURFACES["deletion-check-answered"]
    clicked = reminder_action(ButtonAction.DELETION_CONFIRMED_FOR, "0")
    actions = [a["data"]["action"] for a in _of_type(after, "Action.Submit")]
    assert clicked not in actions and len(actions) == len(_of_type(before, "Action.Submit")) - 1
    assert after["body"][-1]["inlines"][0]["text"].endswith("by a member of staff at 10:00")
    assert clicked_label(before, clicked) == f"Deletion confirmed for 00{NAME}"[:74] + "…"
    assert before["body"] != after["body"]  # the original is left as it was


def test_reminder_buttons_that_ask_more_open_a_dialog():
    buttons = {a["title"]: a["data"] for a in _of_type(SURFACES["deletion-due"], "Action.Submit")}
    assert buttons["Confirm deletion"]["msteams"] == {"type": "task/fetch"}
    assert buttons["Extend deadline"]["msteams"] == {"type": "task/fetch"}
    assert "msteams" not in buttons["Snooze one school day"]
    assert buttons["Snooze one school day"] == {
        "action": "ypsi_reminder_snooze:7",
        "value": "7",
        "reminder": 7,
        "case": "YPSI-2026-0042",
    }


def test_a_digest_too_long_for_a_card_ends_with_and_n_more():
    body = SURFACES["digest"]["body"]
    lines = [e for e in body if e["type"] == "RichTextBlock"]
    assert body[-1]["text"] == f"…and {3000 - len(lines)} more"


# --- the checker catches each limit ---------------------------------------------------------


def _card(*body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": list(body), **extra}


def _button(action: str = "a", title: str = "Open") -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": {"action": action}}


BROKEN: dict[str, Any] = {
    "too large": _card({"type": "TextBlock", "text": "x" * limits.CARD_BYTES, "wrap": True}),
    "seven buttons in a row": _card({"type": "ActionSet", "actions": [_button(str(i)) for i in range(7)]}),
    "seven buttons at the bottom": _card(actions=[_button(str(i)) for i in range(7)]),
    "button title 76": _card(actions=[_button(title="x" * 76)]),
    "button without an action id": _card(actions=[{"type": "Action.Submit", "title": "t", "data": {}}]),
    "file input": _card({"type": "Input.File", "id": "f"}),
    "image": _card({"type": "Image", "url": "https://example.org/x.png"}),
    "media": _card({"type": "Media", "sources": []}),
    "a link button": _card(actions=[{"type": "Action.OpenUrl", "title": "t", "url": "https://example.org"}]),
    "text that does not wrap": _card({"type": "TextBlock", "text": "x"}),
    "empty text": _card({"type": "TextBlock", "text": "", "wrap": True}),
    "empty text run": _card({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": ""}]}),
    "a choice of nothing": _card({"type": "Input.ChoiceSet", "id": "c", "choices": []}),
    "101 choices": _card(
        {
            "type": "Input.ChoiceSet",
            "id": "c",
            "choices": [{"title": "t", "value": str(i)} for i in range(101)],
        }
    ),
    "one input id twice": _card({"type": "Input.Text", "id": "a"}, {"type": "Input.Text", "id": "a"}),
    "version 1.6": {**_card(), "version": "1.6"},
    "dialog title 51": Dialog.__new__(Dialog),
}
object.__setattr__(BROKEN["dialog title 51"], "title", "x" * 51)
object.__setattr__(BROKEN["dialog title 51"], "card", _card())


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_checker_finds_each_broken_limit(name):
    assert limits.problems(BROKEN[name]), name


def test_a_dialog_title_is_cut_to_fit():
    assert len(Dialog("x" * 80, _card()).title) == limits.DIALOG_TITLE


def test_the_welcome_card_opens_a_report_and_shows_cases_only_to_the_dsl_team():
    teacher, dsl = SURFACES["home-teacher"], SURFACES["home-dsl"]
    [report] = _of_type(teacher, "Action.Submit")
    assert report["data"] == {
        "msteams": {"type": "task/fetch"},
        "action": ActionId.REPORT_FROM_HOME,
        "callback": CallbackId.HOME,
    }
    assert "Open cases of your academies" not in json.dumps(teacher)
    assert "earlier reports" in json.dumps(teacher)  # 60 reports: the latest 20 shown
    assert "Open cases of your academies" in json.dumps(dsl)
    assert "There are no open cases" in json.dumps(SURFACES["home-dsl-no-cases"])
