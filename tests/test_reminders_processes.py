"""Runner processes: four over 1,000 due reminders on PostgreSQL (each delivered exactly once),
and one killed between posting and marking sent (one duplicate, of that reminder only)."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from conversations.storage.models import Case, Reminder
from tests.conftest import OAKFIELD, TEACHER, TEAM, make_context
from tests.reminder_setup import london

ROOT = Path(__file__).resolve().parent.parent
REMINDERS = 1000
PROCESSES = 4


def _seed(ctx, now, count: int = REMINDERS) -> None:
    """`count` unacknowledged cases whose channel re-alert fell due five minutes ago."""
    reported = now - timedelta(minutes=20)
    with ctx.db.unit_of_work() as uow:
        for n in range(count):
            case = Case(
                reference=f"YPSI-2026-{n + 1:04d}",
                academy_key=OAKFIELD.key,
                team_id=TEAM,
                reporter_id=TEACHER,
                state="reported",
                answers={},
                category="experimental_romantic",
                triggers=[],
                facts=[],
                decisions={},
                created_at=reported,
                submitted_at=reported,
                updated_at=reported,
            )
            uow.session.add(case)
            uow.session.flush()
            uow.session.add(
                Reminder(
                    kind="unacknowledged",
                    case_id=case.id,
                    due_at=reported + timedelta(minutes=15),
                    state="pending",
                    attempts=0,
                    details={"key": "unacknowledged", "since": reported.isoformat()},
                    created_at=reported,
                )
            )
        uow.commit()


def _worker(url: str, now, log: Path, crash_after: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reminder_worker", url, now.isoformat(), str(log), str(crash_after)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )


def _delivered(log: Path) -> list[int]:
    return [int(line.split()[0]) for line in log.read_text().splitlines()]


def test_a_killed_runner_process_duplicates_only_the_reminder_it_was_posting(
    database_url, academies, clock, tmp_path
):
    clock.now = london(2026, 11, 23, 10, 20)
    ctx = make_context(database_url, academies, clock)
    _seed(ctx, clock.now, count=30)
    log = tmp_path / "delivered.log"
    killed = _worker(database_url, clock.now, log, crash_after=3)
    killed.communicate(timeout=120)
    assert killed.returncode == 9
    crashed = _delivered(log)[-1]
    restarted = _worker(database_url, clock.now, log)  # at once: the killed one's batch is leased
    assert restarted.communicate(timeout=120)[1] == "" and restarted.returncode == 0
    later = _worker(database_url, clock.now + timedelta(minutes=6), log)  # after the lease
    assert later.communicate(timeout=120)[1] == "" and later.returncode == 0
    counts = collections.Counter(_delivered(log))
    with ctx.db.unit_of_work() as uow:
        states = collections.Counter(
            uow.session.scalars(select(Reminder.state).where(Reminder.kind == "unacknowledged"))
        )
    ctx.db.engine.dispose()
    assert len(counts) == 30 and states == {"sent": 30}
    assert {r: n for r, n in counts.items() if n > 1} == {crashed: 2}


def test_four_processes_deliver_each_of_1000_reminders_exactly_once(postgres_url, academies, clock, tmp_path):
    clock.now = london(2026, 11, 23, 10, 20)
    ctx = make_context(postgres_url, academies, clock)
    _seed(ctx, clock.now)
    log = tmp_path / "delivered.log"
    workers = [_worker(postgres_url, clock.now, log) for _ in range(PROCESSES)]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
    lines = [line.split() for line in log.read_text().splitlines()]
    counts = collections.Counter(int(reminder) for reminder, _ in lines)
    with ctx.db.unit_of_work() as uow:
        ids = set(uow.session.scalars(select(Reminder.id).where(Reminder.kind == "unacknowledged")))
        sent = uow.session.scalar(select(func.count()).where(Reminder.state == "sent"))
    ctx.db.engine.dispose()
    assert set(counts) == ids and len(ids) == REMINDERS
    assert max(counts.values()) == 1
    assert sent == REMINDERS
    assert len({pid for _, pid in lines}) > 1  # the work really was shared
