"""Measure how fast the app acks, with bolt's process_before_response off and on.

    .venv/bin/python -m tests.slack.measure_ack [rounds]

Each round: `/ypsi help`, `/ypsi report` (views.open after the ack), every modal step, and the
final submit (alert card and DM after the ack). Times are from sending the signed request to
receiving the ack, over real HTTP on 127.0.0.1, SQLite in a temporary directory.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bot.ids import CallbackId
from conversations.academies import Academies
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER, FakeClock, make_context
from tests.slack.dialogue import ANSWERS, STEPS
from tests.slack.fake_api import FakeSlackApi
from tests.slack.harness import SlackHarness


def run(process_before_response: bool, rounds: int) -> dict[str, list[float]]:
    """Ack times in milliseconds per kind of request."""
    times: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
        academies = Academies({a.key: a for a in (OAKFIELD, RIVERSIDE)})
        ctx = make_context(f"sqlite:///{Path(tmp) / 'm.db'}", academies, clock)
        api = FakeSlackApi().start()
        slack = SlackHarness(ctx, api, process_before_response=process_before_response)
        try:
            for _ in range(rounds):
                user = TEACHER  # each round submits, so the next one starts a fresh draft
                times["help"].append(slack.command(user, "help").seconds * 1000)
                times["report (opens modal)"].append(slack.command(user, "report").seconds * 1000)
                for step in STEPS:
                    ack = slack.submit_view(user, ANSWERS[step])
                    assert ack.json["response_action"] == "update", ack.body
                    times["step"].append(ack.seconds * 1000)
                sent = slack.submit_view(user)
                assert sent.json["view"]["callback_id"] == CallbackId.SENT, sent.body
                times["submit (posts card + DM)"].append(sent.seconds * 1000)
        finally:
            slack.stop()
            api.stop()
            ctx.db.engine.dispose()
    return times


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for setting in (False, True):
        print(f"process_before_response={setting} ({rounds} rounds): median / max ms")
        for kind, values in run(setting, rounds).items():
            print(f"  {kind:28s} {statistics.median(values):7.1f} / {max(values):7.1f}")


if __name__ == "__main__":
    main()
