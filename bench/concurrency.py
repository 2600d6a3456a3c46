"""7. Simultaneous DSL actions on one database: two app processes, 200 signed actions each, at once.

The app runs as two processes (tests/app_worker.py: the real bolt app over HTTP, as `ypsi run`
serves it) on one SQLite file, then on one PostgreSQL schema. 100 reported cases; for each, the
DSL's Acknowledge goes to one process and the deputy's to the other at the same moment, and so
do a note from each: 400 signed requests released together. Counted afterwards, from the
database and the fake Web API:

- lost: a case nobody acknowledged, or a note sent and not on the case;
- doubled: a case acknowledged more than once, a reporter told more than once, a note kept twice;
- audit chains that `ypsi audit verify` would report broken (in the note).

Target: 0 lost and 0 doubled on each database.
"""

from __future__ import annotations

import collections
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench.common import DATABASES, Row, Skip, Target, context, slack_api
from bot.ids import ActionId
from bot.slack.views.case import decision_view
from conversations.casefile import casework
from conversations.dialogue import reports
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.slack.fake_api import dm_channel
from tests.slack.harness import state_values
from tests.slack.served import Request, interaction, message_click, modal_submission, send_all, served

NAME = "7 concurrency"
CASES = 100
PROCESSES = 2
DSL, DEPUTY = OAKFIELD.dsl_users[0], OAKFIELD.deputy_users[0]
PICKED_UP = "A DSL has picked up your report"


def run() -> list[Row]:
    rows = []
    for kind in DATABASES:
        try:
            rows += _rows(kind, _run(kind))
        except Skip as skipped:
            rows.append(Row(NAME, f"lost and doubled, {kind}", None, note=str(skipped)))
    return rows


def _rows(kind: str, outcome: Outcome) -> list[Row]:
    shape = f"{PROCESSES} processes × {outcome.sent // PROCESSES} simultaneous DSL actions, {kind}"
    zero = Target(0, "value")
    return [
        Row(NAME, f"{shape}: lost", outcome.lost, "", target=zero),
        Row(NAME, f"{shape}: doubled", outcome.doubled, "", target=zero),
        Row(NAME, f"{shape}: broken audit chains", outcome.breaks, "", target=zero),
        Row(
            NAME, f"{shape}: failed requests", outcome.failed, "", target=zero, note="answered other than 200"
        ),
        Row(NAME, f"{shape}: until all answered", outcome.seconds, "s"),
    ]


@dataclass(frozen=True)
class Outcome:
    """What one run counted."""

    lost: int
    doubled: int
    breaks: int
    failed: int
    seconds: float
    sent: int


def _run(kind: str) -> Outcome:
    """Send the actions at once and count what was lost and what doubled."""
    with context(kind) as ctx, slack_api() as api, tempfile.TemporaryDirectory() as tmp:
        refs = _reported(ctx)
        with served(ctx, api, PROCESSES, Path(tmp)) as urls:
            requests = _actions(ctx, refs, urls)
            started = time.perf_counter()
            answers = send_all(requests)
            seconds = time.perf_counter() - started
        with ctx.db.unit_of_work(read_only=True) as uow:
            acknowledged = collections.Counter(
                uow.session.scalars(
                    select(Case.reference)
                    .join(AuditEvent, AuditEvent.case_id == Case.id)
                    .where(AuditEvent.action == "acknowledged")
                )
            )
            kept = collections.Counter(
                e["values"]["note"]
                for case in uow.session.scalars(select(Case))
                for e in case.decisions.get("note", [])
            )
            breaks = len(audit.verify(uow.session)[1])
        told = [p for p in api.posted(dm_channel(TEACHER)) if PICKED_UP in p.get("text", "")]
        sent_notes = {f"{ref} note by {who}" for ref in refs for who in (DSL, DEPUTY)}
        lost = sum(1 for ref in refs if not acknowledged[ref]) + len(sent_notes - set(kept))
        doubled = (
            sum(n - 1 for n in acknowledged.values() if n > 1)
            + max(0, len(told) - CASES)
            + sum(n - 1 for n in kept.values() if n > 1)
        )
        failed = sum(1 for a in answers if a.status != 200)
        return Outcome(lost, doubled, breaks, failed, seconds, len(requests))


def _reported(ctx) -> list[str]:
    """CASES reported cases (the first through the dialogue; the rest copies of its row, for speed)."""
    first = reports.submit(ctx, complete(ctx, TEACHER, TEAM, CASE_A).id, TEACHER).reference
    with ctx.db.unit_of_work() as uow:
        model = uow.session.scalar(select(Case).where(Case.reference == first))
        copies = [
            Case(
                reference=f"YPSI-2026-{9000 + n:04d}",
                academy_key=model.academy_key,
                team_id=model.team_id,
                reporter_id=model.reporter_id,
                state=model.state,
                answers=model.answers,
                category=model.category,
                triggers=model.triggers,
                urgent=False,
                under_13=model.under_13,
                immediate_referral=model.immediate_referral,
                facts=[],
                decisions={},
                created_at=model.created_at,
                submitted_at=model.submitted_at,
                updated_at=model.updated_at,
            )
            for n in range(1, CASES)
        ]
        uow.session.add_all(copies)
        uow.commit()
    return [first, *(c.reference for c in copies)]


def _actions(ctx, refs: list[str], urls: list[str]) -> list[Request]:
    """For each case: both DSLs acknowledge and both add a note, each pair split over the processes."""
    requests = []
    for n, ref in enumerate(refs):
        form = decision_view(casework.decision_form(ctx, ref, DSL, "note"))
        for side, who in enumerate((DSL, DEPUTY)):
            url = urls[side % len(urls)]
            click = message_click(
                who, OAKFIELD.dsl_channel, "1790000000.000001", ActionId.ACKNOWLEDGE, ref, n
            )
            requests.append(interaction(url, {**click, "trigger_id": f"{n}.{side}.ack"}))
            state = state_values(form, {"note": f"{ref} note by {who}"})
            requests.append(interaction(url, modal_submission(who, form, state, f"VB{n:05d}{side}")))
    return requests
