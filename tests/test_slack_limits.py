"""Every builder at maximal realistic data stays within Slack's documented limits.

Maximal: 40 young people, 60 open cases, 150 timeline events, 120-character names and
pseudonyms, typed answers at their longest. Each surface is parsed by slack_sdk's models
(which enforce some limits) and checked by `bot.slack.views.limits.problems` (all of them, including
those the models leave out). The checker itself is shown to catch each limit it checks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.samples import SAMPLE_ALERT, SAMPLE_CHECK, SAMPLE_TIME, sample_detail, sample_overview
from bot.slack.http_server import Limits
from bot.slack.reminder_posts import blocks as reminder_blocks
from bot.slack.views import limits
from bot.slack.views.alerts import alert_message, teacher_receipt
from bot.slack.views.case import case_view, cases_message, decision_view, not_yet_view
from bot.slack.views.gallery import gallery
from bot.slack.views.home import home_view
from bot.slack.views.reminders import answered, extend_view, recorded_line
from bot.slack.views.report import resume_view
from conversations.academies import load_academies
from conversations.casefile.casework import (
    DecisionForm,
    DeletionView,
    Due,
    RecordedDecision,
    ReportLine,
    TimelineEntry,
)
from conversations.casefile.decisions import load_decisions
from conversations.casefile.readable import Row
from conversations.errors import ConfigError
from conversations.guidance.policy import load_guidance
from conversations.scheduling.reminder_messages import Button, ButtonAction
from tests.test_slack_check_config import ACADEMY

YOUNG_PEOPLE = 40
OPEN_CASES = 60
EVENTS = 150
NAME = "N" * 119 + "."  # a 120-character name, pseudonym or label
LONG_TEXT = "typed <@U0INJECT00> & *bold* " * 100  # a long typed answer with mrkdwn in it


def maximal_detail() -> Any:
    guidance = load_guidance()
    detail = sample_detail(guidance)
    at = SAMPLE_TIME
    decisions = load_decisions()
    return replace(
        detail,
        academy_name=NAME,
        answer_sections=tuple(
            (f"{NAME} {n}", tuple(Row(f"{NAME} {i}", LONG_TEXT) for i in range(6))) for n in range(8)
        ),
        timeline=tuple(
            TimelineEntry(
                at + timedelta(minutes=i), "U0OAKDSL00", "note", NAME, "reported", "acknowledged", LONG_TEXT
            )
            for i in range(EVENTS)
        ),
        decisions=tuple(
            RecordedDecision(
                "add_note", NAME, at, "U0OAKDSL00", "reported", "reported", {}, (Row(NAME, LONG_TEXT),)
            )
            for _ in range(30)
        ),
        deletions=tuple(
            DeletionView(i, f"{i:02d}{NAME}", at.date(), "pending", "U0TEACHER0", None, None)
            for i in range(YOUNG_PEOPLE)
        ),
        available=tuple(decisions.by_key.values()),
        due=tuple(Due(f"{NAME} {i}", at, i % 2 == 0) for i in range(12)),
        missing_for_close=tuple(NAME for _ in range(4)),
    )


def maximal_overview() -> list[Any]:
    first = sample_overview()[0]
    return [
        replace(first, reference=f"YPSI-2026-{i:04d}", academy_name=NAME, next=Due(NAME, SAMPLE_TIME, True))
        for i in range(OPEN_CASES)
    ]


def maximal_surfaces() -> dict[str, dict[str, Any]]:
    """Every builder's output at maximal data, by name (the gallery's samples too)."""
    guidance = load_guidance()
    alert = replace(SAMPLE_ALERT, academy_name=NAME, urgent=True, in_progress=True)
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
        lines=tuple(f"YPSI-2026-{i:04d}: URGENT Deletion overdue; next: {NAME}" for i in range(OPEN_CASES)),
    )
    deletions = {str(i): f"{i:02d}{NAME}" for i in range(YOUNG_PEOPLE)}
    categories = {c.key: c.label for c in guidance.categories}
    surfaces: dict[str, dict[str, Any]] = dict(gallery(guidance))
    surfaces.update(
        {
            "alert": alert_message(alert, mention_dsls=True, note=LONG_TEXT[:2000]),
            "receipt": teacher_receipt("YPSI-2026-0042", guidance.contacts_for("young_person")),
            "case": case_view(maximal_detail(), notice=NAME),
            "not-yet": not_yet_view("YPSI-2026-0042", NAME, LONG_TEXT[:2000], [NAME] * 10),
            "cases": cases_message(maximal_overview(), ""),
            "home-dsl": home_view(
                maximal_overview(), [ReportLine(f"YPSI-2026-{i:04d}", NAME, SAMPLE_TIME) for i in range(60)]
            ),
            "resume": resume_view("0f1e2d3c4b5a69788796a5b4c3d2e1f0", NAME),
            "deletion-check": reminder_blocks(check),
            "deletion-check-channel": reminder_blocks(check, channel=True),
            "digest": reminder_blocks(digest, channel=True),
            "extend": extend_view("YPSI-2026-0042", "D0OAKDSL00", "1790000000.000003"),
        }
    )
    check_blocks = surfaces["deletion-check"]["blocks"]
    line = recorded_line(f"Deletion confirmed for {NAME}", "U0TEACHER0", SAMPLE_TIME)
    surfaces["deletion-check-answered"] = {
        **surfaces["deletion-check"],
        "blocks": answered(
            check_blocks, check_blocks[-1]["elements"][0]["action_id"], line, keep_others=True
        ),
    }
    for decision in load_decisions().by_key.values():
        form = DecisionForm("YPSI-2026-0042", decision, {"category": categories, "deletions": deletions}, {})
        surfaces[f"decision-{decision.key}"] = decision_view(form)
    return surfaces


def sdk_validate(surface: dict[str, Any]) -> None:
    """Parse with slack_sdk's models and run their checks (raises SlackObjectFormationError)."""
    if surface.get("type") in ("modal", "home"):
        View(**surface).validate_json()
    else:
        for block in surface["blocks"]:
            Block.parse(block).validate_json()


