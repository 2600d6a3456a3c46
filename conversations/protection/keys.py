"""The keys in use: a startup check that every stored value can be opened, and rotation.

Works on the raw sealed text (Core, no column types), so it can name a key id without first
failing to decrypt with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Connection, Select, column, select, table, update

from conversations.context import Context
from conversations.protection import audit
from conversations.protection.crypto import Keyring
from conversations.storage.db import Database

# (table, column) of every sealed value; audit rows are never rewritten (append-only).
REWRITABLE = [
    ("drafts", "answers"),
    ("cases", "answers"),
    ("cases", "decisions"),
    ("deletions", "pseudonym"),
    ("outbox", "payload"),
]
APPEND_ONLY = [("audit_events", "reason"), ("audit_events", "details")]
# Tables whose rows carry the id of the key their MAC was made with.
MAC_KEYED = ["audit_events", "audit_checkpoints"]


@dataclass(frozen=True)
class Rotation:
    """What `rotate` did: values re-sealed with the current key, and audit values left as they are."""

    rewritten: int
    audit_keys: dict[str, int]
    retirable: tuple[str, ...]


def check(db: Database, keyring: Keyring) -> None:
    """Every key id in use must be configured, and each must open a value: else DecryptionError.

    Audit values are only checked for their key id: one altered event must not stop the
    process (or `ypsi audit verify`, which names it) from starting.
    """
    with db.engine.connect() as connection:
        for name, col in REWRITABLE + APPEND_ONLY:
            samples: dict[str, str] = {}
            for _, token in _tokens(connection, name, col):
                if (name, col) in APPEND_ONLY and Keyring.form_problem(token):
                    continue  # malformed: `ypsi audit verify` names the event
                samples.setdefault(keyring.key_id(token), token)
            for kid, token in samples.items():
                if (name, col) in APPEND_ONLY:
                    keyring.require(kid)
                else:
                    keyring.open(token, f"{name}.{col}")


def rotate(ctx: Context, keyring: Keyring, actor_id: str = "cli") -> Rotation:
    """Re-seal every rewritable value not under the current key; count audit values per old key.

    One transaction, audited: a failure leaves every value as it was.
    """
    rewritten = 0
    with ctx.db.unit_of_work() as uow:
        connection = uow.session.connection()
        for name, col in REWRITABLE:
            rewritten += _reseal(connection, keyring, name, col)
        audit_keys: Counter[str] = Counter()
        for name, col in APPEND_ONLY:
            audit_keys.update(
                kid
                for _, token in _tokens(connection, name, col)
                if not Keyring.form_problem(token) and (kid := keyring.key_id(token)) != keyring.current
            )
        # A key that keyed an audit event's or checkpoint's MAC is needed to verify it, sealed or not.
        macs = {kid for name in MAC_KEYED for (kid,) in connection.execute(_key_ids(name))}
        retirable = tuple(
            k for k in keyring.keys if k != keyring.current and k not in audit_keys and k not in macs
        )
        audit.record(
            uow.session,
            action="keys_rotated",
            actor_id=actor_id,
            at=ctx.clock(),
            details={"current_key": keyring.current, "rewritten": rewritten},
        )
        uow.commit()
    return Rotation(rewritten, dict(audit_keys), retirable)


def _key_ids(name: str) -> Select[tuple[str]]:
    source = table(name, column("key_id"))
    return select(source.c.key_id).where(source.c.key_id.is_not(None)).distinct()


def _reseal(connection: Connection, keyring: Keyring, name: str, col: str) -> int:
    purpose = f"{name}.{col}"
    target = table(name, column("id"), column(col))
    count = 0
    for row_id, token in _tokens(connection, name, col):
        if keyring.key_id(token) == keyring.current:
            continue
        fresh = keyring.seal(keyring.open(token, purpose), purpose)
        # Compare-and-set: a value the running bot rewrote meanwhile is already current.
        result = connection.execute(
            update(target).where(target.c.id == row_id, target.c[col] == token).values({col: fresh})
        )
        count += result.rowcount
    return count


def _tokens(connection: Connection, name: str, col: str) -> list[tuple[object, str]]:
    source = table(name, column("id"), column(col))
    query = select(source.c.id, source.c[col]).where(source.c[col].is_not(None))
    return [(row_id, token) for row_id, token in connection.execute(query)]
