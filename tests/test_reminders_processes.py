"""Four runner processes over 1,000 due reminders on PostgreSQL: each delivered exactly once."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from conversations.models import Case, Reminder
from tests.conftest import OAKFIELD, TEACHER, TEAM, make_context
from tests.reminder_setup import london

ROOT = Path(__file__).resolve().parent.parent
REMINDERS = 1000
PROCESSES = 4


def _seed(ctx, now) -> None:
    """1,000 unacknowledged cases whose channel re-alert fell due five minutes ago."""
    reported = now - timedelta(minutes=20)
    with ctx.db.unit_of_work() as uow:
        for n in range(REMINDERS):
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


def test_four_processes_deliver_each_of_1000_reminders_exactly_once(postgres_url, academies, clock, tmp_path):
    clock.now = london(2026, 11, 23, 10, 20)
    ctx = make_context(postgres_url, academies, clock)
    _seed(ctx, clock.now)
    log = tmp_path / "delivered.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.reminder_worker", postgres_url, clock.now.isoformat(), str(log)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
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
