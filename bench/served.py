"""10. ypsi-bot as deployed: `ypsi run` in its own process, against a bare bolt app and the raw HTTP floor.

Three processes serve 127.0.0.1 (bench/server_process.py): `ypsi run` with its production
settings (HTTP mode, waitress, process_before_response, outbox and courier, reminder runner)
on a SQLite file or a PostgreSQL schema, its clock moving from Monday 08:00 by STEP after each
round, once the round's deliveries are done (bench/clock.py); the bare bolt app
(bench/clients.py) behind the same HTTP server; and that HTTP server answering every POST with
nothing (the floor). The fake
Slack Web API runs in this process, answering each call after 0 ms and, in a second row set,
after 100 ms.

A round is one complete report on each server in turn (so drift hits all three alike): the
`/ypsi report` command, every step, the final submit; the floor gets the same POSTs. Measured
from outside: each ack (sending the request to reading the answer) and time to modal (sending
the command to `views.open` arriving at the fake Slack). CPU per report is the server
process's own (/proc/<pid>/stat utime + stime over the rounds, divided by the reports), and
PostgreSQL's apart: the backends serving the bot's connections (application_name), read the
same way. Each figure is the median of RUNS runs (a p99 on a shared machine flips between runs).

Then a burst on each database (0 ms Slack): BURST reporters send `/ypsi report` at the same
moment, walk their steps, and press the final submit at the same moment. Counted: connection
resets (or any failed request), acks over 3 s, and cases that exist although the teacher's
submit did not come back as the "sent" view.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text

from bench.clock import SharedClock
from bench.common import DATABASES, Row, Skip, Target, TimedSlackApi, database, ms, people, percentile
from bot.ids import CallbackId
from bot.slack.http_server import PATH
from conversations.storage.models import Case
from tests.conftest import OAKFIELD
from tests.slack.dialogue import ANSWERS, STEPS
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, Response, SlackHarness
from tests.slack.served import Request, post

NAME = "10 served"
ROOT = Path(__file__).resolve().parent.parent
REPORTS = 30  # per run and server
WARMUP = 3
RUNS = 3
LATENCIES = (0.0, 0.1)
BURST = 200
START = datetime.fromisoformat("2026-11-23T08:00:00+00:00")  # Monday, a school day in London
# A minute per report, whatever Slack's latency: at a faster pace the unacknowledged cases'
# re-alerts (every 15 minutes) would reach a volume no academy has (docs/decisions/0114).
STEP = timedelta(minutes=1)
APP_NAME = "ypsi-bench"
TICK = os.sysconf("SC_CLK_TCK")
KEYS = "test:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0="  # the tests' fixed key (tests/conftest.py)


class OutsideHarness(SlackHarness):
    """The tests' Slack client (signed requests, modal state), talking to a server in another process."""

    def __init__(self, api: TimedSlackApi, url: str) -> None:
        self._url = url
        self.triggers: dict[str, str] = {}
        super().__init__(None, api)  # type: ignore[arg-type]  # no context: the app is elsewhere

    def _start(self) -> None:
        self.url = self._url

    def stop(self) -> None:
        """Nothing to stop here: the server is a process of its own."""

    def drain(self) -> None:
        """The listeners are in another process; a command waits for its modal instead."""

    def _trigger(self, user: str) -> str:
        trigger = super()._trigger(user)
        self.triggers[user] = trigger
        return trigger

    def command(self, user: str, text: str = "", **kwargs: Any) -> Response:
        """Type `/ypsi <text>`, then wait until the modal it opens reached Slack."""
        response = super().command(user, text, **kwargs)
        trigger, deadline = self.triggers[user], time.monotonic() + 30
        while trigger not in self.api.view_by_trigger:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no modal after /ypsi {text}")
            time.sleep(0.001)
        self.current[user] = self.api.view_by_trigger[trigger]
        return response


@dataclass
class Samples:
    """One server's timings (ms) in one run, and its CPU."""

    command: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)
    modal: list[float] = field(default_factory=list)
    cpu: float = 0.0  # ms per report
    db_cpu: float | None = None


