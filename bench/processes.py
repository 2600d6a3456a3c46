"""6. Multi-process reminders on PostgreSQL: reminders sent per second by 1 and by 4 runner processes.

The same set-up as the multi-process test: 1,000 unacknowledged cases whose re-alert is due,
and runner processes (tests/reminder_worker.py: the real Runner, delivery = one line appended
to a file). The processes start while the benchmark holds a lock on the reminders table;
when every one of them is waiting for it (pg_locks), the lock is released and the clock
starts, and it stops at the last delivery (read by watching the file grow). Process start-up
is so left out, and all runners really compete from the first reminder. Each count runs
twice, alternating (1, 4, 1, 4), and the faster run counts: a shared machine only ever slows
a run down. Sent twice = reminder ids delivered more than once, over both runs.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Connection, func, select, text

from bench.common import Row, Skip, Target, context
from conversations.storage.models import Reminder
from tests.reminder_setup import london
from tests.test_reminders_processes import REMINDERS, _seed

NAME = "6 processes"
ROOT = Path(__file__).resolve().parent.parent
COUNTS = (1, 4)
RUNS = 2
POLL = 0.005


def run() -> list[Row]:
    try:
        runs = [(count, _run(count)) for _ in range(RUNS) for count in COUNTS]
    except Skip as skipped:
        return [Row(NAME, "reminders per second", None, note=str(skipped))]
    rates = {
        count: (
            max(r[0] for c, r in runs if c == count),
            sum(r[1] for c, r in runs if c == count),
            sum(r[2] for c, r in runs if c == count),
        )
        for count in COUNTS
    }
    one, four = COUNTS
    rows = [
        Row(
            NAME,
            f"reminders sent per second, {one} process",
            rates[one][0],
            "/s",
            note=f"{REMINDERS} due; best of {RUNS}",
        ),
        Row(
            NAME,
            f"reminders sent per second, {four} processes",
            rates[four][0],
            "/s",
            rates[one][0],
            note=f"{REMINDERS} due; best of {RUNS}; baseline: 1 process; 2 CPUs shared with PostgreSQL",
        ),
    ]
    for count in COUNTS:
        twice, missing = rates[count][1:]
        rows.append(
            Row(
                NAME,
                f"sent twice, {count} process{'es' if count > 1 else ''}",
                twice,
                "",
                target=Target(0, "value"),
                note=f"over {RUNS} runs of {REMINDERS}; {missing} not sent",
            )
        )
    return rows


def _run(processes: int) -> tuple[float, int, int]:
    """(reminders per second, ids delivered more than once, ids never delivered)."""
    now = london(2026, 11, 23, 10, 20)
    with context("postgresql") as ctx, tempfile.TemporaryDirectory() as tmp:
        _seed(ctx, now)
        url = ctx.db.engine.url.render_as_string(hide_password=False)
        log = Path(tmp) / "delivered.log"
        log.touch()
        command = [sys.executable, "-m", "tests.reminder_worker", url, now.isoformat(), str(log)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with ctx.db.engine.connect() as gate:
            gate.exec_driver_sql("LOCK TABLE reminders IN EXCLUSIVE MODE")
            workers = [
                subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
                for _ in range(processes)
            ]
            _wait_until_blocked(gate, workers)
            gate.rollback()
            started = time.perf_counter()
        last = _watch(log, workers)
        for worker in workers:
            _, err = worker.communicate(timeout=240)
            if worker.returncode:
                raise RuntimeError(f"reminder worker failed: {err[-500:]}")
        counts = collections.Counter(line.split()[0] for line in log.read_text().splitlines())
        with ctx.db.unit_of_work() as uow:
            sent = uow.session.scalar(select(func.count()).where(Reminder.state == "sent"))
    rate = sum(counts.values()) / (last - started)
    return rate, sum(1 for n in counts.values() if n > 1), REMINDERS - sent


def _wait_until_blocked(gate: Connection, workers: list[subprocess.Popen[str]]) -> None:
    """Wait until every worker is waiting for the lock `gate` holds."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'reminders'::regclass")
    deadline = time.monotonic() + 120
    while gate.execute(waiting).scalar() < len(workers):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError("the reminder workers did not all start")
        time.sleep(0.05)


def _watch(log: Path, workers: list[subprocess.Popen[str]]) -> float:
    """When the delivery file last grew, watched until every worker exited."""
    last, size = 0.0, 0
    while any(w.poll() is None for w in workers):
        grown = log.stat().st_size
        if grown != size:
            last, size = time.perf_counter(), grown
        time.sleep(POLL)
    if not size:
        raise RuntimeError("no reminder was delivered")
    return last
