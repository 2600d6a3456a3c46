"""Reminder buttons in Teams, end to end (SQLite and PostgreSQL): the runner hands the reminders
to the Teams courier, which posts them to the fake Bot Connector; people press the buttons in
signed activities; the services record the answers and the reminder is updated in place with
who did what.

Times: the fake clock starts on Monday 23 November 2026 at 10:00 (London = UTC in November).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId, CallbackId, reminder_action
from bot.teams.ids import DataKey
from bot.wording import CASE_REFUSED
from conversations.casefile import cases, casework
from conversations.dialogue import reports
from conversations.scheduling.reminder_messages import ButtonAction
from conversations.scheduling.runner import Runner
from conversations.storage.models import AuditEvent, Case, Deletion
from tests.reminder_setup import move, pending_due, rows
from tests.teams.fake_connector import Sent
from tests.teams.fixtures import DEPUTY, DSL, DSL_CHANNEL, OTHER_DSL, TEACHER
from tests.teams.harness import TENANT, Person, actions_of, input_ids, walk
from tests.test_teams_casework import button, card_now, click, filled, report, said, seen, status_of, updates

# --- helpers --------------------------------------------------------------------------------


def _never(message) -> None:
    raise AssertionError("with a sender, reminders go through the outbox")


def run_reminders(teams) -> None:
    """One runner pass, as `ypsi run` does, through the Teams courier."""
    Runner(teams.ctx, deliver=_never, sender=teams.courier).drain()
    teams.courier.drain()


def deletion_case(teams, deadline: date = date(2026, 11, 27)) -> str:
    """Acknowledged by the DSL, referred, deletion requested of Pupil 1 and Pupil 2 by `deadline`."""
    teams.install(DSL)
    ref, _ = report(teams)
    cases.acknowledge(teams.ctx, ref, DSL.id)
    values = {"agency": "social_care", "agency_reference": "FR-1", "reason": "Risk of harm"}
    casework.record_decision(teams.ctx, ref, DSL.id, "referred", values)
    move(teams.ctx, ref, "record_parents")
    with teams.ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        for n in (1, 2):
            uow.session.add(Deletion(case_id=case.id, pseudonym=f"Pupil {n}", deadline=deadline))
        uow.session.flush()
        cases.fire(teams.ctx, case, "request_deletion_agreed")
        uow.commit()
    while teams.courier.send_due():  # the card's updates so far, delivered before the test looks
        pass
    return ref


def reminders_in(teams, conversation: str, title: str) -> list[tuple[str, dict[str, Any]]]:
    """(activity id, card as shown now) of each reminder posted in `conversation` whose text has `title`."""
    found = []
    for sent in teams.connector.to(conversation):
        if sent.method == "send" and sent.cards and title in seen(sent.cards[0]):
            found.append((sent.activity_id, now(teams, conversation, sent)))
    return found


def now(teams, conversation: str, posted: Sent) -> dict[str, Any]:
    versions = [s for s in teams.connector.to(conversation) if s.activity_id == posted.activity_id]
    return versions[-1].cards[0]


def titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in actions_of(card)]


def find(card: dict[str, Any], action: ButtonAction, label: str = "") -> dict[str, Any]:
    prefix = reminder_action(action, "")
    return next(
        a["data"]
        for a in actions_of(card)
        if a["data"][DataKey.ACTION].startswith(prefix) and label in a["title"]
    )


def press(teams, person: Person, conversation: str, activity_id: str, data: dict[str, Any]):
    """A reminder's button pressed where the reminder is (a personal chat or the DSL channel)."""
    personal = conversation != DSL_CHANNEL
    return click(teams, person, data, conversation=conversation, reply_to=activity_id, personal=personal)


def deletions(ctx, reference: str) -> list[Deletion]:
    with ctx.db.unit_of_work() as uow:
        found = list(
            uow.session.scalars(
                select(Deletion).join(Case).where(Case.reference == reference).order_by(Deletion.id)
            )
        )
        uow.session.expunge_all()
        return found


def state(ctx, reference: str) -> str:
    with ctx.db.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(Case.state).where(Case.reference == reference))


def audit_actions(ctx, reference: str) -> list[str]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.reference == reference))
        return list(
            uow.session.scalars(
                select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
            )
        )


def send_check(teams, ref: str) -> None:
    """The DSL opens the case (`case REF`) and sends the deletion check to the teacher."""
    teams.message(DSL, f"case {ref}")
    teams.dialog_open(DSL, button(teams.connector.to(DSL.chat)[-1].cards[0], ActionId.OPEN_CASE))
    sent = teams.dialog_submit(DSL, button(teams.dialog(DSL), ActionId.SEND_DELETION_CHECK))
    assert "Deletion check sent" in seen(sent.dialog)


