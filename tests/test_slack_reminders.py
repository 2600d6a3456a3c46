"""Reminder buttons in Slack, end to end: the runner posts through the fake Web API, people press
the buttons in signed payloads over HTTP, and the services record the answers.

Times: the fake clock starts on Monday 23 November 2026 at 10:00 (London = UTC in November).
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.ids import ActionId, CallbackId, reminder_action
from bot.slack.ids import BlockId
from bot.slack.reminder_posts import slack_deliverer
from bot.slack.server import reminders_running
from bot.wording import CASE_REFUSED
from conversations.casefile import cases
from conversations.dialogue import reports, routing
from conversations.scheduling.reminder_messages import Button, ButtonAction, ReminderMessage
from conversations.scheduling.runner import Runner
from conversations.storage.models import AuditEvent, Case, Deletion, OutboxMessage
from tests.conftest import OAKFIELD, RIVERSIDE, ROAMING, TEACHER, TEAM, FakeClock, make_context
from tests.reminder_setup import DSL, URGENT, pending_due, report, request_deletion, rows
from tests.slack.fake_api import dm_channel
from tests.slack.fake_socket import FakeSocketMode
from tests.test_slack_serve import free_port, start_ypsi_run

CHANNEL = OAKFIELD.dsl_channel
CARD_TS = "1780000000.000001"
TEACHER_DM = dm_channel(TEACHER)
DSL_DM = dm_channel(DSL)
_triggers = itertools.count(1)


# --- helpers --------------------------------------------------------------------------------


def run_reminders(slack) -> int:
    """One runner pass, as the thread in `ypsi run` does, posting to the fake Slack."""
    return Runner(slack.ctx, slack_deliverer(slack.app.client)).drain()


def case_with_card(slack) -> str:
    """A reported case whose card is in the DSL channel (so card updates can be seen)."""
    ref = report(slack.ctx)
    routing.record_alert_posted(slack.ctx, ref, CHANNEL, CARD_TS)
    with slack.ctx.db.unit_of_work() as uow:  # the card (CARD_TS) and the receipt count as delivered
        uow.session.execute(update(OutboxMessage).values(state="delivered"))
        uow.commit()
    return ref


def deletion_case(slack, deadline: date = date(2026, 11, 27)) -> str:
    """Acknowledged by the DSL, deletion requested of Pupil 1 and Pupil 2 by `deadline`."""
    ref = case_with_card(slack)
    cases.acknowledge(slack.ctx, ref, DSL)
    request_deletion(slack.ctx, ref, deadline)
    with slack.ctx.db.unit_of_work() as uow:  # their card updates count as delivered: tests see their own
        uow.session.execute(update(OutboxMessage).values(state="delivered"))
        uow.commit()
    return ref


def messages(slack, channel: str) -> list[tuple[str, dict[str, Any]]]:
    """(ts, params) of each message posted to `channel`, as Slack would show them now."""
    found = []
    for n, call in enumerate(slack.api.calls(), start=1):
        if call.method == "chat.postMessage" and call.params["channel"] == channel:
            found.append((f"1790000000.{n:06d}", call.params))  # the fake's ts for call n
    return [(ts, latest(slack, channel, ts, params)) for ts, params in found]


def latest(slack, channel: str, ts: str, posted: dict[str, Any]) -> dict[str, Any]:
    updates = [
        c.params
        for c in slack.api.calls("chat.update")
        if c.params["channel"] == channel and c.params["ts"] == ts
    ]
    return updates[-1] if updates else posted


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def find(message: dict[str, Any], action: ButtonAction, label: str = "") -> dict[str, Any]:
    prefix = reminder_action(action, "")
    return next(
        b for b in buttons(message) if b["action_id"].startswith(prefix) and label in b["text"]["text"]
    )


def press(slack, user: str, channel: str, ts: str, message: dict[str, Any], button: dict[str, Any]):
    """Press a button on a message as Slack sends it (the message's blocks included)."""
    trigger = f"{next(_triggers)}.{user}.reminder"
    response = slack.interact(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0YPSIAPP0",
            "trigger_id": trigger,
            "container": {"type": "message", "channel_id": channel, "message_ts": ts, "is_ephemeral": False},
            "channel": {"id": channel},
            "message": {"ts": ts, "text": message["text"], "blocks": message["blocks"]},
            "response_url": slack.api.response_url(user),
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "value": button["value"],
                    "text": button["text"],
                    "action_ts": slack.action_ts(),
                }
            ],
        }
    )
    view_id = slack.api.view_by_trigger.get(trigger)
    if view_id:
        slack.current[user] = view_id
    return response


