"""The outbox: every message someone must receive is a row written in the transaction of the
change it tells of, so a case exists exactly when its alert is on its way.

A row names its recipient platform-neutrally (the academy's DSL `channel`, or a `user`) and
holds plain data a front end renders (a reference to render from, or a reminder's message).
It carries the platform of its recipient (`platforms.platform_of`): each front end claims only
its own platform's rows, so a Teams row is never touched by the Slack courier, nor the reverse.
The process that wrote it delivers it at once after commit; if that fails or the process dies,
any runner claims it when it falls due (`next_attempt_at`, which is also the lease of a claim).

Failures come back classified by the front end: a transient one (rate limit, server error,
timeout) is retried with backoff, at most MAX_ATTEMPTS times; a permanent one (the platform
refused the message or the recipient) stops at once. Either way a row that will not be
delivered is dead-lettered, audited (no content: kind, recipient kind, error), and falls back
so someone always hears: a channel message goes to the academy's DSLs by direct message, a
direct message becomes a short notice in the DSL channel. A fallback does not fall back again.
Rows of one case and recipient go out in the order they were written (a card is posted before
it is updated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Row, Update, and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from conversations.context import Context
from conversations.platforms import platform_of
from conversations.protection import audit
from conversations.storage.models import Case, OutboxMessage, Reminder

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
CHANNEL, USER = "channel", "user"
SYSTEM_ACTOR = "ypsi-bot"
# A claim's lease: longer than one delivery's platform calls (each times out in 5 s).
LEASE = timedelta(seconds=20)
MAX_ATTEMPTS = 6  # transient failures: 2, 4, 8, 16, 32 s apart, then dead-lettered
FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=5)
# The table itself: the hot statements (write, claim, mark delivered) skip the ORM's unit of work.
OUTBOX = OutboxMessage.__table__


class Kind(StrEnum):
    """What a row is; the front end renders each from its payload."""

    ALERT = "alert"  # the DSL card: posted, or updated in place once posted (payload: reference)
    ALERT_DM = "alert_dm"  # the card by direct message to a DSL (payload: reference, problem)
    CARD = "card"  # the card updated in place after a change of status (payload: reference)
    RECEIPT = "receipt"  # the teacher's receipt (payload: reference)
    NOTICE = "notice"  # a short text to a person, e.g. "a DSL has picked it up" (payload: text)
    REMINDER = "reminder"  # one recipient's copy of a reminder (payload: the message as data)
    UNDELIVERED = "undelivered"  # in the DSL channel: a direct message could not be delivered
    PRINCIPAL = "principal"  # the minimal card to the Principal, urgent or aggravated (payload: reference)


# How the dead-letter list and the channel notice name a kind (never its content).
LABELS = {
    Kind.ALERT: "DSL alert",
    Kind.ALERT_DM: "DSL alert by direct message",
    Kind.CARD: "card update",
    Kind.RECEIPT: "receipt to the member of staff who reported",
    Kind.NOTICE: "message to a member of staff",
    Kind.REMINDER: "reminder",
    Kind.UNDELIVERED: "notice of an undelivered message",
    Kind.PRINCIPAL: "the Principal's notice",
}


@dataclass(frozen=True)
class Outgoing:
    """A claimed row for a front end to deliver; `attempts` fences a stale holder."""

    id: int
    kind: Kind
    recipient_kind: str
    recipient_id: str
    academy_key: str | None
    reference: str | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class DeadLetter:
    """A message that was not delivered: what, to which kind of recipient, why, when."""

    id: int
    kind: str
    label: str
    recipient_kind: str
    reference: str | None
    academy_key: str | None
    reminder_kind: str | None
    error: str
    attempts: int
    at: datetime


def add(
    session: Session,
    kind: Kind,
    recipient_kind: str,
    recipient_id: str,
    *,
    now: datetime,
    case: Case | None = None,
    academy_key: str | None = None,
    reminder_id: int | None = None,
    payload: dict[str, Any] | None = None,
    fallback_of: int | None = None,
) -> int:
    """Write one message in the caller's transaction; returns its id (to deliver after commit).

    One INSERT … RETURNING on the table, not an ORM row: nothing reads the row back here.
    """
    row = {
        "kind": kind,
        "platform": platform_of(recipient_id),
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "academy_key": academy_key or (case.academy_key if case is not None else None),
        "case_id": case.id if case is not None else None,
        "reminder_id": reminder_id,
        "fallback_of": fallback_of,
        "payload": payload or {},
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    session.flush()  # the case (or reminder) it refers to is written first
    return session.execute(insert(OUTBOX).values(row).returning(OUTBOX.c.id)).scalar_one()


@cache
def _claim_statement(by_id: bool, limit: int) -> Update:
    """The claim as one statement on the table, built once: `now`, `lease_end` (and `ids`) are
    parameters. It returns what a delivery needs, so nothing is read again."""
    row = OUTBOX.c
    now = bindparam("now", type_=row.next_attempt_at.type)
    earlier = OUTBOX.alias("earlier")
    queued_behind = exists().where(
        earlier.c.case_id == row.case_id,
        earlier.c.recipient_id == row.recipient_id,
        earlier.c.state == PENDING,
        earlier.c.id < row.id,
    )
    claimable = and_(
        row.state == PENDING,
        row.platform == bindparam("for_platform"),
        row.next_attempt_at <= now,
        ~queued_behind,
    )
    picked = select(row.id).where(claimable)
    if by_id:
        picked = picked.where(row.id.in_(bindparam("ids", expanding=True)))
    picked = picked.order_by(row.id).limit(limit).with_for_update(skip_locked=True)
    return (
        update(OUTBOX)
        .where(row.id.in_(picked.scalar_subquery()), row.state == PENDING)
        .where(row.next_attempt_at <= now)
        .values(
            next_attempt_at=bindparam("lease_end", type_=row.next_attempt_at.type),
            attempts=row.attempts + 1,
        )
        .returning(
            row.id,
            row.kind,
            row.recipient_kind,
            row.recipient_id,
            row.academy_key,
            row.case_id,
            row.payload,
            row.attempts,
        )
    )


def claim(ctx: Context, platform: str, ids: Sequence[int] | None = None, limit: int = 20) -> list[Outgoing]:
    """Claim due rows of `platform` (only `ids` when given) for one lease, oldest first, one statement.

    A row waits while an earlier row for the same case and recipient is still pending, so a
    card is posted before it is updated and a person's messages arrive in order. Without `ids`
    (a runner's pass), a read first: when nothing is due, no write transaction is opened.
    """
    now = ctx.clock()
    if ids is None and not _anything_due(ctx, platform, now):
        return []
    parameters: dict[str, Any] = {"now": now, "lease_end": now + LEASE, "for_platform": platform}
    if ids is not None:
        parameters["ids"] = list(ids)
    with ctx.db.unit_of_work() as uow:
        statement = _claim_statement(ids is not None, limit)
        claimed = sorted(uow.session.execute(statement, parameters), key=_by_id)
        references = _references(uow.session, {r.case_id for r in claimed if r.case_id is not None})
        uow.commit()
    return [
        Outgoing(
            r.id,
            Kind(r.kind),
            r.recipient_kind,
            r.recipient_id,
            r.academy_key,
            references.get(r.case_id),
            dict(r.payload),
            r.attempts,
        )
        for r in claimed
    ]


def _by_id(row: Row[Any]) -> int:
    return int(row.id)


def _references(session: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    found = session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids)))
    return {case_id: reference for case_id, reference in found}


def _anything_due(ctx: Context, platform: str, now: datetime) -> bool:
    with ctx.db.unit_of_work(read_only=True) as uow:
        due = select(OutboxMessage.id).where(
            OutboxMessage.state == PENDING, OutboxMessage.platform == platform
        )
        return uow.session.scalar(due.where(OutboxMessage.next_attempt_at <= now).limit(1)) is not None


def _held(session: Session, item: Outgoing) -> OutboxMessage | None:
    row = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == item.id, OutboxMessage.state == PENDING)
        .where(OutboxMessage.attempts == item.attempts)
        .with_for_update()
    )
    return row


def delivered(ctx: Context, item: Outgoing, *, posted_at: tuple[str, str] | None = None) -> None:
    """Mark a row delivered (its content is dropped); `posted_at` = (channel, ts) of a new card.

    One conditional UPDATE: only while this claim still holds the row (pending, same attempt).
    """
    row = OUTBOX.c
    done = (
        update(OUTBOX)
        .where(row.id == item.id, row.state == PENDING, row.attempts == item.attempts)
        .values(state=DELIVERED, finished_at=ctx.clock(), payload={})
        .returning(row.case_id)
    )
    with ctx.db.unit_of_work() as uow:
        held = uow.session.execute(done).first()
        if held is None:
            return
        if posted_at is not None and held.case_id is not None:
            channel, ts = posted_at
            cases = Case.__table__
            posted = update(cases).where(cases.c.id == held.case_id)
            uow.session.execute(posted.values(alert_channel=channel, alert_ts=ts))
        uow.commit()


def retry_later(
    ctx: Context, item: Outgoing, error: str, after: float | None = None, problem: str | None = None
) -> list[int]:
    """A transient failure: try again after a backoff (at least `after` seconds, e.g. Retry-After).

    At the attempt cap the row is given up like a permanent failure (`problem` as in `give_up`);
    returns its fallbacks' ids.
    """
    if item.attempts >= MAX_ATTEMPTS:
        return give_up(ctx, item, error, problem)
    backoff = min(FIRST_BACKOFF * 2 ** (item.attempts - 1), MAX_BACKOFF)
    wait = max(backoff, timedelta(seconds=after or 0))
    with ctx.db.unit_of_work() as uow:
        row = _held(uow.session, item)
        if row is None:
            return []
        row.next_attempt_at, row.last_error = ctx.clock() + wait, error[:64]
        uow.commit()
    return []


def give_up(ctx: Context, item: Outgoing, error: str, problem: str | None = None) -> list[int]:
    """Dead-letter a row, audit it and write its fallback; returns the fallback rows' ids.

    `problem` is the sentence a DSL reads on the card sent by direct message instead.
    """
    now = ctx.clock()
    with ctx.db.unit_of_work() as uow:
        session = uow.session
        row = _held(session, item)
        if row is None:
            return []
        row.state, row.finished_at, row.last_error, row.payload = DEAD, now, error[:64], {}
        case = session.get(Case, row.case_id) if row.case_id is not None else None
        ids = (
            [] if row.fallback_of is not None else _fall_back(ctx, session, row, item, case, problem or error)
        )
        if row.kind == Kind.ALERT and ids:
            audit.record(
                session,
                action="alert_sent_by_direct_message",
                actor_id=SYSTEM_ACTOR,
                at=now,
                case=case,
                reason=problem or f"posting failed ({error})",
            )
        audit.record(
            session,
            action="message_not_delivered",
            actor_id=SYSTEM_ACTOR,
            at=now,
            case=case,
            academy_key=None if case else row.academy_key,
            details={
                "outbox_id": row.id,
                "kind": row.kind,
                "to": row.recipient_kind,
                "error": error[:64],
                "attempts": row.attempts,
                "fallback": ids,
            },
        )
        uow.commit()
    return ids


def _fall_back(
    ctx: Context, session: Session, row: OutboxMessage, item: Outgoing, case: Case | None, problem: str
) -> list[int]:
    academy = ctx.academies.by_key.get(row.academy_key or "")
    if academy is None or row.kind in (Kind.CARD, Kind.UNDELIVERED, Kind.ALERT_DM):
        return []
    now = ctx.clock()
    common: dict[str, Any] = {"now": now, "case": case, "academy_key": academy.key, "fallback_of": row.id}
    if row.recipient_kind == CHANNEL:
        kind = Kind.ALERT_DM if row.kind == Kind.ALERT else row.kind
        payload = {**item.payload, "problem": problem}
        return [
            add(session, kind, USER, user, reminder_id=row.reminder_id, payload=payload, **common)
            for user in academy.dsl_users
        ]
    payload = {"reference": item.reference, "what": LABELS[Kind(row.kind)], "error": problem}
    return [add(session, Kind.UNDELIVERED, CHANNEL, academy.destination, payload=payload, **common)]


def dead_letters(
    ctx: Context, *, academy_key: str | None = None, since: datetime | None = None
) -> list[DeadLetter]:
    """Messages given up, newest last (for `ypsi reminders due` and the weekly digest)."""
    with ctx.db.unit_of_work() as uow:
        return dead_letters_in(uow.session, academy_key=academy_key, since=since)


def dead_letters_in(
    session: Session, *, academy_key: str | None = None, since: datetime | None = None
) -> list[DeadLetter]:
    """`dead_letters` inside the caller's transaction."""
    query = (
        select(OutboxMessage, Case.reference, Reminder.kind)
        .outerjoin(Case, OutboxMessage.case_id == Case.id)
        .outerjoin(Reminder, OutboxMessage.reminder_id == Reminder.id)
        .where(OutboxMessage.state == DEAD)
        .order_by(OutboxMessage.finished_at, OutboxMessage.id)
    )
    if academy_key is not None:
        query = query.where(OutboxMessage.academy_key == academy_key)
    if since is not None:
        query = query.where(OutboxMessage.finished_at >= since)
    return [
        DeadLetter(
            r.id,
            r.kind,
            LABELS[Kind(r.kind)],
            r.recipient_kind,
            ref,
            r.academy_key,
            reminder_kind,
            r.last_error or "",
            r.attempts,
            r.finished_at or r.created_at,
        )
        for r, ref, reminder_kind in session.execute(query)
    ]
