"""11. Microsoft Teams as deployed: `ypsi run` with Teams in its own process, against a bare SDK app.

Two processes serve 127.0.0.1 (bench/teams_process.py): `ypsi run` with Teams configured and its
production settings (uvicorn behind the Teams server's guard, every activity's JWT validated by
the SDK, the courier and the reminder runner), on a SQLite file or a PostgreSQL schema, its clock
moving from Monday 08:00 by STEP after each round (bench/clock.py); and a bare app of the
same SDK, built with the same settings and auth and served by the same server, answering a
dialog's opening and each submission with a static card and a message with one static reply.
The SDK's JWT validation reads its signing key from an OpenID metadata server on loopback (the
tests' key); the fake Bot Connector runs in this process, answering each call after 0 ms and,
in a second row set, after 100 ms.

A round is one complete report on each server in turn (so drift hits both alike): the personal
message `report` (the bot replies with the welcome card holding the Report button), the button's
task/fetch (the dialog opens on the first step), a task/submit per step, and the final submit;
the bare app gets the very same activities. Measured from outside, sending the activity to
reading the HTTP answer: time to dialog (the task/fetch answer carrying the first step's card),
each step's ack (the next card), the submit ack (the "sent" card), and the message ack (it
includes the reply's round trip to the Bot Connector in both apps: the SDK answers the HTTP
request once the handler has returned). CPU per report is each process's own (/proc/<pid>/stat
utime + stime over the rounds, once the courier has delivered what they queued, divided by the
reports), and PostgreSQL's apart (the backends of the bot's connections). A run is new processes
on a new database, WARMUP reports, then REPORTS at each latency; each figure is the median of
RUNS runs.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Row, Skip, Target, ms, percentile, wait_delivered
from bench.served import (
    APP_NAME,
    KEYS,
    Servers,
    _backends,
    _cpu_seconds,
    _free_port,
    _wait_listening,
    run_resources,
)
from bot.ids import CallbackId, step_callback
from bot.teams.app import PATH
from bot.teams.ids import DataKey
from tests.slack.dialogue import ANSWERS, STEPS
from tests.teams.fake_connector import FakeConnector
from tests.teams.fixtures import DEPUTY, DSL, DSL_CHANNEL, DSL_TEAM, LARCHWOOD, PRINCIPAL, SAFE_ROSTER
from tests.teams.harness import APP_ID, TENANT, OpenIdServer, Person, Response, TeamsHarness, claims, sign
from tests.teams.harness import find_action as _find_action

NAME = "11 teams"
ROOT = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")
REPORTS = 15  # per run, latency and server
WARMUP = 3
RUNS = 3
LATENCIES = (0.0, 0.1)
# Simulated seconds per real second: a run's morning moves on by about half an hour, so the first
# cases' re-alerts fall due. Not benchmark 10's 240x: 40 unacknowledged cases of one academy over
# two simulated hours make ~9 reminders each, a volume no academy has, which then fills the
# courier and the CPU figure.


@dataclass
class Samples:
    """One server's timings (ms) in one run, and its CPU (ms per report)."""

    dialog: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)
    message: list[float] = field(default_factory=list)
    cpu: float = 0.0
    db_cpu: float | None = None


def run() -> list[Row]:
    rows: list[Row] = []
    for kind in DATABASES:
        try:
            runs = _runs(kind)
        except Skip as skipped:
            rows.append(Row(NAME, f"all, {kind}", None, note=str(skipped)))
            continue
        for latency in LATENCIES:
            rows += _rows(kind, latency, runs[latency])
    return rows


# --- the fake Bot Connector and the client ---------------------------------------------------


@dataclass
class SlowConnector(FakeConnector):
    """The tests' fake Bot Connector, answering every call after `latency` seconds."""

    latency: float = 0.0

    def _answer(self, request: Any, method: str) -> None:
        if self.latency:
            time.sleep(self.latency)
        super()._answer(request, method)


class OutsideTeams(TeamsHarness):
    """The tests' Teams client (activities, dialog following), talking to a server in another
    process with one signed token (the Bot Connector reuses its token until it expires); the
    time of the last round trip is in `seconds`."""

    def __init__(self, connector: FakeConnector, url: str) -> None:
        self.connector = connector
        self.url = url
        self.dialogs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.token = sign(claims(connector.url))
        self.seconds = 0.0

    def stop(self) -> None:
        """Nothing to stop here: the server is a process of its own."""

    def post(self, activity: dict[str, Any], *, token: str | None = "signed") -> Response:
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        started = time.perf_counter()
        response = self.raw(body, headers)
        self.seconds = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"answered {response.status}: {response.body[:200]}")
        return response


# --- processes -------------------------------------------------------------------------------


