"""4. Reminder sweep scaling: find and claim the 100 due reminders among 1,000 or 100,000 cases.

Every case has one reminder: 100 are pending and due, the others half sent long ago and half
pending for the weeks ahead, as in a database that has run for years. Rows are bulk-inserted
with SQLAlchemy core. The timed call is the runner's own `claim` (one UPDATE … WHERE id IN
(SELECT … LIMIT 100) RETURNING); between repetitions the 100 are put back to pending. The
statement's query plan is read with EXPLAIN to show whether the (state, due_at) index is used.
PostgreSQL gets ANALYZE after the load (autovacuum would); SQLite gets none (nothing runs it).
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import event, insert, update

from bench.common import Row, Target, context, ms, on_each_database
from conversations.context import Context
from conversations.scheduling.runner import claim
from conversations.storage.models import Case, Reminder
from tests.conftest import OAKFIELD, TEACHER, TEAM

NAME = "4 sweep"
SIZES = (1_000, 100_000)
DUE = 100
REPEAT = 15
INDEX = "ix_reminders_state_due"
LEASE = timedelta(minutes=5)


def run() -> list[Row]:
    return on_each_database(NAME, f"claim {DUE} due", _run)


def _run(kind: str) -> list[Row]:
    small, large = SIZES
    with context(kind) as few, context(kind) as many:
        _fill(few, small)
        _fill(many, large)
        times, plans = _time_claims([few, many])
    uses = "uses" if INDEX in plans[1] else "does NOT use"
    return [
        Row(NAME, f"claim {DUE} due of {small:,} cases, {kind}", times[0], note=f"median of {REPEAT}"),
        Row(
            NAME,
            f"claim {DUE} due of {large:,} cases, {kind}",
            times[1],
            baseline=times[0],
            target=Target(2.0),
            note=f"median of {REPEAT}, alternating with the small one; plan {uses} {INDEX}: {plans[1]}",
        ),
    ]


def _fill(ctx: Context, size: int) -> None:
    now = ctx.clock()
    long_ago = now - timedelta(days=400)
    cases = [
        {
            "reference": f"YPSI-2026-{n + 1:06d}",
            "academy_key": OAKFIELD.key,
            "team_id": TEAM,
            "reporter_id": TEACHER,
            "state": "acknowledged" if n < DUE or n % 2 else "closed",
            "answers": {},
            "category": "experimental_romantic",
            "triggers": [],
            "facts": [],
            "decisions": {},
            "created_at": long_ago,
            "submitted_at": long_ago,
            "updated_at": long_ago,
        }
        for n in range(size)
    ]
    with ctx.db.engine.begin() as conn:
        ids = conn.execute(insert(Case).returning(Case.id), cases).scalars().all()
        conn.execute(insert(Reminder), [_reminder(n, case_id, now) for n, case_id in enumerate(ids)])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def _reminder(n: int, case_id: int, now: Any) -> dict[str, Any]:
    if n < DUE:
        state, due = "pending", now - timedelta(minutes=5 + n)
    elif n % 2:
        state, due = "pending", now + timedelta(hours=1 + n % 2000)
    else:
        state, due = "sent", now - timedelta(days=1 + n % 300)
    return {
        "kind": "referral_reminder",
        "case_id": case_id,
        "due_at": due,
        "state": state,
        "attempts": 0 if state == "pending" else 1,
        "details": {"key": "referral_reminder"},
        "created_at": due - timedelta(days=1),
        "sent_at": due if state == "sent" else None,
    }


def _time_claims(contexts: list[Context]) -> tuple[list[float], list[str]]:
    """Median ms of `claim` on each database, alternating REPEAT times, and each one's plan."""
    seen: list[list[tuple[str, Any]]] = [[] for _ in contexts]
    samples: list[list[float]] = [[] for _ in contexts]
    for n, ctx in enumerate(contexts):
        event.listen(ctx.db.engine, "before_cursor_execute", partial(_capture, seen[n]))
    for _ in range(REPEAT):
        for n, ctx in enumerate(contexts):
            started = time.perf_counter()
            claimed = claim(ctx, DUE, LEASE)
            samples[n].append(ms(time.perf_counter() - started))
            if len(claimed) != DUE:
                raise RuntimeError(f"claimed {len(claimed)} reminders, not {DUE}")
            _unclaim(ctx, [c.id for c in claimed])
    medians = [statistics.median(s) for s in samples]
    return medians, [_plan(ctx, *statements[0]) for ctx, statements in zip(contexts, seen, strict=True)]


def _capture(seen: list[tuple[str, Any]], conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
    """Keep the claim statements (UPDATE reminders … RETURNING) as sent to the database."""
    if statement.lstrip().upper().startswith("UPDATE REMINDERS") and "RETURNING" in statement.upper():
        seen.append((statement, parameters))


def _unclaim(ctx: Context, ids: list[int]) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(update(Reminder).where(Reminder.id.in_(ids)).values(state="pending", lease_until=None))


def _plan(ctx: Context, statement: str, parameters: Any) -> str:
    """The database's plan for the claim statement, on one line."""
    postgres = ctx.db.engine.dialect.name == "postgresql"
    with ctx.db.engine.connect() as conn:
        explained = conn.exec_driver_sql(
            ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters
        )
        lines = [str(row[0] if postgres else row[-1]).strip() for row in explained]
        conn.rollback()
    return " / ".join(lines)
