"""The app served over real HTTP for concurrency tests and the benchmark, and signed requests sent
to it all at once.

`served(ctx, api, processes=0)` serves the app in this process (concurrency by threads: one
engine, one connection pool); `processes=2` starts two app processes (tests/app_worker.py) on the
same database, both talking to the one fake Web API. The apps run with
`process_before_response=True`, so each HTTP answer comes back after the listener finished: when
`send_all` returns, everything the requests caused is in the database. What they send to Slack
after the ack (the outbox, screen calls) goes out on each app's delivery workers: when `served`
exits, those are finished too, and in the fake API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.slack.app import create_app
from bot.slack.courier import Courier, delivery_client
from bot.slack.server import PATH, http_server
from conversations.context import Context
from tests.slack.fake_api import TEAM, FakeSlackApi
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, Response

ROOT = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"


def settings(api_url: str) -> Settings:
    """The app's settings against the fake Web API (database and academies come from the context)."""
    return Settings(
        database_url="",
        academies_file=Path("academies.toml"),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        app_token="",
        api_url=api_url,
        port=0,
    )


@contextmanager
def serve_here(ctx: Context, api_url: str) -> Iterator[str]:
    """The app on `ctx`, served from this process on a free port; yields its URL.

    On exit the server stops, then its delivery workers finish what they were handed.
    """
    courier = Courier(ctx, delivery_client(settings(api_url)))
    app = create_app(ctx, settings(api_url), courier=courier, process_before_response=True)
    server = http_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        courier.close()


@contextmanager
def serve_process(url: str, api_url: str, now: str, log: Path) -> Iterator[str]:
    """The app as its own process (tests/app_worker.py) on database `url`; yields its URL.

    On exit the process is asked to stop (SIGTERM) and waited for: it finishes its deliveries first.
    """
    with log.open("w") as errors:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.app_worker", url, api_url, now],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        assert worker.stdout is not None
        port = worker.stdout.readline().strip()
        if not port.isdigit():
            worker.wait(timeout=30)
            raise RuntimeError(f"the app process did not start: {log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@contextmanager
def served(ctx: Context, api: FakeSlackApi, processes: int, tmp: Path) -> Iterator[list[str]]:
    """URLs of the app: in this process (`processes=0`) or in that many processes on ctx's database."""
    with ExitStack() as stack:
        if processes == 0:
            yield [stack.enter_context(serve_here(ctx, api.url))]
            return
        url = ctx.db.engine.url.render_as_string(hide_password=False)
        now = ctx.clock().isoformat()
        yield [
            stack.enter_context(serve_process(url, api.url, now, tmp / f"app-{n}.log"))
            for n in range(processes)
        ]


@dataclass(frozen=True)
class Request:
    """One signed request to send: where, and the raw body."""

    url: str
    body: str
    content_type: str = FORM


def interaction(url: str, payload: dict[str, Any]) -> Request:
    """An interaction payload as Slack posts it (form field `payload=`)."""
    return Request(url, urlencode({"payload": json.dumps(payload)}))


def post(request: Request, *, timestamp: int | None = None) -> Response:
    """POST one request, signed now (or at `timestamp`) with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=ts, body=request.body
        ),
    }
    sent = urllib.request.Request(request.url, data=request.body.encode(), headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(sent, timeout=120) as answer:
            return Response(answer.status, answer.read().decode(), time.perf_counter() - started)
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode(), time.perf_counter() - started)


def send_all(requests: list[Request]) -> list[Response]:
    """Send every request at the same moment (one thread each, released together); answers in order."""
    gate = threading.Barrier(len(requests))

    def go(request: Request) -> Response:
        gate.wait()
        return post(request)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(go, requests))


def message_click(user: str, channel: str, ts: str, action_id: str, value: str, n: int) -> dict[str, Any]:
    """A button pressed on a channel message (e.g. the alert card's Acknowledge); `n` makes it unique."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": f"{n}.{user}.trigger",
        "container": {"type": "message", "channel_id": channel, "message_ts": ts},
        "channel": {"id": channel},
        "message": {"ts": ts},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "action_ts": f"{n}.000001"}],
    }


def modal_submission(user: str, view: dict[str, Any], state: dict[str, Any], view_id: str) -> dict[str, Any]:
    """A modal's submission: `view` as the app built it, filled with `state`, shown as `view_id`."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": f"{view_id}.{user}.trigger",
        "view": {**view, "id": view_id, "hash": f"{view_id}.hash", "state": {"values": state}},
    }
