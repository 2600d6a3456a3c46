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

from bot.slack.views.gallery import SAMPLE_DRAFT
from bot.teams.cards import limits
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.inputs import submitted_values
from bot.teams.cards.report import opening_view, resume_view, sent_view, step_view, view_for
from bot.teams.cards.text import escape
from bot.teams.ids import ActionId, CallbackId, time_input
from conversations.guidance.policy import Field, load_guidance
from conversations.guidance.questions import validate
from state_machines import report as dialogue

SCHEMA = Path(__file__).parent / "teams" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
NAME = "N" * 119 + "."
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
    young = guidance.steps[dialogue.YOUNG_PEOPLE]
    errors = {f.key: f"{NAME} is not an answer" for f in young.fields}
    surfaces["step-with-errors"] = step_view(young, SAMPLE_DRAFT.id, {}, {}, errors=errors)
    return surfaces


def all_surfaces() -> dict[str, Any]:
    """Every builder's card at maximal data, by name."""
    return {**report_surfaces()}


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
    dialog = step_view(guidance.steps[dialogue.YOUNG_PEOPLE], "d1", {"count": 2}, {})
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
    body = step_view(step, "d1", {}, {}, errors=errors).card["body"]
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