def text_of(message: dict[str, Any]) -> str:
    return str(message["blocks"])


def audit_actions(ctx, ref: str) -> list[str]:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        return list(
            uow.session.scalars(
                select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
            )
        )


def deletions(ctx, ref: str) -> list[Deletion]:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        found = list(
            uow.session.scalars(select(Deletion).where(Deletion.case_id == case.id).order_by(Deletion.id))
        )
        uow.session.expunge_all()
        return found


def state(ctx, ref: str) -> str:
    return routing.load_alert(ctx, ref).status


def card_updates(slack) -> list[dict[str, Any]]:
    return [c.params for c in slack.api.calls("chat.update") if c.params["ts"] == CARD_TS]


def send_check_from_case_modal(slack, ref: str, to: str | None = None) -> None:
    """The DSL opens the case with `/ypsi case REF`, leaves or changes who gets the deletion
    check, and presses "Send deletion check" (Slack sends the picker's state with the click)."""
    slack.command(DSL, f"case {ref}")
    [check] = [b for b in slack.view(DSL)["blocks"] if b.get("block_id") == BlockId.DELETION_CHECK]
    assert check["elements"][0]["initial_user"] == TEACHER  # the reporter follows it up by default
    chosen = to or TEACHER
    slack.interact(deletion_check_click(slack, ref, chosen))
    view = slack.view(DSL)
    assert "Deletion check sent" in str(view["blocks"][1])
    [check] = [b for b in view["blocks"] if b.get("block_id") == BlockId.DELETION_CHECK]
    assert check["elements"][0]["initial_user"] == chosen  # the case now names who follows it up


def deletion_check_click(slack, ref: str, to: str) -> dict[str, Any]:
    """The "Send deletion check" click in the DSL's open case modal, as Slack sends it."""
    picker = {"type": "users_select", "selected_user": to}
    state = {BlockId.DELETION_CHECK: {ActionId.DELETION_CHECK_TO: picker}}
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": DSL, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": f"{next(_triggers)}.{DSL}.check",
        "container": {"type": "view", "view_id": slack.current[DSL]},
        "view": {**slack.view(DSL), "id": slack.current[DSL], "state": {"values": state}},
        "actions": [
            {
                "type": "button",
                "action_id": ActionId.SEND_DELETION_CHECK,
                "value": ref,
                "action_ts": slack.action_ts(),
            }
        ],
    }