@contextmanager
def _processes(started: dict[str, tuple[list[str], int, Path, dict[str, str]]]) -> Iterator[dict[str, int]]:
    """Server processes (bench/teams_process.py), started together, each listening on its port;
    yields their pids by name."""
    processes = {}
    try:
        for name, (args, _, log, env) in started.items():
            with log.open("w") as errors:
                processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "bench.teams_process", *args],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                    stdout=errors,
                    stderr=errors,
                )
        for name, (_, port, log, _) in started.items():
            _wait_listening(port, processes[name], log)
        yield {name: process.pid for name, process in processes.items()}
    finally:
        for process in processes.values():
            process.terminate()  # their figures are read: a stop that lingers is cut short
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _academies_file(folder: Path, staff: list[Person]) -> Path:
    a = LARCHWOOD
    people = [p.id for p in staff]
    path = folder / "academies.toml"
    path.write_text(
        "[[academy]]\n"
        f'key = "{a.key}"\nname = "{a.name}"\n'
        f'teams_channel = "{a.teams_channel}"\nteams_team = "{a.teams_team}"\ntenant_id = "{a.tenant_id}"\n'
        f"dsl_users = {list(a.dsl_users)!r}\ndeputy_users = {list(a.deputy_users)!r}\n"
        f'principal_user = "{a.principal_user}"\nstaff_users = {people!r}\n'.replace("'", '"')
    )
    return path


def _env(port: int, db_url: str = "", academies: Path | None = None) -> dict[str, str]:
    """A deployment's settings: Teams only (no Slack), on loopback."""
    env = {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": "bench-secret-never-sent",  # the outbound token is the tests' own
        "TEAMS_TENANT_ID": TENANT,
        "TEAMS_HOST": "127.0.0.1",
        "TEAMS_PORT": str(port),
        "SLACK_BOT_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
        "SLACK_APP_TOKEN": "",
        "YPSI_ENCRYPTION_KEYS": KEYS,
    }
    if db_url:
        if db_url.startswith("postgresql"):
            db_url += f"&application_name={APP_NAME}"
        env["DATABASE_URL"] = db_url
    if academies is not None:
        env["YPSI_ACADEMIES_FILE"] = str(academies)
    return env


@contextmanager
def _servers(kind: str, openid: OpenIdServer, staff: list[Person]) -> Iterator[Servers]:
    with ExitStack() as stack:
        tmp, url, db, clock = run_resources(stack, kind)
        ports = {"ypsi": _free_port(), "bare": _free_port()}
        ypsi = _env(ports["ypsi"], url, _academies_file(tmp, staff))
        pids = stack.enter_context(
            _processes(
                {
                    "ypsi": (["ypsi", openid.url, str(clock.path)], ports["ypsi"], tmp / "ypsi.log", ypsi),
                    "bare": (["bare", openid.url], ports["bare"], tmp / "bare.log", _env(ports["bare"])),
                }
            )
        )
        yield Servers({n: f"http://127.0.0.1:{p}{PATH}" for n, p in ports.items()}, pids, db, clock)


# --- one run ---------------------------------------------------------------------------------


def _people(count: int) -> list[Person]:
    return [Person(f"be11c0de-0000-4000-8000-{n:012d}", f"Teacher {n}") for n in range(count)]


def _runs(kind: str) -> dict[float, list[dict[str, Samples]]]:
    """RUNS runs, each on new server processes and a new database, with a batch of reports at
    each Bot Connector latency (their order alternating from run to run, so neither batch is
    always the later one in the simulated day)."""
    runs: dict[float, list[dict[str, Samples]]] = {latency: [] for latency in LATENCIES}
    for n in range(RUNS):
        staff = _people(WARMUP + REPORTS * len(LATENCIES))
        openid = OpenIdServer()
        connector = SlowConnector().start()
        connector.set_members(
            DSL_TEAM, SAFE_ROSTER
        )  # the academy's safeguarding team: alerts go to its channel
        try:
            with _servers(kind, openid, staff) as servers:
                clients = {name: OutsideTeams(connector, url) for name, url in servers.urls.items()}
                _set_up(clients["ypsi"])
                for person in staff[:WARMUP]:
                    _round(clients, person, {name: Samples() for name in clients})
                    servers.clock.next_round(servers.db)
                reporters = iter(staff[WARMUP:])
                for latency in LATENCIES if n % 2 == 0 else LATENCIES[::-1]:
                    connector.latency = latency
                    people = [next(reporters) for _ in range(REPORTS)]
                    runs[latency].append(_run(kind, servers, clients, people))
        finally:
            connector.stop()
            openid.stop()
    return runs


def _run(
    kind: str, servers: Servers, clients: dict[str, OutsideTeams], people: list[Person]
) -> dict[str, Samples]:
    """REPORTS rounds; CPU from the first request to the courier's last delivery."""
    wait_delivered(servers.db)
    samples = {name: Samples() for name in clients}
    before = {name: _cpu_seconds(pid) for name, pid in servers.pids.items()}
    backends = {p: _cpu_seconds(p) for p in _backends(servers.db)} if kind != "sqlite" else {}
    for person in people:
        _round(clients, person, samples)
        servers.clock.next_round(servers.db)
    wait_delivered(servers.db)
    for name, pid in servers.pids.items():
        samples[name].cpu = ms(_cpu_seconds(pid) - before[name]) / len(people)
    if kind != "sqlite":
        now = {p: _cpu_seconds(p) for p in _backends(servers.db)}
        samples["ypsi"].db_cpu = ms(sum(now[p] - backends.get(p, 0.0) for p in now)) / len(people)
    return samples


