"""Units of work on SQLite: a writing one holds the write lock from its first read; a read-only one
never does and cannot commit; a writing one nested in another fails at once."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from conversations.storage.db import NestedWrite, ReadOnlyWrite
from conversations.storage.models import Case, ReferenceCounter


def other_writer_can_begin(sqlite_url: str) -> bool:
    """Whether a second connection could take the write lock right now (no waiting)."""
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        connection.close()
    return True


def test_a_writing_unit_holds_the_write_lock_from_its_first_read(sqlite_ctx, sqlite_url):
    with sqlite_ctx.db.unit_of_work() as uow:
        uow.session.scalar(select(Case.id))  # a read, nothing written yet
        assert not other_writer_can_begin(sqlite_url)
    assert other_writer_can_begin(sqlite_url)


def test_a_read_only_unit_never_takes_the_write_lock(sqlite_ctx, sqlite_url):
    with sqlite_ctx.db.unit_of_work(read_only=True) as uow:
        uow.session.scalar(select(Case.id))
        assert other_writer_can_begin(sqlite_url)


def test_a_read_only_unit_cannot_commit(ctx):
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.session.add(ReferenceCounter(year=2031, last=5))
        with pytest.raises(ReadOnlyWrite):
            uow.commit()
    with ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.get(ReferenceCounter, 2031) is None


def test_a_writing_unit_inside_another_fails_at_once_on_sqlite(sqlite_ctx):
    with sqlite_ctx.db.unit_of_work() as outer:
        outer.session.scalar(select(Case.id))
        with pytest.raises(NestedWrite), sqlite_ctx.db.unit_of_work():
            pass
        outer.session.rollback()  # the outer transaction ended: the inner may write
        with sqlite_ctx.db.unit_of_work() as inner:
            inner.session.add(ReferenceCounter(year=2031, last=1))
            inner.commit()
    with sqlite_ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.get(ReferenceCounter, 2031).last == 1
