"""7. Starvation: Slack answering every Web API call after 2 s; eight `/ypsi report` sent at once
and a `/ypsi help` sent while their modals wait. Each ack (help and the reports') is timed from
sending to reading the answer. Before the outbox, listeners made their Web API calls in bolt's
pool of listener threads, so a help waited for a free thread (~1.8 s, issue 13); now every call
after the database work runs on the delivery workers and bolt answers when the listener returns.

Three rounds; the value is the median round's (a p99 on a shared machine flips between runs).
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bench.common import Row, Target, context, ms, people, slack_api
from bot.slack.ids import COMMAND
from tests.slack.fake_api import TEAM
from tests.slack.harness import SIGNING_SECRET, SlackHarness

NAME = "7 starvation"
LATENCY = 2.0  # seconds Slack takes to answer each call
REPORTERS = 8
ROUNDS = 3
HELP_AFTER = 0.2  # seconds after the reports, so their views.open calls are in flight


def run() -> list[Row]:
    staff = people("STV", REPORTERS * ROUNDS + 1)
    helps, reports = [], []
    with context("sqlite", staff) as ctx, slack_api() as api:
        slack = SlackHarness(ctx, api)
        try:
            api.latency = LATENCY
            for n in range(ROUNDS):
                help_ms, report_ms = _round(slack, staff[n * REPORTERS : (n + 1) * REPORTERS], staff[-1])
                helps.append(help_ms)
                reports.append(max(report_ms))
                slack.drain()
            api.latency = 0.0
        finally:
            slack.stop()
    note = f"{REPORTERS} reports + 1 help, Slack answering every call after {LATENCY:g} s; median of {ROUNDS}"
    return [
        Row(NAME, "/ypsi help ack while reports wait on Slack", statistics.median(helps),
            target=Target(250, on="value"), note=note),
        Row(NAME, "slowest /ypsi report ack in the round", statistics.median(reports), note=note
            + "; outliers of ~1 s are TCP retries against the development server's listen backlog of 5"),
    ]  # fmt: skip


def _round(slack: SlackHarness, reporters: tuple[str, ...], asker: str) -> tuple[float, list[float]]:
    gate = threading.Barrier(len(reporters) + 1)
    with ThreadPoolExecutor(len(reporters)) as pool:
        futures = [
            pool.submit(_timed, slack, _command(u, "report", f"{u}.{time.time()}"), gate) for u in reporters
        ]
        gate.wait()
        time.sleep(HELP_AFTER)
        help_ms = _timed(slack, _command(asker, "help", "help"), None)
        return help_ms, [f.result() for f in futures]


def _command(user: str, text: str, trigger: str) -> str:
    form = {"team_id": TEAM, "user_id": user, "command": COMMAND, "text": text, "trigger_id": trigger}
    return urlencode({**form, "channel_id": "C0STAFFROOM", "response_url": "https://hooks.slack.invalid/c/1"})


def _timed(slack: SlackHarness, body: str, gate: threading.Barrier | None) -> float:
    if gate is not None:
        gate.wait()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": signature}  # fmt: skip
    request = urllib.request.Request(slack.url, data=body.encode(), headers=headers, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"answered {answer.status}")
    return ms(time.perf_counter() - started)
