"""The reminder runner: claim due reminders with a lease, deliver them, mark them sent.

Any number of runners (threads or processes) may run against one database. A claim is one
atomic statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on PostgreSQL;
on SQLite, which ignores FOR UPDATE, the same statement re-checks the claimable condition in
its WHERE clause and SQLite runs one writer at a time. A claim expires after the lease, so a
runner that dies after delivering and before marking sent causes one duplicate of that one
reminder after the lease, and never loses one. Delivery is a port: `deliver(message)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from conversations import audit, cases, reminders
from conversations.context import Context
from conversations.models import Case, Draft, Reminder
from conversations.reminder_messages import ReminderMessage, compose
from conversations.reminders import CANCELLED, CLAIMED, PENDING, SENT

Deliver = Callable[[ReminderMessage], None]
SYSTEM_ACTOR = "ypsi-bot"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A reminder this runner holds until `lease_until`; `attempts` fences a stale holder."""

    id: int
    attempts: int
    due_at: datetime


def claim(ctx: Context, limit: int, lease: timedelta) -> list[Claim]:
    """Atomically claim up to `limit` due reminders (and expired claims), oldest first."""
    now = ctx.clock()
    claimable = or_(
        and_(Reminder.state == PENDING, Reminder.due_at <= now),
        and_(Reminder.state == CLAIMED, Reminder.lease_until < now),
    )
    picked = (
        select(Reminder.id)
        .where(claimable)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(Reminder)
        .where(Reminder.id.in_(picked), claimable)
        .values(state=CLAIMED, lease_until=now + lease, attempts=Reminder.attempts + 1)
        .returning(Reminder.id, Reminder.attempts, Reminder.due_at)
        .execution_options(synchronize_session=False)
    )
    with ctx.db.unit_of_work() as uow:
        rows = uow.session.execute(statement).all()
        uow.commit()
    return sorted((Claim(*row) for row in rows), key=lambda c: (c.due_at, c.id))


def _held(session: Session, claimed: Claim) -> Reminder | None:
    """The row if this claim still holds it, else None (the lease ran out, another runner has it).

    The check is a conditional write, so it locks the row (PostgreSQL) or the database
    (SQLite) until the transaction ends: nothing can reclaim it between the check and the work.
    """
    holds = (
        update(Reminder)
        .where(Reminder.id == claimed.id, Reminder.state == CLAIMED, Reminder.attempts == claimed.attempts)
        .values(lease_until=Reminder.lease_until)
        .execution_options(synchronize_session=False)
    )
    if session.execute(holds).rowcount != 1:
        return None
    return session.get(Reminder, claimed.id)


def prepare(ctx: Context, claimed: Claim) -> ReminderMessage | None:
    """The message to send, or None: a reminder whose case or draft moved on is cancelled."""
    with ctx.db.unit_of_work() as uow:
        row = _held(uow.session, claimed)
        if row is None:
            return None
        if not reminders.still_wanted(ctx, uow.session, row):
            row.state = CANCELLED
            row.details = {**row.details, "cancelled": "moved on before it was sent"}
            uow.commit()
            return None
        return compose(ctx, uow.session, row)


def mark_sent(ctx: Context, claimed: Claim) -> bool:
    """Record the reminder as sent (an audit event) and schedule what follows from it."""
    with ctx.db.unit_of_work() as uow:
        row = _held(uow.session, claimed)
        if row is None:
            return False
        now = ctx.clock()
        row.state, row.sent_at = SENT, now
        case = uow.session.get(Case, row.case_id) if row.case_id else None
        audit.record(
            uow.session,
            action="reminder_sent",
            actor_id=SYSTEM_ACTOR,
            at=now,
            case=case,
            academy_key=None if case else _academy_of(uow.session, row),
            details={"kind": row.kind, "reminder_id": row.id, "attempt": row.attempts},
        )
        if case is not None:
            _after_sent(ctx, uow.session, case, row)
        uow.commit()
        return True


def _academy_of(session: Session, row: Reminder) -> str | None:
    if row.draft_id is not None:
        draft = session.get(Draft, row.draft_id)
        return draft.academy_key if draft else None
    return row.details.get("academy")


def _after_sent(ctx: Context, session: Session, case: Case, row: Reminder) -> None:
    # The first overdue reminder also moves the case to "deletion overdue"; the next day's
    # repeat is scheduled from this one's send time (see reminders._next_overdue).
    if row.kind == "deletion_overdue" and case.state == "deletion_requested":
        source, dest = cases.fire(ctx, case, "mark_deletion_overdue")
        audit.record(
            session,
            action="deletion_overdue",
            actor_id=SYSTEM_ACTOR,
            at=ctx.clock(),
            case=case,
            from_state=source,
            to_state=dest,
        )
    else:
        reminders.reschedule(ctx, session, case)


@dataclass
class Runner:
    """Claims and delivers due reminders; `tick` does one batch, `run` loops until stopped."""

    ctx: Context
    deliver: Deliver
    batch: int = 50
    lease: timedelta = timedelta(minutes=5)
    sweep_every: timedelta = timedelta(minutes=5)
    _last_sweep: datetime | None = field(default=None, init=False)

    def tick(self) -> int:
        """Claim one batch and deliver it; returns how many were claimed."""
        claimed = claim(self.ctx, self.batch, self.lease)
        for one in claimed:
            self._send(one)
        return len(claimed)

    def _send(self, one: Claim) -> None:
        try:
            message = prepare(self.ctx, one)
        except Exception:
            # One bad reminder must not hold up the rest of the batch; it is retried after the lease.
            log.exception("reminder %s could not be prepared; retrying after the lease", one.id)
            return
        if message is None:
            return
        try:
            self.deliver(message)
        except Exception:
            # Not known whether it was posted: leave it claimed; it is retried after the lease.
            log.exception("reminder %s (%s) not delivered; retrying after the lease", one.id, message.kind)
            return
        mark_sent(self.ctx, one)

    def drain(self) -> int:
        """Tick until nothing is due; returns how many reminders were claimed in all."""
        total = 0
        while claimed := self.tick():
            total += claimed
        return total

    def maintain(self) -> None:
        """Create the weekly digests and a daily audit checkpoint; every `sweep_every`, re-check open work."""
        reminders.ensure_digests(self.ctx)
        audit.checkpoint_if_due(self.ctx)
        now = self.ctx.clock()
        if self._last_sweep is None or now - self._last_sweep >= self.sweep_every:
            reminders.sweep(self.ctx)
            self._last_sweep = now

    def run(self, stop: threading.Event, interval: float = 30.0) -> None:
        """Loop until `stop` is set: maintain, drain, wait `interval` seconds."""
        while not stop.is_set():
            try:
                self.maintain()
                self.drain()
            except Exception:
                # A database outage must not end the loop: the rows wait, the next pass retries.
                log.exception("reminder pass failed; retrying in %s s", interval)
            stop.wait(interval)


def start_runner_thread(
    ctx: Context, deliver: Deliver, stop_event: threading.Event, interval: float = 30.0
) -> threading.Thread:
    """Start a daemon thread running reminders until `stop_event` is set (for `ypsi run`)."""
    thread = threading.Thread(
        target=Runner(ctx, deliver).run, args=(stop_event, interval), name="ypsi-reminders", daemon=True
    )
    thread.start()
    return thread
