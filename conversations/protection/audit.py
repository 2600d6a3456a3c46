"""The audit trail: append-only events, each chained to the previous event of its case by a keyed MAC.

The database refuses UPDATE and DELETE on the table (see the initial migration). Each event's
`hash` is an HMAC-SHA256, under a key derived from the encryption key named in its `key_id`,
over its stored form: clear columns and the sealed reason and details as stored. So the database
alone neither reveals a sealed value (no plaintext to test guesses against) nor lets anyone
rewrite a chain consistently. Checkpoints (`checkpoint`) record the head of every chain, so a
chain cut back, or removed whole, shows in `verify`.

Events written before the chain was keyed carry `key_id` None and a SHA-256 over their
plaintext; migration 0006 appended one keyed event to each such chain that links to its last
one (see docs/decisions/0050-keyed-audit-chain.md).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import Connection, Text, func, insert, literal, select, text, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from conversations.context import Context
from conversations.protection.crypto import SETTING, DecryptionError, Keyring, keyring_of
from conversations.storage.models import AuditCheckpoint, AuditEvent, Case

GENESIS = "0" * 64
SEALED = ("reason", "details")
# Purposes of the derived MAC keys: one for events, one for checkpoints.
CHAIN_MAC = "audit_events.chain"
CHECKPOINT_MAC = "audit_checkpoints.heads"
NO_CASE = "-"
HEADS = "ypsi_audit_heads"  # Session.info key: the chains this transaction holds (`_held_heads`)
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
) -> int:
    """Append one event (in the caller's transaction) and return its id."""
    case_id = case.id if case is not None else None
    session.flush()
    connection = session.connection()
    heads = _held_heads(session)
    if case_id not in heads:
        _lock_chain(connection, case_id)
        heads[case_id] = _last_hash(connection, case_id)
    values = {
        "case_id": case_id,
        "academy_key": academy_key or (case.academy_key if case is not None else None),
        "actor_id": actor_id,
        "at": at,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "details": details or {},
    }
    event_id, heads[case_id] = _insert(connection, heads[case_id], values)
    # Ids only: the reason and details may hold case content.
    log.info(
        "audit event",
        extra={
            "case": case.reference if case is not None else None,
            "event_id": event_id,
            "action": action,
            "actor": actor_id,
            "academy": values["academy_key"],
        },
    )
    return event_id


def append(connection: Connection, **values: Any) -> int:
    """Seal, link and MAC one event with the current key, insert it, and return its id.

    Core only (no ORM row), so a migration can re-anchor chains with it.
    """
    return _insert(connection, _last_hash(connection, values["case_id"]), values)[0]


def _insert(connection: Connection, prev_hash: str, values: dict[str, Any]) -> tuple[int, str]:
    """Insert one event linked to `prev_hash`; its id and hash (the chain's new head)."""
    keyring = keyring_of(connection.dialect)
    columns = AuditEvent.__table__.columns
    stored = {
        **values,
        **{name: columns[name].type.process_bind_param(values[name], connection.dialect) for name in SEALED},
        "prev_hash": prev_hash,
        "key_id": keyring.current,
    }
    stored["hash"] = keyed_hash(keyring, stored)
    # The sealed values go in as they are: the column types would seal them a second time.
    row = {k: literal(v, Text()) if k in SEALED and v is not None else v for k, v in stored.items()}
    result = connection.execute(insert(AuditEvent.__table__).values(row))
    return result.inserted_primary_key[0], stored["hash"]


def new_chain(session: Session, case: Case) -> None:
    """Note that `case` was created (and flushed) in this transaction: its chain is empty.

    Its first event then links to GENESIS without a lock or a read. No other transaction can
    append to the chain meanwhile: every writer of a case's events has read the case row, which
    no other transaction sees before this one commits.
    """
    _held_heads(session)[case.id] = GENESIS


def _held_heads(session: Session) -> dict[int | None, str]:
    """The chains this transaction has locked, each with its last hash (the event it last wrote).

    A chain's head is read once per transaction: after that no one else can append to it until
    the transaction ends (PostgreSQL: the chain's advisory lock; SQLite: the write lock), so the
    hash this transaction wrote last is the head. Kept per transaction: a new one reads again.
    """
    transaction = session.get_transaction()
    held = session.info.get(HEADS)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        session.info[HEADS] = held
    return held[1]


def _lock_chain(connection: Connection, case_id: int | None) -> None:
    # Two writers of one chain must not both link to the same predecessor. SQLite serialises
    # writers; PostgreSQL needs a transaction-scoped lock per chain.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7341, :k)"), {"k": case_id or 0})


def _last_hash(connection: Connection, case_id: int | None) -> str:
    last = connection.scalar(
        select(AuditEvent.hash).where(_chain(case_id)).order_by(AuditEvent.id.desc()).limit(1)
    )
    return last or GENESIS


def _chain(case_id: int | None):  # type: ignore[no-untyped-def]
    return AuditEvent.case_id == case_id if case_id is not None else AuditEvent.case_id.is_(None)


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def keyed_hash(keyring: Keyring, stored: dict[str, Any]) -> str:
    """The MAC of an event's stored form (sealed values as stored), under its `key_id`."""
    names = ("case_id", "academy_key", "actor_id", "action", "from_state", "to_state", "prev_hash", "key_id")
    body = {name: stored[name] for name in names + SEALED}
    body["at"] = _instant(stored["at"])
    return keyring.mac(stored["key_id"], CHAIN_MAC, _canonical(body))


def event_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 of events written before the chain was keyed: over the plaintext."""
    canonical = _canonical(
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
        }
    )
    return sha256(canonical).hexdigest()


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A written checkpoint: its id, its short digest (to keep outside the database), what it covers."""

    id: int
    digest: str
    chains: int
    events: int


DIGEST_CHARS = 16


def checkpoint(connection: Connection, at: datetime) -> Checkpoint:
    """Record the head of every chain (count, last event id, last MAC), MAC'd and chained."""
    keyring = keyring_of(connection.dialect)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7341, -1)"))
    heads = _heads(connection)
    stored = {
        "at": at,
        "heads": _canonical(heads).decode(),
        "key_id": keyring.current,
        "prev_mac": connection.scalar(
            select(AuditCheckpoint.mac).order_by(AuditCheckpoint.id.desc()).limit(1)
        )
        or GENESIS,
    }
    stored["mac"] = checkpoint_mac(keyring, stored)
    result = connection.execute(insert(AuditCheckpoint.__table__).values(stored))
    events = sum(count for count, _, _ in heads.values())
    log.info("audit checkpoint", extra={"event_id": result.inserted_primary_key[0], "count": events})
    return Checkpoint(result.inserted_primary_key[0], stored["mac"][:DIGEST_CHARS], len(heads), events)