def run() -> list[Row]:
    rows: list[Row] = []
    for kind in DATABASES:
        try:
            for latency in LATENCIES:
                rows += _rows(kind, latency, [_run(kind, latency, n) for n in range(RUNS)])
            rows += _burst_rows(kind, _burst(kind))
        except Skip as skipped:
            rows.append(Row(NAME, f"all, {kind}", None, note=str(skipped)))
    return rows


# --- processes -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server process exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server process did not listen: {log.read_text()[-2000:]}")


@contextmanager
def _process(args: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """A server process (bench/server_process.py) listening on `port`; yields its pid."""
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.server_process", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=errors,
            stderr=errors,
        )
    try:
        _wait_listening(port, process, log)
        yield process.pid
    finally:
        process.terminate()  # its figures are read: a stop that lingers is cut short
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _academies_file(folder: Path, staff: tuple[str, ...]) -> Path:
    a = OAKFIELD
    path = folder / "academies.toml"
    path.write_text(
        "[[academy]]\n"
        f'key = "{a.key}"\nname = "{a.name}"\ndsl_channel = "{a.dsl_channel}"\n'
        f"dsl_users = {list(a.dsl_users)!r}\ndeputy_users = {list(a.deputy_users)!r}\n"
        f'principal_user = "{a.principal_user}"\nstaff_users = {list(staff)!r}\n'.replace("'", '"')
    )
    return path


def _ypsi_env(url: str, api: TimedSlackApi, port: int, academies: Path) -> dict[str, str]:
    if url.startswith("postgresql"):
        url += f"&application_name={APP_NAME}"
    return {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": api.url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "YPSI_ACADEMIES_FILE": str(academies),
        "YPSI_ENCRYPTION_KEYS": KEYS,
    }


@dataclass
class Servers:
    """The server processes of one run: their URLs and pids, the benchmark's own engine on the
    bot's database (for its reads), the bot's clock."""

    urls: dict[str, str]
    pids: dict[str, int]
    db: Engine
    clock: SharedClock


@contextmanager
def _servers(
    kind: str, api: TimedSlackApi, staff: tuple[str, ...], which: tuple[str, ...]
) -> Iterator[Servers]:
    with ExitStack() as stack:
        tmp, url, db, clock = run_resources(stack, kind)
        ports = {name: _free_port() for name in which}
        pids = {}
        for name in which:
            log = tmp / f"{name}.log"
            if name == "ypsi":
                env = _ypsi_env(url, api, ports[name], _academies_file(tmp, staff))
                args = ["ypsi", str(clock.path)]
            else:
                env, args = None, [name, str(ports[name]), api.url][: 3 if name == "bare" else 2]
            pids[name] = stack.enter_context(_process(args, ports[name], log, env))
        yield Servers({n: f"http://127.0.0.1:{p}{PATH}" for n, p in ports.items()}, pids, db, clock)


def run_resources(stack: ExitStack, kind: str) -> tuple[Path, str, Engine, SharedClock]:
    """What one run's servers share, closed with `stack`: a temporary folder, a fresh database of
    `kind` (its URL, and the benchmark's own engine on it) and the bot's clock."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    url = stack.enter_context(database(kind))
    db = create_engine(url)
    stack.callback(db.dispose)  # before the database goes: a PostgreSQL schema is dropped then
    clock = SharedClock(tmp / "clock", START, STEP)
    stack.callback(clock.close)
    return tmp, url, db, clock


# --- CPU -------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _backends(db: Engine) -> list[int]:
    """The PostgreSQL backends serving the bot's connections."""
    with db.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
        return list(conn.execute(query, {"name": APP_NAME}).scalars())


# --- one run ---------------------------------------------------------------------------------


