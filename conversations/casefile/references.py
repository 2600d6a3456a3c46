"""Case references like YPSI-2026-0042: unique per deployment, numbered per school year of issue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.errors import NotFound
from conversations.storage.models import Case, ReferenceCounter

PREFIX = "YPSI"


def next_reference(session: Session, year: int) -> str:
    """Issue the next reference for `year` (in the caller's transaction).

    One upsert: the year's first number, or the counter incremented. It takes the counter's row
    lock on PostgreSQL (and the write lock on SQLite) until the transaction ends, so concurrent
    submits are serialised on the counter and never share a number; a submit that rolls back
    gives its number back, so numbers have no gaps.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    following = {"last": ReferenceCounter.last + 1}
    issue = (
        dialect.insert(ReferenceCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=[ReferenceCounter.year], set_=following)
        .returning(ReferenceCounter.last)
    )
    number = session.execute(issue).scalar_one()
    return f"{PREFIX}-{year}-{number:04d}"


def find_case(session: Session, reference: str, *, lock: bool = False) -> Case:
    """The case with this reference, or NotFound; `lock` holds the row until the transaction ends.

    FOR NO KEY UPDATE (not FOR UPDATE) so an audit event inserted meanwhile, whose foreign key
    takes a key-share lock on the case, does not wait for this transaction.
    """
    query = select(Case).where(Case.reference == reference)
    if lock:
        query = query.with_for_update(key_share=True)
    case = session.scalar(query)
    if case is None:
        raise NotFound(reference)
    return case
