"""1. Time to modal and ack latency of `/ypsi report`, against the bare app, both bolt settings.

Each round sends one signed `/ypsi report` to each of four servers in turn (ypsi-bot and the
bare app, with process_before_response False and True), so drift on a shared machine hits
all four alike. Every round is a new member of staff, so ypsi-bot starts a new draft each
time. (a) is from sending the request to `views.open` arriving at the fake Slack API;
(b) is from sending the request to reading the HTTP answer.
"""

from __future__ import annotations

import time

from bench.clients import BareHarness
from bench.common import Row, Target, context, ms, people, percentile, slack_api
from bot.slack.app import PROCESS_BEFORE_RESPONSE
from tests.slack.harness import SlackHarness

NAME = "1 ack"
ROUNDS = 500
WARMUP = 20
SETTINGS = (False, True)


def run() -> list[Row]:
    staff = people("ACK", (ROUNDS + WARMUP) * len(SETTINGS))
    samples: dict[tuple[str, bool], tuple[list[float], list[float]]] = {}
    with context("sqlite", staff) as ctx, slack_api() as api:
        servers = {
            (app, setting): cls(ctx, api, process_before_response=setting)
            for app, cls in (("ypsi", SlackHarness), ("bare", BareHarness))
            for setting in SETTINGS
        }
        try:
            for n in range(ROUNDS + WARMUP):
                for (app, setting), slack in servers.items():
                    modal, ack = _one(slack, api, staff[n * len(SETTINGS) + setting])
                    if n >= WARMUP:
                        times = samples.setdefault((app, setting), ([], []))
                        times[0].append(modal)
                        times[1].append(ack)
        finally:
            for slack in servers.values():
                slack.stop()
    return [row for setting in SETTINGS for row in _rows(samples, setting)]


def _one(slack: SlackHarness, api, user: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = slack.command(user, "report")
    if answer.status != 200:
        raise RuntimeError(f"/ypsi report answered {answer.status}")
    return ms(api.arrived("views.open", started) - started), ms(answer.seconds)


def _rows(samples: dict[tuple[str, bool], tuple[list[float], list[float]]], setting: bool) -> list[Row]:
    used = " (ypsi-bot's setting)" if setting == PROCESS_BEFORE_RESPONSE else ""
    rows = []
    for index, (what, limit) in enumerate((("time to modal", 1.5), ("ack round trip", 1.0))):
        ypsi, bare = samples[("ypsi", setting)][index], samples[("bare", setting)][index]
        for p in (50, 99):
            rows.append(
                Row(
                    NAME,
                    f"{what} p{p}, process_before_response={setting}{used}",
                    percentile(ypsi, p),
                    baseline=percentile(bare, p),
                    target=Target(limit) if p == 99 else None,
                    note=f"{len(ypsi)} requests; baseline: bare bolt app, same setting",
                )
            )
    return rows