CHECKPOINT_EVERY = timedelta(days=1)


def checkpoint_if_due(ctx: Context, every: timedelta = CHECKPOINT_EVERY) -> Checkpoint | None:
    """Write a checkpoint when the last one is `every` old (or there is none); the runner calls it."""
    with ctx.db.unit_of_work() as uow:
        connection = uow.session.connection()
        last = connection.scalar(select(func.max(AuditCheckpoint.at)))
        if last is not None and ctx.clock() - last < every:
            return None
        written = checkpoint(connection, ctx.clock())
        uow.commit()
    return written


def checkpoint_now(ctx: Context) -> Checkpoint:
    """Write a checkpoint at once (`ypsi audit checkpoint`)."""
    with ctx.db.unit_of_work() as uow:
        written = checkpoint(uow.session.connection(), ctx.clock())
        uow.commit()
    return written


def latest_digest(connection: Connection) -> str | None:
    """The short digest of the latest checkpoint, for the weekly digest (no content)."""
    mac = connection.scalar(select(AuditCheckpoint.mac).order_by(AuditCheckpoint.id.desc()).limit(1))
    return mac[:DIGEST_CHARS] if mac else None


def checkpoint_mac(keyring: Keyring, stored: dict[str, Any]) -> str:
    """The MAC of a checkpoint's stored form, under its `key_id`."""
    body = {"at": _instant(stored["at"]), "heads": stored["heads"], "prev_mac": stored["prev_mac"]}
    return keyring.mac(stored["key_id"], CHECKPOINT_MAC, _canonical({**body, "key_id": stored["key_id"]}))


def _heads(connection: Connection) -> dict[str, list[Any]]:
    counts = connection.execute(
        select(AuditEvent.case_id, func.count(), func.max(AuditEvent.id)).group_by(AuditEvent.case_id)
    ).all()
    last = dict(
        connection.execute(
            select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_([m for _, _, m in counts]))
        ).all()
    )
    return {_chain_key(case_id): [count, top, last[top]] for case_id, count, top in counts}


def _chain_key(case_id: int | None) -> str:
    return NO_CASE if case_id is None else str(case_id)


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """One problem found: an event (event_id), a chain (case_reference) or a checkpoint."""

    event_id: int | None
    case_reference: str | None
    problem: str


@dataclass
class _Chain:
    last: str = GENESIS
    keyed: bool = False
    count: int = 0
    hashes: dict[int, str] = field(default_factory=dict)