def test_deletion_check_confirmed_for_each_young_person(ctx, slack, clock):
    ref = deletion_case(slack)
    send_check_from_case_modal(slack, ref)
    assert run_reminders(slack) >= 1
    [(ts, check)] = messages(slack, TEACHER_DM)
    assert [b["text"]["text"] for b in buttons(check)] == [
        "Deletion confirmed for Pupil 1",
        "Deletion confirmed for Pupil 2",
        "Not yet",
    ]
    assert "Pupil" not in str(slack.api.posted(CHANNEL))  # pseudonyms only in the teacher's DM

    press(slack, TEACHER, TEACHER_DM, ts, check, find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 1"))
    [(_, check)] = messages(slack, TEACHER_DM)
    assert f"Deletion confirmed for Pupil 1 by <@{TEACHER}> at 10:00" in text_of(check)
    assert [b["text"]["text"] for b in buttons(check)] == ["Deletion confirmed for Pupil 2", "Not yet"]
    assert [d.status for d in deletions(ctx, ref)] == ["confirmed", "pending"]
    assert deletions(ctx, ref)[0].confirmed_by == TEACHER
    assert card_updates(slack) == []  # the case is still waiting: its status did not change

    clock.advance(minutes=5)
    press(slack, TEACHER, TEACHER_DM, ts, check, find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 2"))
    [(_, check)] = messages(slack, TEACHER_DM)
    assert f"Deletion confirmed for Pupil 2 by <@{TEACHER}> at 10:05" in text_of(check)
    assert buttons(check) == []
    assert state(ctx, ref) == "deletion_confirmed"
    assert "Deletion confirmed" in str(card_updates(slack)[-1]["blocks"])
    actions = audit_actions(ctx, ref)
    assert actions.count("deletion_confirmed_for") == 2 and "deletion_confirmed" in actions

    # Later deletion reminders are cancelled: days later, none about this case is posted.
    assert "pending" not in {r.state for r in rows(ctx, ref) if r.kind.startswith("deletion")}
    posted = len(slack.api.posted())
    clock.advance(days=7)
    run_reminders(slack)
    later = [p["text"] for p in slack.api.posted()[posted:] if ref in p["text"]]
    assert later and not [t for t in later if "eletion" in t]  # the referral follow-up still runs


def test_the_dsl_can_send_the_check_to_someone_else(ctx, slack):
    ref = deletion_case(slack)
    slack.command(DSL, f"case {ref}")
    calls = len(slack.api.calls())
    assert slack.click(DSL, ActionId.DELETION_CHECK_TO).status == 200  # picking someone: no effect yet
    assert len(slack.api.calls()) == calls
    send_check_from_case_modal(slack, ref, to="U0OAKTUTOR")
    run_reminders(slack)
    assert messages(slack, TEACHER_DM) == []
    [(ts, check)] = messages(slack, dm_channel("U0OAKTUTOR"))
    press(slack, TEACHER, dm_channel("U0OAKTUTOR"), ts, check, find(check, ButtonAction.NOT_YET))
    assert slack.api.calls("response_url")[-1].params["text"] == CASE_REFUSED  # no longer theirs
    press(slack, "U0OAKTUTOR", dm_channel("U0OAKTUTOR"), ts, check, find(check, ButtonAction.NOT_YET))
    assert audit_actions(ctx, ref)[-1] == "deletion_not_yet"
    assert {d.follow_up_user for d in deletions(ctx, ref)} == {"U0OAKTUTOR"}


def test_not_yet_is_recorded_and_replaces_the_buttons(ctx, slack):
    ref = deletion_case(slack)
    send_check_from_case_modal(slack, ref)
    run_reminders(slack)
    [(ts, check)] = messages(slack, TEACHER_DM)
    press(slack, TEACHER, TEACHER_DM, ts, check, find(check, ButtonAction.NOT_YET))
    [(_, check)] = messages(slack, TEACHER_DM)
    assert f"Not yet by <@{TEACHER}> at 10:00" in text_of(check)
    assert buttons(check) == []
    assert audit_actions(ctx, ref)[-1] == "deletion_not_yet"
    assert [d.status for d in deletions(ctx, ref)] == ["pending", "pending"]


def test_someone_else_cannot_answer_a_deletion_check(ctx, slack):
    ref = deletion_case(slack)
    send_check_from_case_modal(slack, ref)
    run_reminders(slack)
    [(ts, check)] = messages(slack, TEACHER_DM)
    refused_before = audit_actions(ctx, ref).count("access_refused")
    for user in (ROAMING, RIVERSIDE.dsl_users[0]):
        press(slack, user, TEACHER_DM, ts, check, find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 1"))
        press(slack, user, TEACHER_DM, ts, check, find(check, ButtonAction.NOT_YET))
    ephemerals = slack.api.calls("response_url")
    assert [(c.params["response_url_for"], c.params["text"]) for c in ephemerals] == [
        (ROAMING, CASE_REFUSED),
        (ROAMING, CASE_REFUSED),
        (RIVERSIDE.dsl_users[0], CASE_REFUSED),
        (RIVERSIDE.dsl_users[0], CASE_REFUSED),
    ]
    assert [d.status for d in deletions(ctx, ref)] == ["pending", "pending"]
    assert slack.api.calls("chat.update") == []
    actions = audit_actions(ctx, ref)
    assert actions.count("access_refused") == refused_before + 4
    assert "deletion_confirmed_for" not in actions and "deletion_not_yet" not in actions


# --- the DSL's deadline reminders -----------------------------------------------------------


def deadline_reminder(slack, clock) -> tuple[str, str, dict[str, Any]]:
    """A deletion due today (Monday): the owner's reminder in their DM."""
    ref = deletion_case(slack, deadline=date(2026, 11, 23))
    run_reminders(slack)
    [(ts, due)] = [(t, m) for t, m in messages(slack, DSL_DM) if "Deletion deadline today" in m["text"]]
    return ref, ts, due


def test_extend_deadline_modal_checks_the_date_and_the_reason(ctx, slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    clock.advance(days=1)  # Tuesday: the overdue reminder is sent and the case marked overdue
    run_reminders(slack)
    assert state(ctx, ref) == "deletion_overdue"
    press(slack, DSL, DSL_DM, ts, due, find(due, ButtonAction.EXTEND_DEADLINE))
    modal = slack.view(DSL)
    assert modal["callback_id"] == CallbackId.EXTEND_DEADLINE
    assert [b["element"]["type"] for b in modal["blocks"] if b["type"] == "input"] == [
        "datepicker",
        "plain_text_input",
    ]

    past = slack.submit_view(DSL, {"deadline": "2026-11-20", "reason": "  "})
    assert past.json["response_action"] == "errors"
    assert set(past.json["errors"]) == {"deadline", "reason"}
    none = slack.submit_view(DSL, {"deadline": None, "reason": "Parents asked for the weekend"})
    assert set(none.json["errors"]) == {"deadline"}
    far = slack.submit_view(DSL, {"deadline": "2027-01-24", "reason": "Parents asked for the weekend"})
    assert far.json["errors"] == {"deadline": "Choose a date by 23 January 2027."}  # 60 days, as the form
    assert [d.deadline for d in deletions(ctx, ref)] == [date(2026, 11, 23)] * 2

    done = slack.submit_view(DSL, {"deadline": "2026-11-30", "reason": "Parents asked for the weekend"})
    assert done.json["response_action"] == "update"
    assert "Deadline extended to Mon 30 Nov 2026" in str(done.json["view"]["blocks"])
    assert [d.deadline for d in deletions(ctx, ref)] == [date(2026, 11, 30)] * 2
    assert state(ctx, ref) == "deletion_requested"
    [(_, due)] = [(t, m) for t, m in messages(slack, DSL_DM) if t == ts]
    assert f"Deadline extended to Mon 30 Nov 2026 by <@{DSL}> at 10:00" in text_of(due)
    assert buttons(due) == []
    assert "Deletion requested" in str(card_updates(slack)[-1]["blocks"])  # overdue no more
    assert audit_actions(ctx, ref)[-1] == "deletion_deadline_extended"
    assert "deletion_due" in pending_due(ctx, ref)  # reminded again on the new deadline


def test_extend_deadline_is_for_the_case_s_dsls_only(ctx, slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    press(slack, TEACHER, DSL_DM, ts, due, find(due, ButtonAction.EXTEND_DEADLINE))
    assert slack.api.calls("views.open") == []
    assert slack.api.calls("response_url")[-1].params["text"] == CASE_REFUSED
    assert audit_actions(ctx, ref)[-1] == "access_refused"


def test_snooze_moves_the_reminder_to_the_next_school_day(ctx, slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    press(slack, DSL, DSL_DM, ts, due, find(due, ButtonAction.SNOOZE))
    [(_, due)] = [(t, m) for t, m in messages(slack, DSL_DM) if t == ts]
    assert f"Snoozed until Tue 24 Nov 10:00 by <@{DSL}> at 10:00" in text_of(due)
    assert buttons(due) == []
    snoozed = [r for r in rows(ctx, ref) if r.details.get("snoozed_from")]
    assert [(r.kind, r.state, r.due_at.astimezone(UTC)) for r in snoozed] == [
        ("deletion_due", "pending", datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    ]
    assert audit_actions(ctx, ref)[-1] == "reminder_snoozed"
    clock.advance(hours=23, minutes=59)
    run_reminders(slack)  # Tuesday 09:59: the overdue reminder (08:30), not the snoozed one yet
    assert len(due_today(slack)) == 1
    clock.advance(minutes=1)
    run_reminders(slack)  # by then the deadline has passed: the overdue reminder stands for it
    assert len(due_today(slack)) == 1
    assert [r.state for r in rows(ctx, ref) if r.details.get("snoozed_from")] == ["cancelled"]


def due_today(slack) -> list[dict[str, Any]]:
    return [m for _, m in messages(slack, DSL_DM) if m["text"].startswith("Deletion deadline today")]


def test_another_academy_s_dsl_cannot_snooze(ctx, slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    press(slack, RIVERSIDE.dsl_users[0], DSL_DM, ts, due, find(due, ButtonAction.SNOOZE))
    assert slack.api.calls("response_url")[-1].params["text"] == CASE_REFUSED
    assert not [r for r in rows(ctx, ref) if r.details.get("snoozed_from")]
    assert audit_actions(ctx, ref)[-1] == "access_refused"


def test_confirm_deletion_opens_the_per_person_decision(slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    press(slack, DSL, DSL_DM, ts, due, find(due, ButtonAction.CONFIRM_DELETION))
    form = slack.view(DSL)
    assert form["callback_id"] == CallbackId.DECISION and "deletion_confirmed" in form["private_metadata"]
    ack = slack.submit_view(DSL, {"deletions": [str(d.id) for d in deletions(slack.ctx, ref)]})
    assert ack.json["response_action"] == "update"
    assert state(slack.ctx, ref) == "deletion_confirmed"
    assert "Deletion confirmed" in str(card_updates(slack)[-1]["blocks"])


# --- acknowledging, opening, resuming ---------------------------------------------------------


def test_acknowledge_from_the_re_alert(ctx, slack, clock):
    ref = case_with_card(slack)
    clock.advance(minutes=15)
    run_reminders(slack)
    [(ts, realert)] = messages(slack, CHANNEL)
    press(slack, DSL, CHANNEL, ts, realert, find(realert, ButtonAction.ACKNOWLEDGE))
    [(_, answered)] = messages(slack, CHANNEL)
    assert f"Acknowledged by <@{DSL}> at 10:15" in text_of(answered) and buttons(answered) == []
    assert state(ctx, ref) == "acknowledged"
    assert f"<@{DSL}>" in str(card_updates(slack)[-1]["blocks"])  # the card shows the owner
    assert "A DSL has picked up your report" in str(slack.api.posted(TEACHER_DM))
    # A copy elsewhere (or a click before the update arrived) still opens the case.
    press(slack, OAKFIELD.deputy_users[0], CHANNEL, ts, realert, find(realert, ButtonAction.OPEN_CASE))
    assert slack.view(OAKFIELD.deputy_users[0])["callback_id"] == CallbackId.CASE


def test_a_second_acknowledge_says_it_is_taken(slack, clock):
    ref = case_with_card(slack)
    clock.advance(minutes=15)
    run_reminders(slack)
    [(ts, realert)] = messages(slack, CHANNEL)
    cases.acknowledge(slack.ctx, ref, OAKFIELD.deputy_users[0])
    press(slack, DSL, CHANNEL, ts, realert, find(realert, ButtonAction.ACKNOWLEDGE))
    assert "already been picked up" in slack.api.calls("response_url")[-1].params["text"]


def test_resume_report_opens_the_teacher_s_own_draft(slack, clock):
    draft = reports.start(slack.ctx, TEAM, TEACHER)
    reports.answer(slack.ctx, draft.id, TEACHER, {"understood": "yes"})
    clock.advance(minutes=30)
    run_reminders(slack)
    [(ts, nudge)] = messages(slack, TEACHER_DM)
    press(slack, TEACHER, TEACHER_DM, ts, nudge, find(nudge, ButtonAction.RESUME_REPORT))
    assert slack.view(TEACHER)["callback_id"] == CallbackId.RESUME


def test_unknown_or_malformed_reminder_buttons_do_nothing(slack, clock):
    ref, ts, due = deadline_reminder(slack, clock)
    bogus = {
        "action_id": reminder_action("snooze", "x1"),
        "value": "x1",
        "text": {"type": "plain_text", "text": "?"},
    }
    assert press(slack, DSL, DSL_DM, ts, due, bogus).status == 200
    assert slack.api.calls("response_url")[-1].params["text"] == CASE_REFUSED
    unknown = {**bogus, "action_id": reminder_action("nothing", "1"), "value": "1"}
    assert press(slack, DSL, DSL_DM, ts, due, unknown).status == 200
    assert slack.api.calls("chat.update") == []


# --- what goes to a channel -------------------------------------------------------------------


def test_a_channel_copy_never_carries_a_pseudonym(slack_api):
    from slack_sdk import WebClient

    message = ReminderMessage(
        reminder_id=1,
        kind="deletion_follow_up",
        academy_key="oakfield",
        reference="YPSI-2026-0001",
        channel=CHANNEL,
        users=(TEACHER,),
        title="Deletion check for case YPSI-2026-0001",
        text="Answer for each.",
        lines=(),
        buttons=(Button(ButtonAction.DELETION_CONFIRMED_FOR, "Deletion confirmed for Pupil ZQ", "7"),),
        urgent=False,
    )
    slack_deliverer(WebClient(token="xoxb-test", base_url=slack_api.url))(message)
    [in_channel] = slack_api.posted(CHANNEL)
    assert "Pupil ZQ" not in str(in_channel) and "actions" not in str(in_channel["blocks"])
    [in_dm] = slack_api.posted(TEACHER_DM)
    assert "Pupil ZQ" in str(in_dm["blocks"])


# --- the runner inside `ypsi run` -------------------------------------------------------------


def wait_for(condition, seconds: float = 30.0) -> None:
    """Bounded polling for work another thread does."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_bot_s_runner_thread_sends_what_is_due_and_stops(ctx, slack, clock):
    ref = case_with_card(slack)
    clock.advance(minutes=15)
    with reminders_running(ctx, slack.app.client, interval=0.05) as thread:
        wait_for(lambda: any(ref in p["text"] for p in slack.api.posted(CHANNEL)))
    assert not thread.is_alive()
    assert [r.state for r in rows(ctx, ref) if r.kind == "unacknowledged"] == ["sent"]


@pytest.mark.parametrize("mode", ["http", "socket_mode"])
def test_ypsi_run_sends_due_reminders_and_stops_cleanly_on_sigterm(tmp_path, slack_api, academies, mode):
    # An urgent case reported two days ago and never acknowledged: its re-alert is long due
    # (urgent re-alerts keep no quiet hours, so this holds whatever day the test runs).
    earlier = FakeClock(datetime.now(UTC) - timedelta(days=2))
    ctx = make_context(f"sqlite:///{tmp_path / 'ypsi.db'}", academies, earlier)
    ref = report(ctx, URGENT)
    ctx.db.engine.dispose()
    socket_mode = FakeSocketMode()
    slack_api.socket_mode_url = socket_mode.url
    settings = {"PORT": str(free_port())} if mode == "http" else {"SLACK_APP_TOKEN": "xapp-1"}
    process = start_ypsi_run(tmp_path, slack_api, **settings)
    try:
        wait_for(  # the re-alert, and the card its reporting process never delivered
            lambda: (
                process.poll() is not None or sum(ref in p["text"] for p in slack_api.posted(CHANNEL)) >= 2
            ),
            seconds=90,
        )
        assert process.poll() is None, "ypsi run stopped"
        if mode == "socket_mode":
            assert socket_mode.connected.wait(timeout=60)
    finally:
        process.terminate()  # SIGTERM, as a service manager stops it
        code = process.wait(timeout=60)
        socket_mode.close()
    assert code == 0
    # The re-alert once, the repeated urgent re-alerts (one each, whatever the downtime), and the
    # card its reporting process never delivered (an outbox row), once.
    posted = [p["text"] for p in slack_api.posted(CHANNEL) if ref in p["text"]]
    kinds = ("Still waiting for a DSL", "URGENT YPSI concern", "URGENT and still no DSL")
    assert all(t.startswith(kinds) for t in posted), posted
    assert [sum(t.startswith(k) for t in posted) for k in kinds[:2]] == [1, 1], posted
