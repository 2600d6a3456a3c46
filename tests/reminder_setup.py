"""Helpers for the reminder tests: cases in a given state, a recording delivery, London times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from conversations.casefile import cases, casework
from conversations.context import Context
from conversations.dialogue import reports
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import ReminderMessage
from conversations.scheduling.runner import Runner
from conversations.storage.models import Case, Deletion, Reminder
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM

DSL = OAKFIELD.dsl_users[0]
URGENT = {**CASE_A, "risk": {"immediate_risk": "yes"}}


def london(*args: int) -> datetime:
    """A London wall-clock time as UTC (what the fake clock holds)."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


class Outbox:
    """A `deliver` that records what would have been posted."""

    def __init__(self) -> None:
        self.sent: list[ReminderMessage] = []

    def __call__(self, message: ReminderMessage) -> None:
        self.sent.append(message)

    def kinds(self) -> list[str]:
        return [m.kind for m in self.sent]

    def take(self) -> list[ReminderMessage]:
        sent, self.sent = self.sent, []
        return sent


def report(ctx: Context, answers: dict[str, Any] = CASE_A, user: str = TEACHER) -> str:
    """Submit a report; its case reference."""
    draft = complete(ctx, user, TEAM, answers)
    return reports.submit(ctx, draft.id, user).reference


def move(ctx: Context, reference: str, *triggers: str) -> None:
    """Fire triggers on a case as the services do (inside a unit of work)."""
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference))
        for trigger in triggers:
            cases.fire(ctx, case, trigger)
        uow.commit()


def request_deletion(ctx: Context, reference: str, deadline: date, people: int = 2) -> None:
    """Take an acknowledged case to "deletion requested" with `people` deletions due by `deadline`:
    referred (so the written follow-up runs), and the deletion agreed with the agency."""
    values = {"agency": "social_care", "agency_reference": "FR-1", "reason": "Risk of harm"}
    casework.record_decision(ctx, reference, DSL, "referred", values)
    move(ctx, reference, "record_parents")
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference))
        for n in range(people):
            uow.session.add(Deletion(case_id=case.id, pseudonym=f"Pupil {n + 1}", deadline=deadline))
        uow.session.flush()
        cases.fire(ctx, case, "request_deletion_agreed")
        uow.commit()


def rows(ctx: Context, reference: str | None = None) -> list[Reminder]:
    """Reminder rows (of one case), in id order."""
    with ctx.db.unit_of_work() as uow:
        query = select(Reminder).order_by(Reminder.id)
        if reference is not None:
            query = query.join(Case, Reminder.case_id == Case.id).where(Case.reference == reference)
        found = list(uow.session.scalars(query))
        uow.session.expunge_all()  # keep them readable after the unit of work ends
        return found


def pending_due(ctx: Context, reference: str) -> dict[str, datetime]:
    """kind → due time of a case's pending reminders."""
    return {r.kind: r.due_at for r in rows(ctx, reference) if r.state == "pending"}


def runner(ctx: Context) -> tuple[Runner, Outbox]:
    outbox = Outbox()
    return Runner(ctx, outbox), outbox
