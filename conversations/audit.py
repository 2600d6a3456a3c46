"""The audit trail: append-only events, each chained to the previous event of its case by hash.

The database refuses UPDATE and DELETE on the table (see the initial migration); the chain
makes an edit made behind the application's back (trigger dropped) visible to `verify`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, func, select, text, type_coerce
from sqlalchemy.orm import Session

from conversations.crypto import DecryptionError
from conversations.models import AuditEvent, Case

GENESIS = "0" * 64
log = logging.getLogger(__name__)


def record(
    session: Session,
    *,
    action: str,
    actor_id: str,
    at: datetime,
    case: Case | None = None,
    academy_key: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event (in the caller's transaction) and return it."""
    case_id = case.id if case is not None else None
    _lock_chain(session, case_id)
    event = AuditEvent(
        case_id=case_id,
        academy_key=academy_key or (case.academy_key if case is not None else None),
        actor_id=actor_id,
        at=at,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=details or {},
        prev_hash=_last_hash(session, case_id),
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    # Ids only: the reason and details may hold case content.
    log.info(
        "audit event",
        extra={
            "case": case.reference if case is not None else None,
            "event_id": event.id,
            "action": action,
            "actor": actor_id,
            "academy": event.academy_key,
        },
    )
    return event


def _lock_chain(session: Session, case_id: int | None) -> None:
    # Two writers of one chain must not both link to the same predecessor. SQLite serialises
    # writers; PostgreSQL needs a transaction-scoped lock per chain.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7341, :k)"), {"k": case_id or 0})


def _last_hash(session: Session, case_id: int | None) -> str:
    chain = AuditEvent.case_id == case_id if case_id is not None else AuditEvent.case_id.is_(None)
    last = session.scalar(select(AuditEvent.hash).where(chain).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's canonical form, including the previous event's hash."""
    canonical = json.dumps(
        {
            "case_id": event.case_id,
            "academy_key": event.academy_key,
            "actor_id": event.actor_id,
            "at": event.at.isoformat(timespec="microseconds"),
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "reason": event.reason,
            "details": event.details,
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a chain that does not match its hash or its predecessor."""

    event_id: int
    case_reference: str | None
    problem: str


def verify(session: Session) -> tuple[int, list[ChainBreak]]:
    """Check every chain; return how many events were checked and the first break per chain."""
    refs = dict(session.execute(select(Case.id, Case.reference)).all())
    previous: dict[int | None, str] = {}
    broken: dict[int | None, ChainBreak] = {}
    count = 0
    for event, unreadable in _stored_events(session):
        count += 1
        chain = event.case_id
        if chain in broken:
            continue
        problem = None
        if unreadable:
            problem = "its sealed content does not decrypt (it was altered, or its key is missing)"
        elif event.prev_hash != previous.get(chain, GENESIS):
            problem = "does not link to the previous event (one was removed or reordered)"
        elif event.hash != event_hash(event):
            problem = "its content was changed after it was written"
        if problem:
            broken[chain] = ChainBreak(event.id, refs.get(chain), problem)
        previous[chain] = event.hash
    return count, list(broken.values())


def _stored_events(session: Session) -> Iterator[tuple[AuditEvent, bool]]:
    # Sealed columns are read raw and opened one by one, so one altered value marks its
    # event as broken instead of stopping the whole check.
    columns = AuditEvent.__table__.columns
    sealed = {"reason", "details"}
    query = select(*(type_coerce(c, Text) if c.name in sealed else c for c in columns))
    dialect = session.get_bind().dialect
    for row in session.execute(query.order_by(AuditEvent.id)):
        values = dict(zip(columns.keys(), row, strict=True))
        try:
            for name in sealed:
                values[name] = columns[name].type.process_result_value(values[name], dialect)
        except DecryptionError:
            yield AuditEvent(**values), True
            continue
        yield AuditEvent(**values), False


def count_events(session: Session, case_id: int) -> int:
    """How many events a case's chain holds."""
    return session.scalar(select(func.count()).where(AuditEvent.case_id == case_id)) or 0
