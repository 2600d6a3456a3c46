"""7. The keyed audit chain: appending an event, writing a checkpoint, and `verify` of N events.

100 cases get 100 events each (10,000 events), recorded one by one through `audit.record`
with a reason and details (both sealed, then MAC'd), 100 events per transaction. The timed
verify is the whole of `audit.verify`: every event's form, key, decryption, link and MAC,
then the checkpoint chain and the latest checkpoint's heads.

The oracle row replays the attack of issue 12 on 20 cases taken through real decisions
(acknowledge, then advice sought twice, with every option in turn): for each event
with a reason, SHA-256 over its canonical form with every option label of decisions.toml
(and small `entry` indexes) against (a) the unkeyed hash the app stored before the chain was
keyed, computed from the same event, and (b) the MAC stored now.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from bench.common import Row, context, ms, on_each_database
from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.reminder_setup import report

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
    with context(kind, (TEACHER,)) as ctx:
        unkeyed, keyed, reasons = _oracle(ctx)
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
        Row(NAME, f"reasons recovered from the unkeyed hash, {kind}", unkeyed, unit=f"of {reasons}"),
        Row(NAME, f"reasons recovered from the stored MAC, {kind}", keyed, unit=f"of {reasons}"),
    ]


def _oracle(ctx: Context) -> tuple[int, int, int]:
    services = ("esas", "first_response", "stoke_referral", "police_mash", "other")
    for n in range(20):
        reference = report(ctx)
        dsl = OAKFIELD.dsl_users[0]
        casework.record_decision(ctx, reference, dsl, "acknowledged", {})
        casework.record_decision(
            ctx, reference, dsl, "advice_sought", {"service": services[n % 5], "adviser": "A"}
        )
        casework.record_decision(
            ctx, reference, dsl, "advice_sought", {"service": services[(n + 2) % 5], "adviser": "B"}
        )
    labels = [
        label for d in load_decisions().by_key.values() for f in d.fields for label in f.options.values()
    ]
    unkeyed = keyed = reasons = 0
    with ctx.db.unit_of_work() as uow:
        for event in uow.session.scalars(select(AuditEvent).where(AuditEvent.reason.is_not(None))):
            reasons += 1
            unkeyed += _guess(event, audit.event_hash(event), labels) == event.reason
            keyed += _guess(event, event.hash, labels) == event.reason
    return unkeyed, keyed, reasons


def _guess(event: AuditEvent, target: str, labels: list[str]) -> str | None:
    names = ("case_id", "academy_key", "actor_id", "at", "action", "from_state", "to_state", "prev_hash")
    clear = {name: getattr(event, name) for name in names}
    for label in labels:
        for entry in range(4):
            if audit.event_hash(AuditEvent(**clear, reason=label, details={"entry": entry})) == target:
                return label
    return None


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