@pytest.mark.parametrize("name", sorted(maximal_surfaces()))
def test_every_builder_at_maximal_data_is_within_slacks_limits(name):
    surface = maximal_surfaces()[name]
    sdk_validate(surface)
    assert limits.problems(surface) == []


def test_the_maximal_data_really_reaches_the_limits():
    """The data is big enough that the builders had to split, cap and cut (not trivially small)."""
    surfaces = maximal_surfaces()
    check = surfaces["deletion-check"]["blocks"]
    assert [len(b["elements"]) for b in check if b["type"] == "actions"] == [25, 16]
    digest = [b["text"]["text"] for b in surfaces["digest"]["blocks"]]
    assert len(digest) >= 2 and all(len(t) <= limits.SECTION_TEXT for t in digest)
    assert "YPSI-2026-0059" in digest[-1]  # 60 cases fit in the sections: none left out here
    case = surfaces["case"]["blocks"]
    assert len(case) > 90 and "110 earlier events are in the export" in json.dumps(case)
    assert len(surfaces["alert"]["blocks"][0]["text"]["text"]) == limits.HEADER_TEXT
    assert json.loads(surfaces["extend"]["private_metadata"]).keys() == {"case", "channel", "ts"}
    cases = surfaces["cases"]["blocks"]
    assert len(cases) <= limits.MESSAGE_BLOCKS and "more open cases" in json.dumps(cases[-1])


def test_a_digest_too_long_for_a_message_ends_with_and_n_more():
    lines = tuple(f"YPSI-2026-{i:04d}: {NAME}" for i in range(3000))
    digest = replace(SAMPLE_CHECK, kind="weekly_digest", buttons=(), lines=lines)
    message = reminder_blocks(digest, channel=True)
    assert limits.problems(message) == []
    last = message["blocks"][-1]["text"]["text"]
    texts = "\n".join(t["text"]["text"] for t in message["blocks"])
    shown = sum(line in texts.split("\n") for line in lines)
    assert last.endswith(f"…and {3000 - shown} more")