def _set_up(client: OutsideTeams) -> None:
    """The app added to the DSL team and installed by the academy's leads, as when an academy
    sets the bot up: the bot keeps each conversation's address, whose service URL is the fake
    connector's (with none stored, the courier would call Microsoft's public service URL)."""
    client.bot_added(DSL, conversation=DSL_CHANNEL, personal=False)
    for lead in (DSL, DEPUTY, PRINCIPAL):
        client.install(lead)


def _round(clients: dict[str, OutsideTeams], person: Person, samples: dict[str, Samples]) -> None:
    """One report on the bot, then the very same activities to the bare app."""
    pressed = _report(clients["ypsi"], person, samples["ypsi"])
    _replay(clients["bare"], person, pressed, samples["bare"])


def _report(client: OutsideTeams, person: Person, into: Samples) -> list[dict[str, Any]]:
    """A teacher's report, start to end; returns the data of every button pressed."""
    client.message(person, "report")
    into.message.append(ms(client.seconds))
    welcome = client.connector.to(person.chat)[-1].cards[0]
    opener = _find_action(welcome, "Report a concern")["data"]
    opened = client.dialog_open(person, opener)
    into.dialog.append(ms(client.seconds))
    _expect(opened, step_callback(STEPS[0]))
    pressed = [opener]
    for step in STEPS:
        data = _data(client.dialog(person), "Next", _as_sent(ANSWERS[step]))
        client.dialog_submit(person, data)
        into.step.append(ms(client.seconds))
        pressed.append(data)
    data = _data(client.dialog(person), "Send to the DSL")
    _expect(client.dialog_submit(person, data), CallbackId.SENT)
    into.submit.append(ms(client.seconds))
    return [*pressed, data]


def _replay(client: OutsideTeams, person: Person, pressed: list[dict[str, Any]], into: Samples) -> None:
    client.message(person, "report")
    into.message.append(ms(client.seconds))
    opener, *steps, submit = pressed
    for data, samples in ((opener, into.dialog), *((d, into.step) for d in steps), (submit, into.submit)):
        call = client.dialog_open if data is opener else client.dialog_submit
        if not call(person, data).dialog:
            raise RuntimeError("the bare app showed no card")
        samples.append(ms(client.seconds))


def _data(card: dict[str, Any], title: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    """What pressing the card's button `title` submits: its data and the inputs' values."""
    action = _find_action(card, title)
    data = dict(action.get("data") or {})
    if action.get("associatedInputs") != "none":
        data.update(values or {})
    return data


def _as_sent(values: dict[str, Any]) -> dict[str, str]:
    """Answers as Teams sends inputs: strings, a multi-select's choices joined by commas."""
    return {k: ",".join(v) if isinstance(v, list) else v for k, v in values.items()}


def _expect(response: Response, callback: str) -> None:
    shown = [
        a["data"].get(DataKey.CALLBACK)
        for a in response.dialog.get("actions", [])
        if isinstance(a.get("data"), dict)
    ]
    if callback not in shown:
        raise RuntimeError(f"expected the {callback} card, got {response.body[:300]}")


# --- rows ------------------------------------------------------------------------------------


def _median(runs: list[dict[str, Samples]], name: str, measure: str, p: float) -> float:
    return statistics.median(percentile(getattr(r[name], measure), p) for r in runs)


# (measure, label, target of p50, target of p99)
MEASURES = (
    ("dialog", "time to dialog", Target(1.3), Target(1.5)),
    ("step", "step ack", None, Target(3)),
    ("submit", "submit ack", None, Target(3)),
    ("message", "personal message ack", None, Target(3)),
)


def _rows(kind: str, latency: float, runs: list[dict[str, Samples]]) -> list[Row]:
    shape = f"{kind}, Bot Connector {latency * 1000:.0f} ms"
    note = (
        f"{REPORTS} reports × {len(STEPS) + 3} activities per run; median of {len(runs)} runs; "
        "baseline: bare Teams SDK app"
    )
    rows = [
        Row(
            NAME,
            f"{label} p{p}, {shape}",
            _median(runs, "ypsi", measure, p),
            baseline=_median(runs, "bare", measure, p),
            target=target,
            note=note,
        )
        for measure, label, *targets in MEASURES
        for p, target in zip((50, 99), targets, strict=True)
    ]
    rows.append(
        Row(
            NAME,
            f"app CPU per report, {shape}",
            statistics.median(r["ypsi"].cpu for r in runs),
            baseline=statistics.median(r["bare"].cpu for r in runs),
            target=Target(3),
            note="each server process's utime+stime; baseline: bare Teams SDK app process",
        )
    )
    if kind != "sqlite":
        rows.append(
            Row(
                NAME,
                f"PostgreSQL CPU per report, {shape}",
                statistics.median(r["ypsi"].db_cpu or 0.0 for r in runs),
                note="the backends of the bot's connections (apart from the app's)",
            )
        )
    return rows  # fmt: skip
