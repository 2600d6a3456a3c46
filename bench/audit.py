"""7. The keyed audit chain: appending an event, writing a checkpoint, and `verify` of N events.

100 cases get 100 events each (10,000 events), recorded one by one through `audit.record`
with a reason and details (both sealed, then MAC'd), 100 events per transaction. The timed
verify is the whole of `audit.verify`: every event's form, key, decryption, link and MAC,
then the checkpoint chain and the latest checkpoint's heads.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from bench.common import Row, context, ms, on_each_database
from conversations import audit
from conversations.context import Context
from conversations.models import Case
from tests.conftest import OAKFIELD, TEACHER, TEAM

NAME = "7 audit"
CASES = 100
PER_CASE = 100
REPEAT = 3


def run() -> list[Row]:
    return on_each_database(NAME, "verify", _run)


def _run(kind: str) -> list[Row]:
    with context(kind) as ctx:
        appends = _fill(ctx)
        started = time.perf_counter()
        written = audit.checkpoint_now(ctx)
        checkpoint = ms(time.perf_counter() - started)
        verify = []
        for _ in range(REPEAT):
            with ctx.db.unit_of_work() as uow:
                started = time.perf_counter()
                count, breaks = audit.verify(uow.session)
                verify.append(time.perf_counter() - started)
        assert count == CASES * PER_CASE and breaks == [], breaks
    events = f"{count:,} events"
    return [
        Row(NAME, f"record one event, {kind}", statistics.median(appends), note="median, sealed + MAC'd"),
        Row(NAME, f"checkpoint of {written.chains} chains, {kind}", checkpoint),
        Row(NAME, f"verify {events}, {kind}", ms(statistics.median(verify)), note=f"median of {REPEAT}"),
        Row(
            NAME,
            f"verify per event, {kind}",
            ms(statistics.median(verify)) / count * 1000,
            unit="µs",
        ),
    ]


def _fill(ctx: Context) -> list[float]:
    now = ctx.clock()
    with ctx.db.engine.begin() as conn:
        conn.execute(insert(Case), [_case(n, now) for n in range(CASES)])
    times = []
    with ctx.db.unit_of_work() as uow:
        ids = list(uow.session.scalars(select(Case.id).order_by(Case.id)))
    for round_ in range(PER_CASE):
        with ctx.db.unit_of_work() as uow:
            for case_id in ids:
                case = uow.session.get_one(Case, case_id)
                started = time.perf_counter()
                audit.record(
                    uow.session,
                    action="note",
                    actor_id=OAKFIELD.dsl_users[0],
                    at=now,
                    case=case,
                    reason="Education Safeguarding Advice Service (ESAS)",
                    details={"entry": round_},
                )
                times.append(ms(time.perf_counter() - started))
            uow.commit()
    return times


def _case(n: int, now: datetime) -> dict[str, Any]:
    return {
        "reference": f"YPSI-2026-{n + 1:06d}",
        "academy_key": OAKFIELD.key,
        "team_id": TEAM,
        "reporter_id": TEACHER,
        "state": "acknowledged",
        "answers": {},
        "category": "experimental_romantic",
        "triggers": [],
        "facts": [],
        "decisions": {},
        "created_at": now,
        "submitted_at": now,
        "updated_at": now,
    }
