"""`/ypsi` words, the shortcut, and the modal views' Slack limits (no file input, ever)."""

from __future__ import annotations

import json

import pytest

from bot.ids import CallbackId, step_callback
from bot.slack.listeners.flow import current_view
from bot.slack.views.report import review_view
from bot.slack.views.text import escape
from conversations.casefile import casework
from conversations.casefile.readable import answer_rows
from conversations.dialogue import reports
from conversations.dialogue.screens import ReviewScreen
from tests.conftest import TEACHER
from tests.slack.dialogue import walk_to_review


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_help_is_private_and_names_the_words_people_use(slack, text):
    ack = slack.command(TEACHER, text)
    assert ack.status == 200
    assert "response_type" not in ack.json or ack.json["response_type"] == "ephemeral"
    for words in ("/ypsi report", "/ypsi status", "nudes", "sexting", "Report a YPSI concern"):
        assert words in ack.text
    assert slack.api.calls("views.open") == []


def test_unknown_words_get_short_help(slack):
    ack = slack.command(TEACHER, "delete everything")
    assert ack.text.startswith("I did not understand that.")


def test_status_lists_only_the_callers_reports(slack):
    assert "not sent any reports" in slack.command(TEACHER, "status").text
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.submit_view(TEACHER)
    assert "YPSI-2026-0001*: Sent to the DSL team" in slack.command(TEACHER, "status").text
    assert "not sent any reports" in slack.command("U0OTHERSTAF", "status").text


def test_status_and_home_speak_the_reporters_words_never_the_dsls_stage(slack):
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.submit_view(TEACHER)
    dsl = slack.ctx.academies.all()[0].dsl_users[0]
    casework.record_decision(slack.ctx, "YPSI-2026-0001", dsl, "acknowledged", {})
    referral = {"agency": "police", "agency_reference": "P-1", "reason": "Risk of harm"}
    casework.record_decision(slack.ctx, "YPSI-2026-0001", dsl, "referred", referral)
    status = slack.command(TEACHER, "status").text
    assert "YPSI-2026-0001*: With the DSL team" in status and "Referred" not in status
    slack.open_home(TEACHER)
    home = json.dumps(slack.api.homes[TEACHER])
    assert "With the DSL team" in home and "Referred" not in home


def test_the_shortcut_opens_the_report(slack):
    assert slack.shortcut(TEACHER).status == 200
    [opened] = slack.api.calls("views.open")
    assert opened.params["view"]["callback_id"] == step_callback("safety")


def test_every_view_respects_slack_limits_and_never_asks_for_a_file(sqlite_ctx):
    draft = reports.start(sqlite_ctx, "T0SCHOOLS00", "U0ROAMING0")
    views = []
    for step in sqlite_ctx.guidance.steps.values():
        if step.key == "review":
            continue
        views.append(current_view(sqlite_ctx, reports.DraftView(**{**vars(draft), "state": step.key})))
    views.append(_worst_review(sqlite_ctx.guidance, draft.id))
    keys = [f.key for s in sqlite_ctx.guidance.steps.values() for f in s.fields]
    assert len(keys) == len(set(keys))  # field keys are block ids: unique across steps
    for view in views:
        assert "file_input" not in json.dumps(view)
        assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
        assert view["private_metadata"] == draft.id
        for block in view["blocks"]:
            options = block.get("element", {}).get("options", [])
            if block.get("element", {}).get("type") in ("radio_buttons", "checkboxes"):
                assert len(options) <= 10
            assert all(len(o["text"]["text"]) <= 75 for o in options)
            assert len(block.get("text", {}).get("text", "")) <= 3000
    assert views[-1]["callback_id"] == CallbackId.REVIEW


def _worst_review(guidance, draft_id):
    """The review with every tick, every trigger and the longest typed text (all `&`, escaped x5)."""
    answers = {
        step.key: {
            f.key: list(f.options) if f.type == "multi" else "&" * f.max_length if f.type == "text" else "yes"
            for f in step.fields
        }
        for step in guidance.steps.values()
    }
    answers["young_people"].update(count=40, age_bands=["under_13"], ages=[4] * 40)
    answers["sharing"]["still_spreading"] = "yes"
    sections = answer_rows(guidance, answers, {})
    suggestion = guidance.classify(answers)
    assert len(suggestion.referral_points) == 7
    return review_view(ReviewScreen(draft_id, suggestion, sections))


def test_escape_defuses_mentions_and_links():
    assert (
        escape("<!channel> & <@U123> <http://x|y>")
        == "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;http://x|y&gt;"
    )