def _run(kind: str, latency: float, n: int) -> dict[str, Samples]:
    staff = people(f"S{n}{int(latency * 1000):03d}", (REPORTS + WARMUP) * 2)
    api = TimedSlackApi().start()
    try:
        with _servers(kind, api, staff, ("ypsi", "bare", "floor")) as servers:
            api.latency = latency
            clients = {name: OutsideHarness(api, servers.urls[name]) for name in ("ypsi", "bare")}
            samples = {name: Samples() for name in servers.urls}
            for i in range(WARMUP):
                for name, client in clients.items():
                    _report(client, name, staff[i * 2 + (name == "bare")], Samples())
                servers.clock.next_round(servers.db)
            before = {name: _cpu_seconds(pid) for name, pid in servers.pids.items()}
            backends = {pid: _cpu_seconds(pid) for pid in _backends(servers.db)} if kind != "sqlite" else {}
            for i in range(WARMUP, WARMUP + REPORTS):
                for name, client in clients.items():
                    _report(client, name, staff[i * 2 + (name == "bare")], samples[name])
                _floor(servers.urls["floor"], samples["floor"])
                servers.clock.next_round(servers.db)
            for name, pid in servers.pids.items():
                samples[name].cpu = ms(_cpu_seconds(pid) - before[name]) / REPORTS
            if kind != "sqlite":
                now = {pid: _cpu_seconds(pid) for pid in _backends(servers.db)}
                used = sum(now[p] - backends.get(p, 0.0) for p in now)
                samples["ypsi"].db_cpu = ms(used) / REPORTS
            api.latency = 0.0
            return samples
    finally:
        api.stop()


def _report(client: OutsideHarness, name: str, user: str, into: Samples) -> None:
    started = time.perf_counter()
    ack = client.command(user, "report")
    into.modal.append(ms(client.api.arrived("views.open", started) - started))
    into.command.append(ms(ack.seconds))
    _check(ack)
    for step in STEPS:
        answer = client.submit_view(user, ANSWERS[step] if name == "ypsi" else None)
        _check(answer)
        into.step.append(ms(answer.seconds))
    sent = client.submit_view(user)
    _check(sent)
    into.submit.append(ms(sent.seconds))
    expected = CallbackId.SENT if name == "ypsi" else "bare_sent"
    if sent.json.get("view", {}).get("callback_id") != expected:
        raise RuntimeError(f"{name}: the report was not sent: {sent.body[:200]}")


def _check(answer: Response) -> None:
    if answer.status != 200:
        raise RuntimeError(f"answered {answer.status}: {answer.body[:200]}")


def _floor(url: str, into: Samples) -> None:
    """As many signed POSTs as a report makes, of a step's size, to the do-nothing server."""
    request = Request(url, "payload=" + "x" * 2000)
    for samples, count in ((into.command, 1), (into.step, len(STEPS)), (into.submit, 1)):
        for _ in range(count):
            samples.append(ms(post(request).seconds))


def _median(runs: list[dict[str, Samples]], name: str, measure: str, p: float) -> float:
    return statistics.median(percentile(getattr(r[name], measure), p) for r in runs)


