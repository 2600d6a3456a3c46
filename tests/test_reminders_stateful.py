"""Hypothesis interleaves reports, acknowledgements, closes, clock moves, runs, crashes and restarts.

However they interleave: no reminder is sent for a closed case, no due reminder is left
unsent after a clean run, every reminder marked sent was delivered, a reminder is delivered
twice only if a runner crashed holding it, and every case left unacknowledged past its
re-alert time got its re-alert.
"""

from __future__ import annotations

import collections
import contextlib
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from conversations.academies import Academies
from conversations.casefile import cases
from conversations.scheduling.runner import Runner
from conversations.storage.models import Case, Reminder
from state_machines.case import CLOSE_REQUIREMENTS
from tests.conftest import OAKFIELD, RIVERSIDE, FakeClock, make_context
from tests.reminder_setup import DSL, london, report

LEASE = timedelta(minutes=5)
# The lifecycle route to "closed" from where these tests leave a case.
TO_CLOSE = {
    "reported": ["acknowledge", "refer", "record_parents", "waive_deletion", "close"],
    "acknowledged": ["refer", "record_parents", "waive_deletion", "close"],
}


class Crash(BaseException):
    """The runner process dies right after posting a message."""


class ReminderLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.clock = FakeClock(london(2026, 11, 27, 15, 0))  # a Friday afternoon
        academies = Academies({a.key: a for a in (OAKFIELD, RIVERSIDE)})
        self.ctx = make_context(f"sqlite:///{Path(self.folder.name) / 'ypsi.db'}", academies, self.clock)
        self.delivered: collections.Counter[int] = collections.Counter()
        self.realerted: set[str] = set()
        self.in_flight_at_crash: set[int] = set()
        self.refs: list[str] = []
        self.sent_for_closed: list[str] = []
        self.runner = Runner(self.ctx, self.deliver, batch=3, lease=LEASE)

    def teardown(self) -> None:
        self.ctx.db.engine.dispose()
        self.folder.cleanup()

    def deliver(self, message) -> None:
        # The runner treats a failing delivery as "retry later": record, do not raise.
        if message.reference is not None and self.state_of(message.reference) == "closed":
            self.sent_for_closed.append(message.reference)
        self.delivered[message.reminder_id] += 1
        if message.kind == "unacknowledged":
            self.realerted.add(message.reference)

    def state_of(self, reference: str) -> str:
        with self.ctx.db.unit_of_work() as uow:
            return uow.session.scalar(select(Case.state).where(Case.reference == reference))

    def rows(self) -> list[Reminder]:
        with self.ctx.db.unit_of_work() as uow:
            found = list(uow.session.scalars(select(Reminder)))
            uow.session.expunge_all()
            return found

    @initialize(waited=st.sampled_from([0, 20, 90]))
    def two_reports(self, waited: int) -> None:
        # Start with work in hand, so short runs already reach crashes with reminders held.
        self.refs += [report(self.ctx), report(self.ctx)]
        self.clock.advance(minutes=waited)

    @precondition(lambda self: len(self.refs) < 4)
    @rule()
    def report(self) -> None:
        self.refs.append(report(self.ctx))

    @precondition(lambda self: self.refs)
    @rule(data=st.data())
    def acknowledge(self, data) -> None:
        ref = data.draw(st.sampled_from(self.refs))
        if self.state_of(ref) == "reported":
            cases.acknowledge(self.ctx, ref, DSL)

    @precondition(lambda self: self.refs)
    @rule(data=st.data())
    def close(self, data) -> None:
        ref = data.draw(st.sampled_from(self.refs))
        with self.ctx.db.unit_of_work() as uow:
            case = uow.session.scalar(select(Case).where(Case.reference == ref))
            case.facts = list(CLOSE_REQUIREMENTS)
            for trigger in TO_CLOSE.get(case.state, []):
                cases.fire(self.ctx, case, trigger)
            uow.commit()

    @rule(minutes=st.sampled_from([1, 10, 30, 90, 6 * 60, 24 * 60, 3 * 24 * 60]))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def run_cleanly(self) -> None:
        self.runner.drain()
        self.check_after_clean_run()

    @rule()
    def restart_after_the_lease(self) -> None:
        self.clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
        self.runner = Runner(self.ctx, self.deliver, batch=3, lease=LEASE)
        self.runner.drain()
        self.check_after_clean_run()

    def check_after_clean_run(self) -> None:
        now = self.clock.now
        rows = self.rows()
        assert not [r for r in rows if r.state == "pending" and r.due_at <= now]
        assert not [r for r in rows if r.state == "claimed" and r.lease_until < now]
        self.check_realerts()

    @rule(after=st.integers(min_value=0, max_value=1))
    def crash_mid_run(self, after: int) -> None:
        posted = 0

        def dies(message) -> None:
            nonlocal posted
            self.deliver(message)
            posted += 1
            if posted > after:
                self.in_flight_at_crash.add(message.reminder_id)
                raise Crash

        with contextlib.suppress(Crash):
            Runner(self.ctx, dies, batch=3, lease=LEASE).drain()

    def check_realerts(self) -> None:
        # Every case still unacknowledged has its re-alert row; once due, a clean run sent it
        # (unless a crashed runner still holds it: it goes after the lease).
        unacknowledged = {r.case_id: r for r in self.rows() if r.kind == "unacknowledged"}
        with self.ctx.db.unit_of_work() as uow:
            waiting = list(
                uow.session.execute(select(Case.id, Case.reference).where(Case.state == "reported"))
            )
        for case_id, ref in waiting:
            row = unacknowledged[case_id]
            held = row.state == "claimed" and row.lease_until >= self.clock.now  # a crashed runner's
            if row.due_at <= self.clock.now and not held:
                assert ref in self.realerted

    @invariant()
    def nothing_sent_for_a_closed_case(self) -> None:
        assert self.sent_for_closed == []

    @invariant()
    def sent_means_delivered_and_duplicates_only_after_a_crash(self) -> None:
        for row in self.rows():
            if row.state == "sent":
                assert self.delivered[row.id] >= 1
            if self.delivered[row.id] > 1:
                assert row.id in self.in_flight_at_crash


ReminderLife.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_reminder_life = ReminderLife.TestCase
