"""5. Memory per conversation: RSS growth of the bot process with 10,000 open drafts and cases.

The bot process is a child process (`python -m bench.memory bot`): the real app served over
HTTP with the fake Slack API in threads, on a SQLite file. It warms up (the same mix of
requests twice: complete reports, `/ypsi report` opening a modal, `/ypsi status`), and its
RSS then is the baseline. A separate loader process (`python -m bench.memory load URL`) makes
one draft half answered and one submitted case through the services, and bulk-copies them
(with their reminder rows) to 10,000 open drafts and 10,000 open cases of 10,000 people.
The bot then serves 500 of those people's `/ypsi report` (the resume offer reads their draft)
and `/ypsi status` (reads their case), runs the reminder runner's maintenance pass (which
reschedules every open case and draft) and the warm-up mix once more; after gc.collect() its
RSS is read again. The fake Slack API and the harness are cleared as they go, so what could
grow is the app. The Python heap's blocks in use (sys.getallocatedblocks) are reported beside
it: RSS also keeps what the allocator freed but did not give back, and SQLite's page cache.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.clients import full_report
from bench.common import NOW, Row, Target, TimedSlackApi, academies, context, people, slack_api
from conversations.dialogue import reports
from conversations.scheduling.runner import Runner
from conversations.storage.models import Case, Draft, Reminder
from tests.answers import CASE_A, complete
from tests.conftest import TEAM, FakeClock, make_context
from tests.reminder_setup import Outbox
from tests.slack.dialogue import ANSWERS
from tests.slack.harness import SlackHarness

NAME = "5 memory"
ROOT = Path(__file__).resolve().parent.parent
OPEN = 10_000
TOUCHED = 500
MIX = {"reports": 20, "opens": 150, "status": 150}
OWNERS = people("MEM", OPEN)
MIXERS = people("MIX", 3 * (MIX["reports"] + MIX["opens"]))


def run() -> list[Row]:
    """Run the bot process and turn what it reports into rows."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "bot"], cwd=ROOT, capture_output=True, text=True, timeout=400
    )
    if done.returncode:
        raise RuntimeError(f"the memory benchmark's bot process failed: {done.stderr[-800:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    what = f"{OPEN:,} open drafts + {OPEN:,} open cases"
    return [
        Row(
            NAME,
            f"RSS growth with {what}",
            found["after"] - found["warm"],
            "MB",
            target=Target(5, "value"),
            note=f"RSS after warm-up {found['warm']:.1f} MB, after {found['after']:.1f} MB",
        ),
        Row(
            NAME,
            "RSS after, against after warm-up",
            found["after"],
            "MB",
            found["warm"],
            note=f"sweep of all open work took {found['sweep']:.1f} s",
        ),
        Row(
            NAME,
            "Python memory blocks in use after, against after warm-up",
            found["blocks_after"],
            "",
            found["blocks_warm"],
            note="sys.getallocatedblocks(): what the Python heap holds, without allocator slack",
        ),
    ]


def rss_mb() -> float:
    """This process's resident set size now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def settle() -> tuple[float, int]:
    gc.collect()
    return rss_mb(), sys.getallocatedblocks()


def bot() -> dict[str, float]:
    """The bot process: warm up, let the loader fill the database, touch it all, measure."""
    mixers = iter(MIXERS)
    with context("sqlite", OWNERS + MIXERS) as ctx, slack_api() as api:
        slack = SlackHarness(ctx, api)
        try:
            for _ in range(2):
                _mix(slack, api, mixers)
            warm, blocks_warm = settle()
            url = ctx.db.engine.url.render_as_string(hide_password=False)
            subprocess.run([sys.executable, "-m", "bench.memory", "load", url], cwd=ROOT, check=True)
            for user in OWNERS[:: OPEN // TOUCHED]:
                _answered(slack.command(user, "report"))
                _answered(slack.command(user, "status"))
                _forget(slack, api)
            started = time.perf_counter()
            Runner(ctx, Outbox()).maintain()
            sweep = time.perf_counter() - started
            _mix(slack, api, mixers)
        finally:
            slack.stop()
        after, blocks_after = settle()
    return {
        "warm": warm,
        "after": after,
        "blocks_warm": blocks_warm,
        "blocks_after": blocks_after,
        "sweep": sweep,
    }


def _mix(slack: SlackHarness, api: TimedSlackApi, people: Any) -> None:
    """The warm-up mix: complete reports, modals opened (drafts left open), status lookups."""
    for _ in range(MIX["reports"]):
        full_report(slack, next(people))
        _forget(slack, api)
    for _ in range(MIX["opens"]):
        user = next(people)
        _answered(slack.command(user, "report"))
        _answered(slack.command(user, "status"))
        _forget(slack, api)


def _answered(response: Any) -> None:
    if response.status != 200:
        raise RuntimeError(f"the app answered {response.status}")


def _forget(slack: SlackHarness, api: TimedSlackApi) -> None:
    api.forget()
    slack.current.clear()


def load(url: str) -> None:
    """The loader process: one draft and one case made by the services, copied to OPEN of each."""
    ctx = make_context(url, academies(OWNERS), FakeClock(NOW))
    first = OWNERS[0]
    case_ref = reports.submit(ctx, complete(ctx, first, TEAM, CASE_A).id, first).reference
    draft = reports.start(ctx, TEAM, first)
    for step in ("safety", "risk"):
        draft = reports.answer(ctx, draft.id, first, ANSWERS[step]).draft
    with ctx.db.unit_of_work() as uow:
        draft_row = uow.session.get(Draft, draft.id)
        case_row = uow.session.scalar(select(Case).where(Case.reference == case_ref))
        drafts = [_copy(draft_row, id=f"{n:032x}", user_id=user) for n, user in enumerate(OWNERS[1:], 1)]
        cases = [
            _copy(case_row, reference=f"YPSI-2026-{n + 1:05d}", reporter_id=user, draft_id=None)
            for n, user in enumerate(OWNERS[1:], 1)
        ]
        draft_reminders = [
            _copy(r) for r in uow.session.scalars(select(Reminder).where(Reminder.draft_id == draft.id))
        ]
        case_reminders = [
            _copy(r) for r in uow.session.scalars(select(Reminder).where(Reminder.case_id == case_row.id))
        ]
    with ctx.db.engine.begin() as conn:
        conn.execute(insert(Draft), drafts)
        case_ids = conn.execute(insert(Case).returning(Case.id), cases).scalars().all()
        rows = [{**r, "draft_id": d["id"]} for d in drafts for r in draft_reminders]
        rows += [{**r, "case_id": case_id} for case_id in case_ids for r in case_reminders]
        conn.execute(insert(Reminder), rows)
    ctx.db.engine.dispose()


def _copy(row: Any, **changes: Any) -> dict[str, Any]:
    """A row's column values without its integer id, with `changes` applied."""
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id" or "id" in changes}
    return {**values, **changes}


if __name__ == "__main__":
    if sys.argv[1] == "bot":
        print(json.dumps(bot()))
    else:
        load(sys.argv[2])