def _rows(kind: str, latency: float, runs: list[dict[str, Samples]]) -> list[Row]:
    shape = f"{kind}, Slack {latency * 1000:.0f} ms"
    note = f"{REPORTS} reports × {len(STEPS) + 2} requests per run; median of {len(runs)} runs"
    rows = []
    for measure, label in (("command", "slash command ack"), ("step", "step ack"), ("submit", "submit ack")):
        for p in (50, 99):
            value = _median(runs, "ypsi", measure, p)
            rows.append(
                Row(
                    NAME,
                    f"{label} p{p}, {shape}",
                    value,
                    baseline=_median(runs, "floor", measure, p),
                    target=Target(3) if p == 99 else None,
                    note=note + "; baseline: HTTP floor",
                )
            )
            rows.append(
                Row(
                    NAME,
                    f"{label} p{p} vs bare bolt, {shape}",
                    value,
                    baseline=_median(runs, "bare", measure, p),
                    note=note + "; baseline: bare bolt",
                )
            )
        # The bare bolt app against the same floor: what bolt itself costs an ack, with no work.
        rows.append(
            Row(
                NAME,
                f"{label} p99 of bare bolt itself, {shape}",
                _median(runs, "bare", measure, 99),
                baseline=_median(runs, "floor", measure, 99),
                note=note + "; baseline: HTTP floor",
            )
        )
    for p, limit in ((50, 1.3), (99, 1.5)):
        rows.append(
            Row(
                NAME,
                f"time to modal p{p}, {shape}",
                _median(runs, "ypsi", "modal", p),
                baseline=_median(runs, "bare", "modal", p),
                target=Target(limit),
                note=note + "; baseline: bare bolt",
            )
        )
    cpu = statistics.median(r["ypsi"].cpu for r in runs)
    bare_cpu = statistics.median(r["bare"].cpu for r in runs)
    rows.append(
        Row(
            NAME,
            f"app CPU per report, {shape}",
            cpu,
            baseline=bare_cpu,
            target=Target(3),
            note="the server process's utime+stime; baseline: bare bolt process",
        )
    )
    if kind != "sqlite":
        db_cpu = statistics.median(r["ypsi"].db_cpu or 0.0 for r in runs)
        rows.append(
            Row(
                NAME,
                f"PostgreSQL CPU per report, {shape}",
                db_cpu,
                note="the backends of the bot's connections (apart from the app's)",
            )
        )
    return rows  # fmt: skip


# --- burst -----------------------------------------------------------------------------------


@dataclass
class BurstOutcome:
    failed: int = 0
    slow: int = 0
    unseen_cases: int = 0
    sent: int = 0


def _burst(kind: str) -> BurstOutcome:
    staff = people("BURST", BURST)
    outcome = BurstOutcome()
    lock = threading.Lock()
    api = TimedSlackApi().start()
    try:
        with _servers(kind, api, staff, ("ypsi",)) as servers:
            client = OutsideHarness(api, servers.urls["ypsi"])
            gate = threading.Barrier(BURST)
            seen: list[bool] = []

            def reporter(user: str) -> None:
                def timed(call: Any) -> Response | None:
                    try:
                        answer = call()
                    except (OSError, urllib.error.URLError, RuntimeError):
                        with lock:
                            outcome.failed += 1
                        return None
                    with lock:
                        outcome.slow += answer.seconds > 3
                        outcome.failed += answer.status != 200
                    return answer

                _together(gate)
                walked = timed(lambda: client.command(user, "report")) is not None and all(
                    timed(lambda step=step: client.submit_view(user, ANSWERS[step])) is not None
                    for step in STEPS
                )
                if not walked:
                    gate.abort()  # the others submit without waiting for this one
                    return
                _together(gate)
                sent = timed(lambda: client.submit_view(user))
                ok = sent is not None and sent.json.get("view", {}).get("callback_id") == CallbackId.SENT
                with lock:
                    seen.append(ok)

            threads = [threading.Thread(target=reporter, args=(u,)) for u in staff]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with servers.db.connect() as conn:
                cases = conn.execute(select(func.count()).select_from(Case)).scalar() or 0
            outcome.sent = sum(seen)
            outcome.unseen_cases = max(0, cases - outcome.sent)
    finally:
        api.stop()
    return outcome


def _together(gate: threading.Barrier) -> None:
    with suppress(threading.BrokenBarrierError):
        gate.wait(timeout=300)


def _burst_rows(kind: str, outcome: BurstOutcome) -> list[Row]:
    shape = f"{BURST} simultaneous reporters, {kind}"
    zero = Target(0, "value")
    note = f"{outcome.sent} of {BURST} reports sent"
    return [
        Row(NAME, f"{shape}: failed requests or resets", outcome.failed, "", target=zero, note=note),
        Row(NAME, f"{shape}: acks over 3 s", outcome.slow, "", target=zero, note=note),
        Row(
            NAME,
            f"{shape}: cases whose teacher saw an error",
            outcome.unseen_cases,
            "",
            target=zero,
            note=note,
        ),
    ]
