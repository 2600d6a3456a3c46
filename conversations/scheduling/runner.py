"""The reminder runner: claim due reminders with a lease, deliver them, mark them sent.

Any number of runners (threads or processes) may run against one database. A claim is one
atomic statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on PostgreSQL;
on SQLite, which ignores FOR UPDATE, the same statement re-checks the claimable condition in
its WHERE clause and SQLite runs one writer at a time. A claim expires after the lease, so a
runner that dies after delivering and before marking sent causes one duplicate of that one
reminder after the lease, and never loses one. Delivery is a port: `deliver(message)`.

With a `sender` (the Slack bot's), a due reminder is instead handed to the outbox: marked sent
with one outbox row per recipient in one transaction, then delivered at once. Each recipient's
copy then succeeds, is retried or is dead-lettered on its own (a failed direct message never
re-posts the channel copy), and the runner's loop delivers what falls due in the outbox every
OUTBOX_EVERY seconds. With front ends on several platforms, `Senders` joins their senders: each
claims only its platform's rows, so a reminder reaches each recipient through their own front end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from conversations.casefile import cases
from conversations.context import Context
from conversations.delivery import outbox
from conversations.protection import audit
from conversations.scheduling import reminders
from conversations.scheduling.reminder_messages import ReminderMessage, as_data, compose
from conversations.scheduling.reminders import CANCELLED, CLAIMED, PENDING, SENT
from conversations.storage.models import Case, Draft, Reminder

Deliver = Callable[[ReminderMessage], None]
SYSTEM_ACTOR = "ypsi-bot"
OUTBOX_EVERY = 2.0  # seconds between the runner's outbox passes: a lost delivery waits seconds
log = logging.getLogger(__name__)


class Sender(Protocol):
    """The front end's delivery of outbox rows: these rows now, or whatever is due."""

    def send(self, ids: Sequence[int]) -> None:
        """Deliver these rows (just committed) at once."""

    def send_due(self) -> int:
        """Claim and deliver the rows that are due; returns how many."""

    def drain(self) -> None:
        """Wait until what was handed over is delivered (or given back to the outbox)."""

    def close(self) -> None:
        """Finish what was handed over and stop."""


@dataclass(frozen=True)
class Senders:
    """The senders of several front ends as one: each claims only its own platform's outbox
    rows, so every row handed over, and every row that falls due, reaches its recipient's front end."""

    senders: tuple[Sender, ...]

    def send(self, ids: Sequence[int]) -> None:
        """Hand these rows to every front end; each delivers those of its platform."""
        for sender in self.senders:
            sender.send(ids)

    def send_due(self) -> int:
        """Every front end's due rows; returns how many were claimed in all."""
        return sum(sender.send_due() for sender in self.senders)

    def drain(self) -> None:
        """Wait for every front end's deliveries in progress."""
        for sender in self.senders:
            sender.drain()

    def close(self) -> None:
        """Finish and stop every front end's delivery workers."""
        for sender in self.senders:
            sender.close()


@dataclass(frozen=True)
class Claim:
    """A reminder this runner holds until `lease_until`; `attempts` fences a stale holder."""

    id: int
    attempts: int
    due_at: datetime
    draft: bool = False  # a draft's reminder (may be put back: reminders.postponed)


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
        .returning(Reminder.id, Reminder.attempts, Reminder.due_at, Reminder.draft_id.is_not(None))
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


def postpone(ctx: Context, claimed: Claim) -> bool:
    """Put a claimed draft reminder back, later, if the draft was active since (reminders.postponed)."""
    with ctx.db.unit_of_work() as uow:
        row = _held(uow.session, claimed)
        if row is None or not reminders.postponed(ctx, uow.session, row):
            return False
        uow.commit()
        return True


def mark_sent(ctx: Context, claimed: Claim) -> bool:
    """Record the reminder as sent (an audit event) and schedule what follows from it."""
    return _mark_sent(ctx, claimed, None) is not None


