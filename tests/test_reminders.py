"""Reminders fire at the right school-time moment, stop when the step is recorded, and survive restarts.

Each test runs on a real SQLite file and a real PostgreSQL schema (the `ctx` fixture).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conversations.academies import Academies
from conversations.casefile import cases, casework
from conversations.dialogue import reports
from conversations.errors import ConfigError, InvalidAnswer, NotAuthorised
from conversations.protection import audit
from conversations.scheduling import reminder_actions, reminders
from conversations.scheduling import runner as runner_module
from conversations.scheduling.reminder_messages import ButtonAction
from conversations.scheduling.runner import Runner, start_runner_thread
from conversations.storage.models import AuditEvent, Case, Deletion
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, RIVERSIDE, ROAMING, TEACHER, TEAM, make_context
from tests.reminder_setup import (
    DSL,
    URGENT,
    Outbox,
    london,
    move,
    pending_due,
    report,
    request_deletion,
    rows,
    runner,
)


def refer(ctx, ref: str) -> None:
    """Record a referral as the DSL does (the written follow-up rules read the history)."""
    values = {"agency": "social_care", "agency_reference": "FR-1", "reason": "Risk of harm"}
    casework.record_decision(ctx, ref, DSL, "referred", values)


class Crash(BaseException):
    """The process dies (after the message was posted, before it was marked sent)."""


def test_unacknowledged_case_realerts_the_channel_then_the_deputies(ctx, clock):
    ref = report(ctx)
    run, outbox = runner(ctx)
    clock.advance(minutes=14)
    assert run.drain() == 0
    clock.advance(minutes=1)
    run.drain()
    [realert] = outbox.take()
    assert (realert.kind, realert.channel, realert.users) == ("unacknowledged", OAKFIELD.dsl_channel, ())
    assert realert.reference == ref and ref in realert.title
    assert [b.action for b in realert.buttons] == [ButtonAction.ACKNOWLEDGE, ButtonAction.OPEN_CASE]
    clock.advance(minutes=45)
    run.drain()
    [deputies] = outbox.take()
    assert (deputies.kind, deputies.channel, deputies.users) == (
        "unacknowledged_deputies",
        None,
        OAKFIELD.deputy_users,
    )


def test_acknowledging_cancels_the_escalation(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    assert "unacknowledged" not in pending_due(ctx, ref)
    assert pending_due(ctx, ref) == {"parents_pending": clock.now + timedelta(hours=24)}
    clock.advance(hours=2)
    run, outbox = runner(ctx)
    run.drain()
    assert outbox.sent == []


def test_friday_evening_escalation_waits_for_monday_morning_unless_urgent(ctx, clock):
    clock.now = london(2026, 11, 27, 17, 30)
    calm = report(ctx)
    assert pending_due(ctx, calm) == {
        "unacknowledged": london(2026, 11, 27, 17, 45),
        "unacknowledged_deputies": london(2026, 11, 30, 8, 30),
    }
    clock.now = london(2026, 11, 27, 20, 0)
    urgent = report(ctx, URGENT)
    assert pending_due(ctx, urgent) == {
        "unacknowledged": london(2026, 11, 27, 20, 5),
        "unacknowledged_repeat": london(2026, 11, 27, 20, 20),
        "unacknowledged_principal": london(2026, 11, 27, 20, 30),
        "unacknowledged_deputies": london(2026, 11, 27, 21, 0),
    }
    clock.now = london(2026, 11, 27, 21, 0)
    run, outbox = runner(ctx)
    run.drain()
    assert [(m.reference, m.kind) for m in outbox.sent] == [
        (calm, "unacknowledged"),
        (urgent, "unacknowledged"),
        (urgent, "unacknowledged_repeat"),
        (urgent, "unacknowledged_principal"),
        (urgent, "unacknowledged_deputies"),
    ]
    assert outbox.sent[1].urgent


def test_parents_decision_due_friday_evening_comes_monday_morning(ctx, clock):
    ref = report(ctx)
    clock.now = london(2026, 11, 26, 19, 0)  # acknowledged on Thursday evening
    cases.acknowledge(ctx, ref, DSL)
    assert pending_due(ctx, ref) == {"parents_pending": london(2026, 11, 30, 8, 30)}
    move(ctx, ref, "record_review")  # a later change keeps the anchor
    assert pending_due(ctx, ref) == {"parents_pending": london(2026, 11, 30, 8, 30)}
    clock.now = london(2026, 11, 30, 8, 30)
    run, outbox = runner(ctx)
    run.drain()
    [sent] = outbox.sent
    assert (sent.kind, sent.users, sent.channel) == ("parents_pending", (DSL,), None)


def test_referral_follow_up_reminds_at_36_hours_and_is_overdue_at_48(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    refer(ctx, ref)  # Monday 10:00
    due = pending_due(ctx, ref)
    assert due["referral_reminder"] == london(2026, 11, 25, 8, 30)  # 36 h = Tue 22:00, quiet
    assert due["referral_overdue"] == london(2026, 11, 25, 10, 0)
    move(ctx, ref, "record_parents")
    assert {"referral_reminder", "referral_overdue"} <= set(pending_due(ctx, ref))
    casework.record_decision(ctx, ref, DSL, "referral_follow_up", {"form": "marf"})
    assert not {"referral_reminder", "referral_overdue"} & set(pending_due(ctx, ref))


def test_due_soon_and_overdue_falling_due_together_after_a_weekend_arrive_as_one(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    clock.now = london(2026, 11, 27, 10, 0)  # Friday: 36 h is Saturday night, 48 h Sunday morning
    refer(ctx, ref)
    due = pending_due(ctx, ref)
    assert due["referral_reminder"] == due["referral_overdue"] == london(2026, 11, 30, 8, 30)
    run, outbox = runner(ctx)
    clock.now = london(2026, 11, 30, 8, 30)
    run.drain()
    assert [k for k in outbox.kinds() if k.startswith("referral")] == ["referral_overdue"]
    merged = [r for r in rows(ctx, ref) if r.kind == "referral_reminder"]
    assert [r.state for r in merged] == ["cancelled"]


def test_a_deletion_reminder_counts_the_young_people_when_it_is_sent(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 27))
    first, _ = _deletions(ctx, ref)
    reminder_actions.confirm_deletion_for(ctx, first, DSL)
    run, outbox = runner(ctx)
    clock.now = london(2026, 11, 27, 8, 30)
    run.drain()
    [today] = _deletion_messages(outbox)
    assert "for 1 young people" in today.text


def test_a_second_referral_after_reopening_starts_a_new_48_hours(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    refer(ctx, ref)  # Monday 10:00
    run, outbox = runner(ctx)
    clock.now = london(2026, 11, 25, 10, 0)
    run.drain()
    assert "referral_overdue" in outbox.kinds()  # the "due soon" fell due with it: merged
    casework.record_decision(ctx, ref, DSL, "referral_follow_up", {"form": "marf"})
    move(ctx, ref, "record_parents", "waive_deletion")
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        case.facts = sorted(
            {*case.facts, "principal_informed", "initial_review_held", "referral_decided"}
            | {"parents_decided", "deletion_resolved"}
        )
        uow.commit()
    move(ctx, ref, "close", "reopen")
    clock.now = london(2026, 11, 30, 10, 0)  # Monday: referred again
    refer(ctx, ref)
    due = pending_due(ctx, ref)
    assert due["referral_reminder"] == london(2026, 12, 2, 8, 30)
    assert due["referral_overdue"] == london(2026, 12, 2, 10, 0)


def test_deletion_deadline_morning_then_overdue_each_school_day_skipping_christmas(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    clock.now = london(2026, 12, 21, 11, 0)
    request_deletion(ctx, ref, date(2026, 12, 24))
    due = pending_due(ctx, ref)
    assert due["deletion_due"] == london(2026, 12, 24, 8, 30)
    assert due["deletion_overdue"] == london(2026, 12, 29, 8, 30)  # 25th and 28th are bank holidays
    run, outbox = runner(ctx)
    clock.now = london(2026, 12, 24, 8, 30)
    run.drain()
    [today] = _deletion_messages(outbox)
    assert today.kind == "deletion_due" and "2026-12-24" in today.text and "2 young people" in today.text
    assert [b.action for b in today.buttons] == [
        ButtonAction.CONFIRM_DELETION,
        ButtonAction.EXTEND_DEADLINE,
        ButtonAction.SNOOZE,
    ]
    assert [b.needs_reason for b in today.buttons] == [False, True, False]
    clock.now = london(2026, 12, 29, 8, 30)
    run.drain()
    [overdue] = _deletion_messages(outbox)
    assert overdue.kind == "deletion_overdue" and overdue.channel == OAKFIELD.dsl_channel
    assert "Pupil" not in overdue.title + overdue.text
    assert _state(ctx, ref) == "deletion_overdue"
    assert pending_due(ctx, ref)["deletion_overdue"] == london(2026, 12, 30, 8, 30)
    clock.now = london(2026, 12, 30, 8, 30)
    run.drain()
    assert [m.kind for m in _deletion_messages(outbox)] == ["deletion_overdue"]


def test_confirming_every_deletion_stops_the_reminders_and_is_audited(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 27))
    first, second = _deletions(ctx, ref)
    progress = reminder_actions.confirm_deletion_for(ctx, first, DSL)
    assert (progress.pending, progress.all_confirmed) == (1, False)
    assert "deletion_due" in pending_due(ctx, ref)
    progress = reminder_actions.confirm_deletion_for(ctx, second, DSL)
    assert progress.all_confirmed and _state(ctx, ref) == "deletion_confirmed"
    assert not {"deletion_due", "deletion_overdue"} & set(pending_due(ctx, ref))
    assert {"deletion_confirmed_for", "deletion_confirmed"} <= _actions(ctx, ref)


def test_dsl_sends_the_deletion_check_to_the_reporter_who_answers(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 27))
    check = reminder_actions.request_deletion_check(ctx, ref, DSL)
    run, outbox = runner(ctx)
    run.drain()
    [message] = outbox.sent
    assert (message.kind, message.users, message.channel) == ("deletion_follow_up", (TEACHER,), None)
    labels = [b.label for b in message.buttons]
    assert labels == ["Deletion confirmed for Pupil 1", "Deletion confirmed for Pupil 2", "Not yet"]
    reminder_actions.deletion_not_yet(ctx, check.id, TEACHER)
    for button in message.buttons[:2]:
        reminder_actions.confirm_deletion_for(ctx, int(button.value), TEACHER)
    assert _state(ctx, ref) == "deletion_confirmed"
    assert {"deletion_check_requested", "deletion_not_yet", "deletion_confirmed"} <= _actions(ctx, ref)


def test_extend_needs_a_reason_and_moves_the_reminders(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 24))
    with pytest.raises(InvalidAnswer) as refused:
        reminder_actions.extend_deadline(ctx, ref, DSL, date(2026, 12, 1), " ")
    assert "reason" in refused.value.errors
    reminder_actions.extend_deadline(ctx, ref, DSL, date(2026, 12, 1), "pupil absent")
    due = pending_due(ctx, ref)
    assert due["deletion_due"] == london(2026, 12, 1, 8, 30)
    assert due["deletion_overdue"] == london(2026, 12, 2, 8, 30)
    assert "deletion_deadline_extended" in _actions(ctx, ref)


def test_snooze_one_school_day(ctx, clock):
    ref = report(ctx)
    clock.now = london(2026, 11, 26, 19, 0)
    cases.acknowledge(ctx, ref, DSL)
    clock.now = london(2026, 11, 30, 9, 0)
    run, outbox = runner(ctx)
    run.drain()
    [sent] = outbox.take()
    snoozed = reminder_actions.snooze(ctx, sent.reminder_id, DSL)
    assert snoozed.due_at == london(2026, 12, 1, 9, 0)
    assert reminder_actions.snooze(ctx, sent.reminder_id, DSL).id == snoozed.id  # a second press
    clock.now = london(2026, 12, 1, 9, 0)
    run.drain()
    assert outbox.kinds() == ["parents_pending"]


def test_a_dsl_of_another_academy_cannot_press_the_buttons(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 27))
    with pytest.raises(NotAuthorised):
        reminder_actions.confirm_deletion_for(ctx, _deletions(ctx, ref)[0], RIVERSIDE.dsl_users[0])
    with pytest.raises(NotAuthorised):
        reminder_actions.request_deletion_check(ctx, ref, RIVERSIDE.dsl_users[0])
    assert "access_refused" in _actions(ctx, ref) or "reminder action refused" in _reasons(ctx, ref)
    assert _state(ctx, ref) == "deletion_requested"


def test_abandoned_draft_nudges_the_teacher_then_tells_the_dsls(ctx, clock):
    draft = reports.start(ctx, TEAM, TEACHER)
    clock.advance(minutes=20)
    reports.answer(ctx, draft.id, TEACHER, CASE_A["safety"])  # activity moves the nudge
    run, outbox = runner(ctx)
    clock.advance(minutes=29)
    assert run.drain() == 0
    clock.advance(minutes=1)
    run.drain()
    [nudge] = outbox.take()
    assert (nudge.kind, nudge.users, nudge.channel) == ("draft_nudge", (TEACHER,), None)
    assert nudge.buttons[0].action == ButtonAction.RESUME_REPORT and nudge.buttons[0].value == draft.id
    clock.advance(minutes=90)
    run.drain()
    [told] = outbox.take()
    assert (told.kind, told.channel, told.users) == ("draft_dsl", OAKFIELD.dsl_channel, ())
    assert TEACHER in told.text and "Oakfield" in told.title


def test_a_draft_whose_academy_is_chosen_tells_that_academys_dsls_2_hours_after_the_last_step(ctx, clock):
    draft = reports.start(ctx, TEAM, ROAMING)
    clock.advance(minutes=10)
    reports.answer(ctx, draft.id, ROAMING, CASE_A["safety"])
    clock.advance(minutes=10)
    reports.answer(ctx, draft.id, ROAMING, {"academy": RIVERSIDE.key})
    clock.advance(minutes=10)
    reports.answer(ctx, draft.id, ROAMING, CASE_A["risk"])  # the last activity: 30 minutes in
    run, outbox = runner(ctx)
    clock.advance(minutes=119)
    run.drain()
    assert outbox.kinds() == ["draft_nudge"]
    outbox.take()
    clock.advance(minutes=1)
    run.drain()
    [told] = outbox.take()
    assert (told.kind, told.channel) == ("draft_dsl", RIVERSIDE.dsl_channel)


def test_submitting_or_cancelling_a_draft_cancels_its_reminders(ctx, clock):
    done = complete(ctx, TEACHER, TEAM, CASE_A)
    reports.submit(ctx, done.id, TEACHER)
    clock.advance(hours=3)
    dropped = reports.start(ctx, TEAM, TEACHER)
    reports.cancel(ctx, dropped.id, TEACHER)
    clock.advance(hours=3)
    run, outbox = runner(ctx)
    run.drain()
    assert not {"draft_nudge", "draft_dsl"} & set(outbox.kinds())


def test_weekly_digest_on_monday_morning_lists_open_cases(ctx, clock):
    ref = report(ctx)
    run, outbox = runner(ctx)
    run.maintain()
    run.maintain()  # a second pass (or runner) creates nothing more
    digests = [r for r in rows(ctx) if r.kind == "weekly_digest"]
    assert sorted((r.details["academy"], r.due_at) for r in digests) == [
        ("oakfield", london(2026, 11, 30, 8, 0)),
        ("riverside", london(2026, 11, 30, 8, 0)),
    ]
    clock.now = london(2026, 11, 29, 20, 0)
    cases.acknowledge(ctx, ref, DSL)
    clock.now = london(2026, 11, 30, 8, 0)
    run.drain()
    oak = next(m for m in outbox.sent if m.kind == "weekly_digest" and m.academy_key == "oakfield")
    assert oak.channel == OAKFIELD.dsl_channel and "1" in oak.title
    assert oak.lines == (f"{ref}: Acknowledged; next: parents/carers decision, Tue 01 Dec 08:30",)


def test_each_reminder_sent_is_an_audit_event(ctx, clock):
    ref = report(ctx)
    clock.advance(hours=2)
    run, _ = runner(ctx)
    run.drain()
    assert sorted(_actions(ctx, ref, "reminder_sent", field="kind")) == [
        "unacknowledged",
        "unacknowledged_deputies",
    ]
    with ctx.db.unit_of_work() as uow:
        assert audit.verify(uow.session)[1] == []


def test_restart_catch_up_sends_each_due_reminder_once_oldest_first(ctx, clock):
    first = report(ctx)
    clock.advance(minutes=30)
    second = report(ctx)
    clock.advance(days=1)  # the runner was down the whole time
    run, outbox = runner(ctx)
    run.drain()
    run.drain()
    assert [(m.reference, m.kind) for m in outbox.sent] == [
        (first, "unacknowledged"),
        (second, "unacknowledged"),
        (first, "unacknowledged_deputies"),
        (second, "unacknowledged_deputies"),
    ]
    clock.advance(hours=1)
    Runner(ctx, outbox).drain()  # a new runner after another restart: nothing again
    assert len(outbox.sent) == 4


def test_overdue_deletion_after_a_long_downtime_is_sent_once_not_once_per_missed_day(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 24))
    clock.now = london(2026, 12, 3, 12, 0)  # down from Tuesday to the next Thursday
    run, outbox = runner(ctx)
    run.drain()
    assert [m.kind for m in _deletion_messages(outbox)] == ["deletion_overdue"]  # the due one merged
    assert pending_due(ctx, ref)["deletion_overdue"] == london(2026, 12, 4, 8, 30)


def test_crash_between_posting_and_marking_sent_duplicates_only_that_reminder(ctx, clock):
    refs = [report(ctx) for _ in range(3)]
    clock.advance(minutes=15)
    posted = Outbox()

    def dies_after_second(message):
        posted(message)
        if len(posted.sent) == 2:
            raise Crash

    with pytest.raises(Crash):
        Runner(ctx, dies_after_second).drain()
    Runner(ctx, posted).drain()  # restarted at once: the crashed runner's claims are still leased
    assert [m.reference for m in posted.sent] == refs[:2]
    clock.advance(minutes=6)  # past the lease (and before any other reminder falls due)
    Runner(ctx, posted).drain()
    counts = {ref: [m.reference for m in posted.sent].count(ref) for ref in refs}
    assert sorted(counts.values()) == [1, 1, 2] and counts[refs[1]] == 2
    assert all(r.state == "sent" for r in rows(ctx) if r.kind == "unacknowledged")


def test_a_reminder_held_by_a_crashed_runner_is_cancelled_if_its_case_moved_on_meanwhile(ctx, clock):
    refs = [report(ctx) for _ in range(2)]
    clock.advance(minutes=15)

    def dies(message):
        raise Crash

    with pytest.raises(Crash):
        Runner(ctx, dies).drain()  # both claimed, neither posted
    move(ctx, refs[1], "acknowledge")
    clock.advance(minutes=6)
    run, outbox = runner(ctx)
    run.drain()
    assert [(m.reference, m.kind) for m in outbox.sent] == [(refs[0], "unacknowledged")]
    [held] = [r for r in rows(ctx, refs[1]) if r.kind == "unacknowledged"]
    assert (held.state, held.details["cancelled"]) == ("cancelled", "moved on before it was sent")


def test_a_reminder_whose_case_moved_on_is_cancelled_not_sent(ctx, clock):
    ref = report(ctx)
    clock.advance(hours=1)
    with ctx.db.unit_of_work() as uow:  # moved behind the services' back: the runner re-checks
        uow.session.scalar(select(Case).where(Case.reference == ref)).state = "closed"
        uow.commit()
    run, outbox = runner(ctx)
    run.drain()
    assert outbox.sent == []
    assert {r.state for r in rows(ctx, ref)} == {"cancelled"}


def test_academy_overrides_change_the_timings(database_url, clock):
    quick = replace(OAKFIELD, reminders={"unacknowledged_minutes": 10, "quiet_from": "17:00"})
    ctx = make_context(database_url, Academies({"oakfield": quick}), clock)
    try:
        ref = report(ctx)
        assert pending_due(ctx, ref)["unacknowledged"] == london(2026, 11, 23, 10, 10)
    finally:
        ctx.db.engine.dispose()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [({"unacknowledged_minute": 5}, "unacknowledged_minute"), ({"quiet_from": "late"}, "quiet_from")],
)
def test_bad_overrides_are_a_config_error_naming_them(overrides, named):
    with pytest.raises(ConfigError, match=named):
        reminders.policy().check([replace(OAKFIELD, reminders=overrides)])


def _deletion_messages(outbox: Outbox):
    return [m for m in outbox.take() if m.kind.startswith("deletion")]


def _state(ctx, ref: str) -> str:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(Case.state).where(Case.reference == ref))


def _deletions(ctx, ref: str) -> list[int]:
    with ctx.db.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(Deletion.id).join(Case).where(Case.reference == ref).order_by(Deletion.id)
            )
        )


def _events(ctx, ref: str) -> list[AuditEvent]:
    with ctx.db.unit_of_work() as uow:
        query = select(AuditEvent).join(Case).where(Case.reference == ref).order_by(AuditEvent.id)
        found = list(uow.session.scalars(query))
        uow.session.expunge_all()
        return found


def _actions(ctx, ref: str, action: str | None = None, *, field: str | None = None):
    events = _events(ctx, ref)
    if action is None:
        return {e.action for e in events}
    return [e.details[field] for e in events if e.action == action]


def _reasons(ctx, ref: str) -> set[str]:
    return {e.reason or "" for e in _events(ctx, ref)}


def test_the_sweep_picks_up_deletions_recorded_after_the_trigger(ctx, clock):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    move(ctx, ref, "refer", "record_parents", "request_deletion")  # no deletion rows yet
    assert "deletion_due" not in pending_due(ctx, ref)
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        uow.session.add(Deletion(case_id=case.id, pseudonym="Pupil 1", deadline=date(2026, 11, 26)))
        uow.commit()
    reminders.sweep(ctx)
    assert pending_due(ctx, ref)["deletion_due"] == london(2026, 11, 26, 8, 30)


def test_the_runner_thread_sends_and_stops(ctx, clock):
    report(ctx)
    clock.advance(minutes=15)
    sent = threading.Event()
    stop = threading.Event()
    thread = start_runner_thread(ctx, lambda message: sent.set(), stop, interval=0.01)
    assert sent.wait(60)
    stop.set()
    thread.join(60)
    assert not thread.is_alive()
    assert [r.state for r in rows(ctx) if r.kind == "unacknowledged"] == ["sent"]


def test_a_reminder_of_an_academy_no_longer_configured_is_cancelled(database_url, clock):
    first = make_context(database_url, Academies({"oakfield": OAKFIELD, "riverside": RIVERSIDE}), clock)
    ref = report(first)
    first.db.engine.dispose()
    clock.advance(minutes=15)
    ctx = make_context(database_url, Academies({"riverside": RIVERSIDE}), clock)
    try:
        run, outbox = runner(ctx)
        run.drain()
        assert outbox.sent == []
        assert [r.state for r in rows(ctx, ref) if r.kind == "unacknowledged"] == ["cancelled"]
    finally:
        ctx.db.engine.dispose()


def test_a_runner_whose_lease_ran_out_cannot_mark_the_new_holders_claim(ctx, clock):
    ref = report(ctx)
    clock.advance(minutes=15)
    [stale] = runner_module.claim(ctx, 10, timedelta(minutes=5))
    clock.advance(minutes=6)
    [fresh] = runner_module.claim(ctx, 10, timedelta(minutes=5))
    assert (fresh.id, fresh.attempts) == (stale.id, 2)
    assert runner_module.prepare(ctx, stale) is None
    assert not runner_module.mark_sent(ctx, stale)
    assert runner_module.mark_sent(ctx, fresh)
    assert _actions(ctx, ref, "reminder_sent", field="attempt") == [2]
