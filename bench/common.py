"""What the benchmarks share: table rows, percentiles, databases, a timed fake Slack API, people.

The Slack side is the test harness itself (tests/slack): the real app served over HTTP on
127.0.0.1, signed requests, and the fake Web API, here subclassed only to note when each
call arrived.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from conversations.academies import Academies
from conversations.context import Context
from conversations.storage.models import OutboxMessage
from tests.conftest import OAKFIELD, RIVERSIDE, FakeClock, make_context, postgres_problem, postgres_url
from tests.slack.fake_api import FakeSlackApi

DATABASES = ("sqlite", "postgresql")
# Monday 23 November 2026, 10:00 UTC: a school day, as in the tests.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Skip(Exception):
    """A benchmark that cannot run here; the message says why (printed in the table)."""


@dataclass(frozen=True)
class Target:
    """A limit on the ratio (or on the value itself, `on="value"`): met when at most `limit`."""

    limit: float
    on: str = "ratio"

    def label(self, unit: str) -> str:
        return f"ratio ≤ {self.limit:g}" if self.on == "ratio" else f"≤ {self.limit:g} {unit}".strip()


@dataclass
class Row:
    """One line of the table: a measure, its baseline from the same run, and a target if any."""

    benchmark: str
    measure: str
    value: float | None
    unit: str = "ms"
    baseline: float | None = None
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def status(self) -> str:
        if self.value is None:
            return "SKIP"
        if self.target is None:
            return "-"
        measured = self.ratio if self.target.on == "ratio" else self.value
        return "PASS" if measured is not None and measured <= self.target.limit else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        target = self.target.label(self.unit) if self.target else None
        return {
            "benchmark": self.benchmark,
            "measure": self.measure,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": target,
            "status": self.status,
            "note": self.note,
        }


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p99 of 300 samples is the 297th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return seconds * 1000


def people(prefix: str, count: int) -> tuple[str, ...]:
    """`count` Slack user ids like U0BENCHA00001 (each starts a draft of their own)."""
    return tuple(f"U0{prefix}{n:06d}" for n in range(count))


def academies(staff: tuple[str, ...]) -> Academies:
    """The tests' two academies, with `staff` as Oakfield's staff (so no academy step)."""
    oakfield = replace(OAKFIELD, staff_users=OAKFIELD.staff_users + staff)
    return Academies({a.key: a for a in (oakfield, RIVERSIDE)})


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL: a SQLite file in a temporary folder, or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    problem = postgres_problem()
    if problem:
        raise Skip(problem)
    # The tests' fixture function itself (a fresh schema, dropped afterwards), used as a context.
    with contextmanager(postgres_url.__wrapped__)() as url:
        yield url


@contextmanager
def context(kind: str, staff: tuple[str, ...] = ()) -> Iterator[Context]:
    """A migrated database of `kind` and the services' context on it, with a fixed clock."""
    with database(kind) as url:
        ctx = make_context(url, academies(staff), FakeClock(NOW))
        try:
            yield ctx
        finally:
            ctx.db.engine.dispose()


def on_each_database(name: str, measure: str, run_one: Callable[[str], list[Row]]) -> list[Row]:
    """`run_one(kind)` on SQLite and on PostgreSQL; one that cannot run here gives a SKIP row."""
    rows = []
    for kind in DATABASES:
        try:
            rows += run_one(kind)
        except Skip as skipped:
            rows.append(Row(name, f"{measure}, {kind}", None, note=str(skipped)))
    return rows


@dataclass
class Arrival:
    at: float
    method: str
    params: dict[str, Any]


@dataclass
class TimedSlackApi(FakeSlackApi):
    """The fake Web API, noting the perf_counter time each call arrived (the teacher's view)."""

    arrivals: list[Arrival] = field(default_factory=list)

    def record(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        self.arrivals.append(Arrival(time.perf_counter(), method, params))
        return super().record(method, params)

    def arrived(self, method: str, after: float, channel: str | None = None) -> float:
        """When the first `method` call (to `channel`, when given) after `after` arrived."""
        found = None
        for arrival in reversed(self.arrivals):  # newest first: stop at the first older call
            if arrival.at < after:
                break
            if arrival.method == method and channel in (None, arrival.params.get("channel")):
                found = arrival.at
        if found is None:
            raise RuntimeError(f"{method} never reached the fake Slack API")
        return found

    def forget(self) -> None:
        """Drop everything recorded (long runs: the fake must not be what grows)."""
        with self._lock:
            self._calls.clear()
            self.views.clear()
            self.view_by_trigger.clear()
            self.arrivals.clear()


@contextmanager
def slack_api(cls: type[TimedSlackApi] = TimedSlackApi) -> Iterator[TimedSlackApi]:
    """The timed fake Web API, serving on a free port of 127.0.0.1."""
    api = cls().start()
    try:
        yield api
    finally:
        api.stop()


DELIVERED_WAIT = 30.0  # seconds the courier may take to deliver what the rounds queued


def wait_delivered(db: Engine) -> None:
    """Until the courier has delivered every outbox row queued so far (so its CPU is counted);
    a row it could not deliver stops the benchmark (the figures would leave out its retries)."""
    states = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    deadline = time.monotonic() + DELIVERED_WAIT
    while True:
        with db.connect() as conn:
            count = dict(conn.execute(states).tuples().all())
        if set(count) - {"pending", "delivered"}:
            raise RuntimeError(f"outbox rows not delivered: {count}")
        if not count.get("pending"):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"outbox rows still pending after {DELIVERED_WAIT:.0f} s: {count}")
        time.sleep(0.01)
