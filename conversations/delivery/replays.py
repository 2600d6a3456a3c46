"""Interactions already handled: a replayed submission or button press changes nothing twice.

The front end names each interaction by a key (in Slack: the view's id and hash for a modal
submission; the action's timestamp, action id and user for a button), which a replay of the
same request carries again. A service claims the key in the same transaction as the work it
guards, after authorising the caller, and stores the work's outcome with it: the work and its
key commit together or not at all. A replay, even one arriving at the same moment in another
process, waits for that transaction (SQLite's write lock, PostgreSQL's unique index), finds the
key, and gets the stored outcome back instead of doing the work again. An attempt that fails
(invalid answers, not allowed now, refused) stores nothing, so a corrected submission goes
through. Repeatable decisions (a note) repeat only by a new submission: a new modal, a new key.

Keys live in `processed_deliveries` beside Slack's event ids and are purged with them after
retention.toml's [deliveries] days; outcomes hold ids and labels only, never case content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from conversations.storage.db import insert_unless_present
from conversations.storage.models import ProcessedDelivery

Outcome = dict[str, Any]


def claim(session: Session, key: str | None, at: datetime) -> Outcome | None:
    """Claim `key` in the caller's transaction: None the first time, else the stored outcome.

    No key (a front end that names none) claims nothing: the work is done as asked.
    """
    if key is None:
        return None
    inserted = session.scalar(
        insert_unless_present(session, ProcessedDelivery, key=key, at=at).returning(ProcessedDelivery.key)
    )
    if inserted is not None:
        return None
    stored = session.scalar(select(ProcessedDelivery.outcome).where(ProcessedDelivery.key == key))
    return stored or {}


def keep(session: Session, key: str | None, outcome: Outcome) -> None:
    """Store the outcome with the key this transaction claimed (nothing without a key)."""
    if key is None:
        return
    session.execute(
        update(ProcessedDelivery)
        .where(ProcessedDelivery.key == key)
        .values(outcome=outcome)
        .execution_options(synchronize_session=False)
    )
