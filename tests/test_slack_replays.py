"""Replayed interactions change nothing: the same signed body sent again (re-signed with a new
timestamp, as a retry or a replay would be) returns the first outcome, records nothing twice
and sends nothing twice. A new submission of a repeatable decision (a note) is recorded again.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId, decide_action
from bot.slack.views.case import decision_view
from bot.wording import ALREADY_ACKNOWLEDGED
from conversations.casefile import casework
from conversations.protection import retention
from conversations.storage.models import AuditEvent, Case, ProcessedDelivery
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.reminder_setup import DSL, report
from tests.slack.fake_api import dm_channel
from tests.slack.harness import state_values
from tests.slack.served import interaction, modal_submission, send_all, served
from tests.test_slack_reminders import (
    case_with_card,
    deletion_case,
    deletion_check_click,
    messages,
    run_reminders,
)

FORM = "application/x-www-form-urlencoded"
CHANNEL = OAKFIELD.dsl_channel
DEPUTY = OAKFIELD.deputy_users[0]
PICKED_UP = "A DSL has picked up your report"
COPIES = 6


def body_of(payload) -> str:
    return urlencode({"payload": json.dumps(payload)})


def replay(slack, body: str, seconds: int = 1):
    """The same body again, signed with a later timestamp."""
    return slack.send(body, FORM, timestamp=int(time.time()) + seconds)


def audited(ctx, ref: str, action: str) -> int:
    with ctx.db.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .join(Case, AuditEvent.case_id == Case.id)
            .where(Case.reference == ref, AuditEvent.action == action)
        )


def notes(ctx, ref: str) -> list[str]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        return [e["values"]["note"] for e in case.decisions.get("note", [])]


def note_form(slack, ref: str) -> None:
    slack.command(DSL, f"case {ref}")
    slack.click(DSL, decide_action("note"), ref)
    assert slack.view(DSL)["callback_id"] == CallbackId.DECISION


def test_a_replayed_decision_submission_records_once(ctx, slack):
    ref = case_with_card(slack)
    note_form(slack, ref)
    body = body_of(slack.submission(DSL, {"note": "Spoke to both pupils."}))
    said = "Recorded: Add a note. Status now: New: waiting for a DSL."
    first = slack.send(body, FORM)
    assert said in str(first.json["view"])
    calls = len(slack.api.calls())
    opened = audited(ctx, ref, "case_opened")

    for n in range(1, 4):
        again = replay(slack, body, seconds=n)
        assert again.status == 200
        assert again.json["response_action"] == "update"
        assert said in str(again.json["view"])  # the same words as the first time

    assert notes(ctx, ref) == ["Spoke to both pupils."]
    assert audited(ctx, ref, "note") == 1
    assert audited(ctx, ref, "case_opened") == opened  # a replay does not even reopen the case
    assert len(slack.api.calls()) == calls  # and sends nothing to Slack


def test_a_new_submission_of_a_note_is_recorded_again(ctx, slack):
    ref = case_with_card(slack)
    for text in ("First note.", "First note."):  # the same words, typed into a new form
        note_form(slack, ref)
        slack.submit_view(DSL, {"note": text})
    assert notes(ctx, ref) == ["First note.", "First note."]
    assert audited(ctx, ref, "note") == 2


def test_a_submission_corrected_after_errors_is_recorded(ctx, slack):
    ref = case_with_card(slack)
    note_form(slack, ref)
    refused = slack.submit_view(DSL, {"note": "x" * 3001})  # too long: errors, nothing stored
    assert refused.json["response_action"] == "errors"
    slack.submit_view(DSL, {"note": "Shorter."})  # the same modal (same id and hash), corrected
    assert notes(ctx, ref) == ["Shorter."]


def test_a_replayed_acknowledge_tells_the_reporter_once(ctx, slack):
    ref = case_with_card(slack)
    click = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": DSL, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": f"1.{DSL}.trigger",
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1780000000.000001"},
        "channel": {"id": CHANNEL},
        "message": {"ts": "1780000000.000001"},
        "actions": [
            {
                "type": "button",
                "action_id": ActionId.ACKNOWLEDGE,
                "value": ref,
                "action_ts": slack.action_ts(),
            }
        ],
    }
    body = body_of(click)
    slack.send(body, FORM)
    calls = len(slack.api.calls())
    replay(slack, body)
    replay(slack, body, seconds=2)
    assert len(slack.api.calls()) == calls  # no second card update, DM or "already acknowledged"
    told = [p for p in slack.api.posted(dm_channel(TEACHER)) if PICKED_UP in p.get("text", "")]
    assert len(told) == 1
    assert audited(ctx, ref, "acknowledged") == 1
    # A new press (a new action_ts) is a new request: it is told the case is taken.
    slack.click_message(DEPUTY, CHANNEL, "1780000000.000001", ActionId.ACKNOWLEDGE, ref)
    assert slack.api.calls("response_url")[-1].params["text"] == ALREADY_ACKNOWLEDGED


def check_click(slack, ref: str) -> dict:
    """The case modal's "Send deletion check", to the reporter."""
    slack.command(DSL, f"case {ref}")
    return deletion_check_click(slack, ref, TEACHER)


def test_a_replayed_send_deletion_check_sends_one_dm(ctx, slack):
    ref = deletion_case(slack)
    body = body_of(check_click(slack, ref))
    slack.send(body, FORM)
    assert "Deletion check sent" in str(slack.view(DSL)["blocks"][1])
    calls = len(slack.api.calls())
    for n in range(1, 4):
        assert replay(slack, body, seconds=n).status == 200
    assert len(slack.api.calls()) == calls
    run_reminders(slack)
    assert len(messages(slack, dm_channel(TEACHER))) == 1  # one deletion check in the teacher's DM
    assert audited(ctx, ref, "deletion_check_requested") == 1


def test_the_same_submission_at_once_to_two_processes_records_once(ctx, slack_api, tmp_path):
    ref = report(ctx)
    form = decision_view(casework.decision_form(ctx, ref, DSL, "note"))
    payload = modal_submission(DSL, form, state_values(form, {"note": "Once."}), "VNOTEONCE1")
    with served(ctx, slack_api, 2, tmp_path) as urls:
        answers = send_all([interaction(urls[n % 2], payload) for n in range(COPIES)])
    assert {a.json["response_action"] for a in answers} == {"update"}
    assert notes(ctx, ref) == ["Once."]
    assert audited(ctx, ref, "note") == 1


def test_interaction_keys_are_purged_with_event_ids(ctx, slack, clock):
    ref = case_with_card(slack)
    note_form(slack, ref)
    body = body_of(slack.submission(DSL, {"note": "Kept a week."}))
    slack.send(body, FORM)
    with ctx.db.unit_of_work(read_only=True) as uow:
        [key] = uow.session.scalars(select(ProcessedDelivery.key)).all()
    assert key.startswith("view:")
    clock.advance(days=8)
    retention.purge(ctx, retention.load_retention(), dry_run=False)
    with ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalars(select(ProcessedDelivery.key)).all() == []