def deletion_check(teams) -> tuple[str, str]:
    """A deletion check in the teacher's chat: (reference, its activity id)."""
    ref = deletion_case(teams)
    send_check(teams, ref)
    run_reminders(teams)
    [(activity, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert titles(check) == ["Deletion confirmed for Pupil 1", "Deletion confirmed for Pupil 2", "Not yet"]
    return ref, activity


def deadline_reminder(teams) -> tuple[str, str, dict[str, Any]]:
    """A deletion due today (Monday): the owner's reminder in their chat."""
    ref = deletion_case(teams, deadline=date(2026, 11, 23))
    run_reminders(teams)
    [(activity, due)] = reminders_in(teams, DSL.chat, "Deletion deadline today")
    return ref, activity, due


# --- the deletion check ---------------------------------------------------------------------------


def test_deletion_check_confirmed_for_each_young_person(teams, clock):
    ctx = teams.ctx
    ref, activity = deletion_check(teams)
    assert "Pupil" not in str([s.body for s in teams.connector.to(DSL_CHANNEL)])  # pseudonyms: DMs only
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")

    answer = press(
        teams, TEACHER, TEACHER.chat, activity, find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 1")
    )
    assert said(answer) == "Deletion confirmed for Pupil 1: recorded."
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert f"Deletion confirmed for Pupil 1 by {TEACHER.name} at 10:00" in seen(check)
    assert titles(check) == ["Deletion confirmed for Pupil 2", "Not yet"]
    assert [d.status for d in deletions(ctx, ref)] == ["confirmed", "pending"]
    assert deletions(ctx, ref)[0].confirmed_by == TEACHER.id
    channel_updates = len(updates(teams))

    clock.advance(minutes=5)
    answer = press(
        teams, TEACHER, TEACHER.chat, activity, find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 2")
    )
    assert said(answer) == "All deletions are confirmed."
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert f"Deletion confirmed for Pupil 2 by {TEACHER.name} at 10:05" in seen(check)
    assert titles(check) == []
    assert state(ctx, ref) == "deletion_confirmed"
    assert len(updates(teams)) == channel_updates + 1
    assert status_of(updates(teams)[-1].cards[0]) == "Deletion confirmed"
    actions = audit_actions(ctx, ref)
    assert actions.count("deletion_confirmed_for") == 2 and "deletion_confirmed" in actions


def test_not_yet_is_recorded_and_replaces_the_buttons(teams):
    ref, activity = deletion_check(teams)
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert (
        said(press(teams, TEACHER, TEACHER.chat, activity, find(check, ButtonAction.NOT_YET)))
        == "Not yet: recorded."
    )
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert f"Not yet by {TEACHER.name} at 10:00" in seen(check) and titles(check) == []
    assert audit_actions(teams.ctx, ref)[-1] == "deletion_not_yet"
    assert [d.status for d in deletions(teams.ctx, ref)] == ["pending", "pending"]


def test_someone_else_cannot_answer_a_deletion_check(teams):
    ref, activity = deletion_check(teams)
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    refused_before = audit_actions(teams.ctx, ref).count("access_refused")
    before = len(updates(teams, TEACHER.chat))
    answers = []
    for person in (OTHER_DSL, Person("0d0e0a0d-beef-4cab-b00c-1d2e3f4a5b05", "Unlisted Person")):
        for data in (
            find(check, ButtonAction.DELETION_CONFIRMED_FOR, "Pupil 1"),
            find(check, ButtonAction.NOT_YET),
        ):
            answers.append(said(press(teams, person, TEACHER.chat, activity, data)))
    assert answers == [CASE_REFUSED] * 4
    assert [d.status for d in deletions(teams.ctx, ref)] == ["pending", "pending"]
    assert len(updates(teams, TEACHER.chat)) == before
    actions = audit_actions(teams.ctx, ref)
    assert actions.count("access_refused") == refused_before + 4
    assert "deletion_confirmed_for" not in actions and "deletion_not_yet" not in actions


# --- the DSL's deadline reminders -----------------------------------------------------------------


def test_extend_deadline_dialog_checks_the_date_and_the_reason(teams, clock):
    ctx = teams.ctx
    ref, activity, due = deadline_reminder(teams)
    clock.advance(days=1)  # Tuesday: the overdue reminder is sent and the case marked overdue
    run_reminders(teams)
    assert state(ctx, ref) == "deletion_overdue"
    # The button pressed on the reminder: Teams names the message it is on (replyToId).
    fetch = {"data": find(due, ButtonAction.EXTEND_DEADLINE), "context": {}}
    opened = teams.post(teams.activity(DSL, "invoke", name="task/fetch", value=fetch, replyToId=activity))
    assert opened.title == "Extend deadline" and input_ids(opened.dialog) == ["deadline", "reason"]
    form = opened.dialog
    submit = button(form, ActionId.SUBMIT)
    assert submit[DataKey.CALLBACK] == CallbackId.EXTEND_DEADLINE
    assert (submit["channel"], submit["ts"]) == (f"teams:{DSL.chat}", activity)  # where to update

    def extend(values: dict[str, str]) -> dict[str, Any]:
        return teams.dialog_submit(DSL, {**submit, **values}).dialog

    past = extend({"deadline": "2026-11-20", "reason": "  "})
    assert [e["id"] for e in walk(past) if str(e.get("id", "")).endswith(":error")] == [
        "deadline:error",
        "reason:error",
    ]
    assert "Choose a date by 23 January 2027." in seen(
        extend({"deadline": "2027-01-24", "reason": "Weekend"})
    )
    assert [d.deadline for d in deletions(ctx, ref)] == [date(2026, 11, 23)] * 2

    done = extend({"deadline": "2026-11-30", "reason": "Parents asked for the weekend"})
    assert "Mon 30 Nov 2026" in seen(done)
    assert [d.deadline for d in deletions(ctx, ref)] == [date(2026, 11, 30)] * 2
    assert state(ctx, ref) == "deletion_requested"
    [(_, due)] = [(a, c) for a, c in reminders_in(teams, DSL.chat, "Deletion") if a == activity]
    assert f"Deadline extended to Mon 30 Nov 2026 by {DSL.name} at 10:00" in seen(due) and titles(due) == []
    assert status_of(updates(teams)[-1].cards[0]) == "Deletion requested"  # overdue no more
    assert audit_actions(ctx, ref)[-1] == "deletion_deadline_extended"
    assert "deletion_due" in pending_due(ctx, ref)  # reminded again on the new deadline
    assert teams.dialog_submit(DSL, {**button(form, ActionId.BACK)}).body == ""  # Cancel closes it


def test_extend_deadline_is_for_the_case_s_dsls_only(teams):
    ref, _, due = deadline_reminder(teams)
    opened = teams.dialog_open(TEACHER, find(due, ButtonAction.EXTEND_DEADLINE))
    assert seen(opened.dialog) == f"{CASE_REFUSED}\nClose"
    assert audit_actions(teams.ctx, ref)[-1] == "access_refused"


def test_snooze_moves_the_reminder_to_the_next_school_day(teams):
    ref, activity, due = deadline_reminder(teams)
    answer = press(teams, DSL, DSL.chat, activity, find(due, ButtonAction.SNOOZE))
    assert said(answer) == "Snoozed until Tue 24 Nov 10:00."
    [(_, due)] = [(a, c) for a, c in reminders_in(teams, DSL.chat, "Deletion") if a == activity]
    assert f"Snoozed until Tue 24 Nov 10:00 by {DSL.name} at 10:00" in seen(due) and titles(due) == []
    snoozed = [r for r in rows(teams.ctx, ref) if r.details.get("snoozed_from")]
    assert [(r.kind, r.state, r.due_at.astimezone(UTC)) for r in snoozed] == [
        ("deletion_due", "pending", datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    ]
    assert audit_actions(teams.ctx, ref)[-1] == "reminder_snoozed"


def test_another_academy_s_dsl_cannot_snooze(teams):
    ref, activity, due = deadline_reminder(teams)
    assert said(press(teams, OTHER_DSL, DSL.chat, activity, find(due, ButtonAction.SNOOZE))) == CASE_REFUSED
    assert not [r for r in rows(teams.ctx, ref) if r.details.get("snoozed_from")]
    assert audit_actions(teams.ctx, ref)[-1] == "access_refused"
    assert updates(teams, DSL.chat) == []


def test_confirm_deletion_opens_the_per_person_decision(teams):
    ref, _, due = deadline_reminder(teams)
    form = teams.dialog_open(DSL, find(due, ButtonAction.CONFIRM_DELETION)).dialog
    record = button(form, ActionId.SUBMIT)
    assert record[DataKey.DECISION] == "deletion_confirmed"
    picked = ",".join(str(d.id) for d in deletions(teams.ctx, ref))
    answer = teams.dialog_submit(DSL, {**record, **filled(form, {"deletions": picked})})
    assert "Recorded:" in seen(answer.dialog)
    assert state(teams.ctx, ref) == "deletion_confirmed"
    assert status_of(updates(teams)[-1].cards[0]) == "Deletion confirmed"


# --- acknowledging and opening from the re-alert --------------------------------------------------


def test_acknowledge_from_the_re_alert(teams, clock):
    ref, alert = report(teams)
    clock.advance(minutes=15)
    run_reminders(teams)
    [(activity, realert)] = reminders_in(teams, DSL_CHANNEL, "Still waiting for a DSL")
    assert titles(realert)[:1] == ["Acknowledge"]
    answer = press(teams, DSL, DSL_CHANNEL, activity, find(realert, ButtonAction.ACKNOWLEDGE))
    assert "Acknowledged" in said(answer)
    [(_, answered)] = reminders_in(teams, DSL_CHANNEL, "Still waiting for a DSL")
    assert f"Acknowledged by {DSL.name} at 10:15" in seen(answered) and titles(answered) == []
    assert state(teams.ctx, ref) == "acknowledged"
    assert status_of(card_now(teams, DSL_CHANNEL, alert)) == "Acknowledged"  # the card, updated too
    assert "A DSL has picked up your report" in str(teams.connector.texts(TEACHER.chat))
    # A copy elsewhere (or a click before the update arrived) still opens the case.
    opened = teams.dialog_open(DEPUTY, find(realert, ButtonAction.OPEN_CASE))
    assert opened.title == f"Case {ref}"


def test_a_second_acknowledge_says_it_is_taken(teams, clock):
    ref, _ = report(teams)
    clock.advance(minutes=15)
    run_reminders(teams)
    [(activity, realert)] = reminders_in(teams, DSL_CHANNEL, "Still waiting for a DSL")
    cases.acknowledge(teams.ctx, ref, DEPUTY.id)
    answer = press(teams, DSL, DSL_CHANNEL, activity, find(realert, ButtonAction.ACKNOWLEDGE))
    assert "already been picked up" in said(answer)


def test_unknown_or_malformed_reminder_buttons_do_nothing(teams):
    ref, _ = report(teams)
    before = len(teams.connector.sent)
    for data in (
        {DataKey.ACTION: reminder_action("launch", ref)},
        {DataKey.ACTION: reminder_action(ButtonAction.SNOOZE, "not-a-number")},
        {DataKey.ACTION: reminder_action(ButtonAction.NOT_YET, "999999")},
    ):
        assert said(click(teams, DSL, data)) == CASE_REFUSED
    assert len(teams.connector.sent) == before
    assert state(teams.ctx, ref) == "reported"


def test_a_reminder_button_arriving_as_a_message_updates_the_reminder_in_place(teams):
    """Teams sends an Action.Submit on a message as a message carrying the button's data."""
    ref, activity = deletion_check(teams)
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    posted = len(teams.connector.texts(TEACHER.chat))
    data = find(check, ButtonAction.NOT_YET)
    pressed = teams.activity(TEACHER, "message", value=data, replyToId=activity)
    assert teams.post(pressed).status == 200
    [(_, check)] = reminders_in(teams, TEACHER.chat, "Deletion")
    assert f"Not yet by {TEACHER.name} at 10:00" in seen(check) and titles(check) == []
    assert len(teams.connector.texts(TEACHER.chat)) == posted  # the reminder says it: nothing more
    assert audit_actions(teams.ctx, ref)[-1] == "deletion_not_yet"
    # Someone else's press, as a message, is refused in words in that conversation.
    teams.post(teams.activity(OTHER_DSL, "message", value=data, replyToId=activity))
    assert teams.connector.texts(OTHER_DSL.chat)[-1] == CASE_REFUSED


def test_resume_report_offers_the_teacher_s_own_draft(teams, clock):
    teams.install(TEACHER)
    draft = reports.start(teams.ctx, TENANT, TEACHER.id)
    reports.answer(teams.ctx, draft.id, TEACHER.id, {"understood": "yes"})
    clock.advance(minutes=30)
    run_reminders(teams)
    [(activity, nudge)] = [
        (s.activity_id, s.cards[0])
        for s in teams.connector.to(TEACHER.chat)
        if s.cards
        and any(
            a["data"][DataKey.ACTION].startswith(reminder_action(ButtonAction.RESUME_REPORT, ""))
            for a in actions_of(s.cards[0])
            if "data" in a
        )
    ]
    answer = press(teams, TEACHER, TEACHER.chat, activity, find(nudge, ButtonAction.RESUME_REPORT))
    assert said(answer) == "Your report is waiting: press Report a concern to carry on."
    welcome = teams.connector.to(TEACHER.chat)[-1].cards[0]
    resumed = teams.dialog_open(TEACHER, button(welcome, ActionId.REPORT_FROM_HOME))
    assert resumed.status == 200 and "Carry on" in seen(resumed.dialog)
