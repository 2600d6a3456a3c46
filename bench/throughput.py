"""3. Report throughput: complete reports per second (all steps, submit, alert), 1 and 4 clients.

With 4 clients each client thread has its own harness (its own app object and HTTP server, all
on one database and one fake Slack API), because the harness waits for *its* app's listeners
after every request. CPU time is the whole benchmark process's (time.process_time): the
clients, the HTTP servers, the app and its listener threads, the fake Slack API and, on
SQLite, the database engine; PostgreSQL's own server processes are not counted. The baseline
is the bare app doing the same requests (9 per report) the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench.clients import BareHarness, full_report
from bench.common import Row, TimedSlackApi, context, on_each_database, people, slack_api
from conversations.context import Context
from tests.slack.harness import SlackHarness

NAME = "3 throughput"
REPORTS = {1: 30, 4: 60}
WARMUP = 3


def run() -> list[Row]:
    return on_each_database(NAME, "reports per second", _on)


def _on(kind: str) -> list[Row]:
    return [row for clients, reports in REPORTS.items() for row in _run(kind, clients, reports)]


def _run(kind: str, clients: int, reports: int) -> list[Row]:
    staff = people(f"TP{clients}", 2 * (reports + WARMUP * clients))
    with context(kind, staff) as ctx, slack_api() as api:
        ypsi = _measure(SlackHarness, ctx, api, staff[: len(staff) // 2], clients)
        bare = _measure(BareHarness, ctx, api, staff[len(staff) // 2 :], clients)
    where = f"{kind}, {clients} client{'s' if clients > 1 else ''}"
    note = f"{reports} reports; baseline: bare app, same requests"
    return [
        Row(NAME, f"reports per second, {where}", ypsi[0], "/s", bare[0], note=note),
        Row(NAME, f"CPU per report, {where}", ypsi[1], "ms", bare[1], note="this process's CPU (see README)"),
    ]


def _measure(
    cls: Callable[..., SlackHarness], ctx: Context, api: TimedSlackApi, staff: tuple[str, ...], clients: int
) -> tuple[float, float]:
    """(reports per second, CPU ms per report) for `clients` threads sharing `staff`'s reports."""
    servers = [cls(ctx, api) for _ in range(clients)]
    shares = [staff[n::clients] for n in range(clients)]
    try:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda s, people: [full_report(s, u) for u in people[:WARMUP]], servers, shares))
            wall, cpu = time.perf_counter(), time.process_time()
            done = pool.map(lambda s, people: [full_report(s, u) for u in people[WARMUP:]], servers, shares)
            count = sum(len(d) for d in done)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        for server in servers:
            server.stop()
    api.forget()
    return count / wall, cpu * 1000 / count