def hand_over(ctx: Context, claimed: Claim, message: ReminderMessage) -> list[int]:
    """Mark the reminder sent and, in the same transaction, write one outbox row per recipient
    (the channel copy and each direct message); returns their ids (none if the claim lapsed)."""
    return _mark_sent(ctx, claimed, message) or []


def _mark_sent(ctx: Context, claimed: Claim, message: ReminderMessage | None) -> list[int] | None:
    with ctx.db.unit_of_work() as uow:
        row = _held(uow.session, claimed)
        if row is None:
            return None
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
        ids = [] if message is None else _queue_copies(ctx, uow.session, row, case, message)
        uow.commit()
        return ids


def _queue_copies(
    ctx: Context, session: Session, row: Reminder, case: Case | None, message: ReminderMessage
) -> list[int]:
    recipients = [(outbox.CHANNEL, message.channel)] if message.channel else []
    recipients += [(outbox.USER, user) for user in message.users]
    return [
        outbox.add(
            session,
            outbox.Kind.REMINDER,
            kind,
            recipient,
            now=ctx.clock(),
            case=case,
            academy_key=message.academy_key or None,
            reminder_id=row.id,
            payload=as_data(message),
        )
        for kind, recipient in recipients
    ]


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
    sender: Sender | None = None
    _last_sweep: datetime | None = field(default=None, init=False)

    def tick(self) -> int:
        """Claim one batch and deliver it; returns how many were claimed and not put back.

        A batch that was all put back (draft reminders moved later) is followed by the next.
        """
        while True:
            claimed = claim(self.ctx, self.batch, self.lease)
            put_back = sum(self._send(one) for one in claimed)
            if not claimed or put_back < len(claimed):
                return len(claimed) - put_back

    def _send(self, one: Claim) -> bool:
        """Deliver one claimed reminder; True if it was put back for later instead."""
        try:
            if one.draft and postpone(self.ctx, one):
                return True
            message = prepare(self.ctx, one)
        except Exception:
            # One bad reminder must not hold up the rest of the batch; it is retried after the lease.
            log.exception("reminder %s could not be prepared; retrying after the lease", one.id)
            return False
        if message is None:
            return False
        if self.sender is not None:
            self.sender.send(hand_over(self.ctx, one, message))
            return False
        try:
            self.deliver(message)
        except Exception:
            # Not known whether it was posted: leave it claimed; it is retried after the lease.
            log.exception("reminder %s (%s) not delivered; retrying after the lease", one.id, message.kind)
            return False
        mark_sent(self.ctx, one)
        return False

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
        """Loop until `stop` is set: maintain and drain every `interval` seconds.

        With a sender, what falls due in the outbox is delivered every OUTBOX_EVERY seconds.
        """
        next_pass = time.monotonic()
        while not stop.is_set():
            if self.sender is not None:
                self._outbox_pass()
            if time.monotonic() >= next_pass:
                try:
                    self.maintain()
                    self.drain()
                except Exception:
                    # A database outage must not end the loop: the rows wait, the next pass retries.
                    log.exception("reminder pass failed; retrying in %s s", interval)
                next_pass = time.monotonic() + interval
            stop.wait(min(interval, OUTBOX_EVERY) if self.sender is not None else interval)

    def _outbox_pass(self) -> None:
        if self.sender is None:
            return
        try:
            while self.sender.send_due():
                pass
        except Exception:
            log.exception("outbox pass failed; retrying in %s s", OUTBOX_EVERY)


def start_runner_thread(
    ctx: Context,
    deliver: Deliver,
    stop_event: threading.Event,
    interval: float = 30.0,
    sender: Sender | None = None,
) -> threading.Thread:
    """Start a daemon thread running reminders until `stop_event` is set (for `ypsi run`)."""
    runner = Runner(ctx, deliver, sender=sender)
    thread = threading.Thread(
        target=runner.run, args=(stop_event, interval), name="ypsi-reminders", daemon=True
    )
    thread.start()
    return thread