def verify(session: Session, head: str | None = None) -> tuple[int, list[ChainBreak]]:
    """Check every event and chain; return how many events were checked and every problem found.

    `head` is a checkpoint digest kept outside the database (e.g. from the weekly digest): its
    checkpoint must still be there, and every chain must still reach the heads it recorded.
    """
    connection = session.connection()
    keyring = keyring_of(connection.dialect)
    refs: dict[int | None, str | None] = dict(connection.execute(select(Case.id, Case.reference)).all())
    chains: dict[int | None, _Chain] = defaultdict(_Chain)
    breaks: list[ChainBreak] = []
    count = 0
    for stored in _stored_events(connection):
        count += 1
        chain = chains[stored["case_id"]]
        problem = _problem(keyring, connection.dialect, stored, chain)
        if problem:
            breaks.append(ChainBreak(stored["id"], refs.get(stored["case_id"]), problem))
        chain.last, chain.count = stored["hash"], chain.count + 1
        chain.keyed = chain.keyed or stored["key_id"] is not None
        chain.hashes[stored["id"]] = stored["hash"]
    for case_id, chain in chains.items():
        if not chain.keyed:
            breaks.append(ChainBreak(None, refs.get(case_id), "no event of the chain carries the audit key"))
    breaks.extend(_checkpoint_breaks(connection, keyring, chains, refs, head))
    return count, breaks


def _stored_events(connection: Connection) -> Iterator[dict[str, Any]]:
    # Sealed columns are read raw: the MAC is over them as stored, and one altered value must
    # mark its event, not stop the whole check.
    columns = AuditEvent.__table__.columns
    query = select(*(type_coerce(c, Text) if c.name in SEALED else c for c in columns))
    for row in connection.execute(query.order_by(AuditEvent.id)):
        yield dict(zip(columns.keys(), row, strict=True))


def _problem(keyring: Keyring, dialect: Dialect, stored: dict[str, Any], chain: _Chain) -> str | None:
    for name in SEALED:
        if stored[name] is not None and (bad := Keyring.form_problem(stored[name])):
            return f"its sealed {name} is malformed: it {bad}"
    kid = stored["key_id"]
    if kid is not None and kid not in keyring.keys:
        return f"its key '{kid}' is not configured: add it back to {SETTING}"
    columns = AuditEvent.__table__.columns
    try:
        opened = {name: columns[name].type.process_result_value(stored[name], dialect) for name in SEALED}
    except (DecryptionError, ValueError):
        return "its sealed content does not decrypt (it was altered, or its key is missing)"
    if stored["prev_hash"] != chain.last:
        return "does not link to the previous event (one was removed or reordered)"
    if kid is None and chain.keyed:
        return "it carries no audit key although its chain was already keyed (written behind the app's back)"
    expected = keyed_hash(keyring, stored) if kid else event_hash(AuditEvent(**{**stored, **opened}))
    if not hmac.compare_digest(stored["hash"], expected):
        return "its content was changed after it was written"
    return None


def _checkpoint_breaks(
    connection: Connection,
    keyring: Keyring,
    chains: dict[int | None, _Chain],
    refs: dict[int | None, str | None],
    head: str | None,
) -> list[ChainBreak]:
    breaks: list[ChainBreak] = []
    rows = [AuditCheckpoint(**r._mapping) for r in connection.execute(select(AuditCheckpoint.__table__))]
    rows.sort(key=lambda r: r.id)
    previous, sound = GENESIS, []
    for row in rows:
        stored = {c: getattr(row, c) for c in ("at", "heads", "key_id", "prev_mac")}
        if row.key_id not in keyring.keys:
            problem = f"its key '{row.key_id}' is not configured: add it back to {SETTING}"
        elif row.prev_mac != previous:
            problem = "does not link to the previous checkpoint (one was removed)"
        elif not hmac.compare_digest(row.mac, checkpoint_mac(keyring, stored)):
            problem = "it was changed after it was written"
        else:
            problem = None
            sound.append(row)
        if problem:
            breaks.append(ChainBreak(None, None, f"checkpoint {row.id}: {problem}"))
        previous = row.mac
    anchors = sound[-1:]
    if head:
        named = [r for r in rows if r.mac.startswith(head.strip().lower())]
        if not named:
            breaks.append(
                ChainBreak(None, None, f"checkpoint {head} is not in the database: checkpoints were removed")
            )
        elif named[0] in sound and named[0] not in anchors:
            anchors.append(named[0])
    for anchor in anchors:
        for key, (expected, last_id, last_hash) in json.loads(anchor.heads).items():
            case_id = None if key == NO_CASE else int(key)
            chain = chains.get(case_id, _Chain())
            if chain.count == 0:
                problem = f"the whole chain is missing (checkpoint {anchor.id} counted {expected} events)"
            elif chain.hashes.get(last_id) != last_hash:
                problem = f"its tail was cut: event {last_id}, its head at checkpoint {anchor.id}, is missing"
            elif chain.count < expected:
                problem = (
                    f"events were removed: checkpoint {anchor.id} counted {expected}, {chain.count} remain"
                )
            else:
                continue
            breaks.append(ChainBreak(None, refs.get(case_id) or _chain_name(case_id), problem))
    return breaks


def _chain_name(case_id: int | None) -> str:
    return "(no case)" if case_id is None else f"#{case_id}"


def count_events(session: Session, case_id: int) -> int:
    """How many events a case's chain holds."""
    return session.scalar(select(func.count()).where(AuditEvent.case_id == case_id)) or 0
