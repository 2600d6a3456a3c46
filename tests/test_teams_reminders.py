"""Reminder buttons in Teams, end to end: a reminder falls due, the runner hands it to the Teams
courier, and its buttons (a message carrying the data, or a dialog) reach the same services as
Slack's, authorised and audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.teams.ids import ActionId, reminder_action
from conversations.casefile import cases, casework
from conversations.scheduling.runner import Runner
from conversations.storage.models import Case, Deletion
from tests.reminder_setup import move
from tests.teams.fixtures import DSL, DSL_CHANNEL, OTHER_DSL, TEACHER
from tests.teams.harness import actions_of, find_action, texts
from tests.test_teams_casework import (
    REFERENCE,
    acknowledge_button,
    audited,
    case_state,
    press_on_channel_card,
    reported,
)


def reminder_in_channel(teams) -> dict:
    """The unacknowledged re-alert, sent 15 minutes after the report by the runner."""
    reported(teams)
    teams.ctx.clock.advance(minutes=16)
    _run_reminders(teams)
    posts = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send" and s.cards]
    [reminder] = [p for p in posts if "Still waiting for a DSL" in texts(p.cards[0])]
    return reminder.cards[0]


def test_acknowledge_from_the_reminder_takes_the_case(teams):
    card = reminder_in_channel(teams)

    press_on_channel_card(teams, DSL, find_action(card, "Acknowledge")["data"])

    assert case_state(teams.ctx) == ("acknowledged", DSL.id)
    assert teams.connector.texts(DSL_CHANNEL)[-1].startswith("Acknowledged by")


def test_open_case_from_the_reminder_is_refused_to_another_academy(teams):
    card = reminder_in_channel(teams)
    data = _open_case_data(card)

    mine = teams.dialog_open(DSL, data)
    theirs = teams.dialog_open(OTHER_DSL, data)

    assert mine.title == f"Case {REFERENCE}"
    assert "not authorised" in texts(theirs.dialog)
    assert audited(teams.ctx, "access_refused") == [(OTHER_DSL.id, "access refused")]


def _never(message) -> None:
    raise AssertionError("with a sender, reminders go through the outbox")


def _open_case_data(card: dict) -> dict:
    """The reminder's Open case button (its title names the case)."""
    return next(a["data"] for a in actions_of(card) if "open_case" in str(a["data"].get("action", "")))


def test_a_deletion_check_sent_from_the_case_reaches_the_reporter_who_confirms(teams):
    reported(teams)
    press_on_channel_card(teams, DSL, acknowledge_button(teams))
    deletion_requested(teams.ctx)
    case = teams.dialog_open(DSL, _open_case_data_from_alert(teams))
    assert "Send deletion check" in [a.get("title") for a in actions_of(case.dialog)]

    sent = teams.press(DSL, "Send deletion check", {ActionId.DELETION_CHECK_TO: TEACHER.id})

    assert "Deletion check sent" in texts(sent.dialog)
    _run_reminders(teams)
    check = [s for s in teams.connector.to(TEACHER.chat) if s.cards and "Pupil 1" in str(s.cards)]
    assert check, "the deletion check reached the teacher's own chat"
    button = find_action(check[-1].cards[0], "Deletion confirmed for Pupil 1")
    teams.message(TEACHER, "", value=button["data"])
    assert teams.connector.texts(TEACHER.chat)[-1].startswith("Deletion confirmed by")
    assert [s for s in teams.connector.to(DSL_CHANNEL) if "Pupil" in str(s.body)] == []


def deletion_requested(ctx) -> None:
    """An acknowledged case referred, parents decided, and two deletions agreed with the agency."""
    values = {"agency": "social_care", "agency_reference": "FR-1", "reason": "Risk of harm"}
    casework.record_decision(ctx, REFERENCE, DSL.id, "referred", values)
    move(ctx, REFERENCE, "record_parents")
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == REFERENCE))
        for n in (1, 2):
            uow.session.add(Deletion(case_id=case.id, pseudonym=f"Pupil {n}", deadline=date(2026, 11, 30)))
        uow.session.flush()
        cases.fire(ctx, case, "request_deletion_agreed")
        uow.commit()


def _open_case_data_from_alert(teams) -> dict:
    alert = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"][0].cards[0]
    return find_action(alert, f"Open case {REFERENCE}")["data"]


def _run_reminders(teams) -> None:
    runner = Runner(teams.ctx, _never, sender=teams.courier)
    runner.maintain()
    runner.drain()
    teams.courier.drain()


def test_extend_deadline_asks_a_date_and_a_reason_in_a_dialog(teams):
    reported(teams)
    press_on_channel_card(teams, DSL, acknowledge_button(teams))
    deletion_requested(teams.ctx)
    extend = {"action": reminder_action("extend_deadline", REFERENCE), "value": REFERENCE, "case": REFERENCE}

    refused = teams.dialog_open(OTHER_DSL, extend)
    opened = teams.dialog_open(DSL, extend)
    wrong = teams.press(DSL, "Extend", {"deadline": "2026-11-01", "reason": ""})
    done = teams.press(DSL, "Extend", {"deadline": "2026-12-04", "reason": "Police still need the device"})

    assert "not authorised" in texts(refused.dialog)
    assert opened.title == "Extend deadline"
    assert "Choose a date after today." in texts(wrong.dialog) and "Give the reason" in texts(wrong.dialog)
    assert "Fri 04 Dec 2026" in texts(done.dialog) or "4 December" in texts(done.dialog)
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert {d.deadline for d in uow.session.scalars(select(Deletion))} == {date(2026, 12, 4)}