def test_the_largest_interaction_payload_fits_the_servers_body_limit():
    """Slack posts the whole view with a click in a modal: the largest, percent-encoded, fits."""
    largest = max(
        (s for s in maximal_surfaces().values() if s.get("type") == "modal"), key=lambda s: len(json.dumps(s))
    )
    payload = {"type": "block_actions", "view": {**largest, "state": {"values": {}}}, "actions": [{}]}
    size = len(urlencode({"payload": json.dumps(payload)}))
    assert size < Limits().max_body / 4, size


def test_academy_names_longer_than_a_header_allows_stop_start_up(tmp_path):
    path = tmp_path / "academies.toml"
    path.write_text(ACADEMY.replace('name = "', f'name = "{"x" * 101}', 1))
    with pytest.raises(ConfigError, match="at most 100"):
        load_academies(path)


# --- the checker catches each limit ---------------------------------------------------------


def _button(i: int, text: str = "Open", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": f"a{i}", **extra}


def _modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": blocks, **extra}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _options(count: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": "o"}, "value": str(i)} for i in range(count)]


BROKEN: dict[str, dict[str, Any]] = {
    "51 blocks in a message": {"blocks": [_section("x")] * 51},
    "101 blocks in a modal": _modal([_section("x")] * 101),
    "section text 3001": {"blocks": [_section("x" * 3001)]},
    "header 151": {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]},
    "26 elements in actions": {"blocks": [{"type": "actions", "elements": [_button(i) for i in range(26)]}]},
    "button text 76": {"blocks": [{"type": "actions", "elements": [_button(1, "x" * 76)]}]},
    "accessibility_label 76": {
        "blocks": [{"type": "actions", "elements": [_button(1, accessibility_label="x" * 76)]}]
    },
    "11 fields": {"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}]},
    "field 2001": {"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]},
    "11 context elements": {
        "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}]
    },
    "option text 76": _modal(
        [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "l"},
                "element": {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}],
                },
            }
        ]
    ),
    "101 options": _modal(
        [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "l"},
                "element": {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [
                        {"text": {"type": "plain_text", "text": "o"}, "value": str(i)} for i in range(101)
                    ],
                },
            }
        ]
    ),
    "11 radio buttons": _modal(
        [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "l"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": "r",
                    "options": [
                        {"text": {"type": "plain_text", "text": "o"}, "value": str(i)} for i in range(11)
                    ],
                },
            }
        ]
    ),
    "private_metadata 3001": _modal([], private_metadata="x" * 3001),
    "callback_id 256": _modal([], callback_id="x" * 256),
    "modal title 25": {**_modal([]), "title": {"type": "plain_text", "text": "x" * 25}},
    "confirm text 301": {
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    _button(
                        1,
                        confirm={
                            "title": {"type": "plain_text", "text": "t"},
                            "text": {"type": "plain_text", "text": "x" * 301},
                            "confirm": {"type": "plain_text", "text": "y"},
                            "deny": {"type": "plain_text", "text": "n"},
                        },
                    )
                ],
            }
        ]
    },
    "empty text": {"blocks": [_section("")]},
    "button value 2001": {"blocks": [{"type": "actions", "elements": [_button(1, value="x" * 2001)]}]},
    "duplicate block_id": {
        "blocks": [{**_section("x"), "block_id": "b"}, {**_section("y"), "block_id": "b"}]
    },
    "duplicate action_id in a block": {"blocks": [{"type": "actions", "elements": [_button(1), _button(1)]}]},
    "message text 40001": {"text": "x" * 40_001, "blocks": []},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_checker_finds_each_broken_limit(name):
    assert limits.problems(BROKEN[name]), name
