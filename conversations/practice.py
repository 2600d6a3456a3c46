"""What the practice console keeps between runs: how far its simulated clock runs ahead."""

from __future__ import annotations

from datetime import timedelta

from conversations.storage.db import Database, insert_unless_present
from conversations.storage.models import PracticeClock

ROW = 1


def clock_offset(db: Database) -> timedelta:
    """The stored offset of the simulated clock (none yet: zero)."""
    with db.unit_of_work() as uow:
        row = uow.session.get(PracticeClock, ROW)
        return timedelta(seconds=row.offset_seconds if row else 0)


def keep_clock_offset(db: Database, offset: timedelta) -> None:
    """Store the simulated clock's offset (it only ever grows: time never runs backwards)."""
    with db.unit_of_work() as uow:
        uow.session.execute(insert_unless_present(uow.session, PracticeClock, id=ROW, offset_seconds=0))
        row = uow.session.get(PracticeClock, ROW)
        assert row is not None
        row.offset_seconds = max(row.offset_seconds, int(offset.total_seconds()))
        uow.commit()
