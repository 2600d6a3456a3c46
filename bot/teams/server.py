"""Serving the Teams app: uvicorn on TEAMS_HOST:TEAMS_PORT, in a thread with its own event loop.

`ypsi run` serves Teams alone (`serve`) or beside Slack in the same process (`teams_serving`
around Slack's server). Either way the Teams courier delivers the outbox rows listeners hand it,
and a reminder runner with that courier delivers what falls due in the outbox for Teams (with
Slack beside it, Slack's own runner does the same for Slack: any number of runners may run).
In front of the SDK's FastAPI app sits one ASGI guard (`Guard`): only POST /api/messages, a body
of at most `max_body` bytes (refused from Content-Length when it says so, else counted as it
arrives), read whole within `request_deadline` seconds, and a JSON object; anything else is
answered at once and never reaches the SDK. Stopping lets requests in progress finish (up to
`stop_wait` seconds), as the Slack server does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvicorn
from microsoft_teams.apps import App

from bot.bootstrap import build_context
from bot.config import Settings
from bot.teams.app import PATH, create_app
from bot.teams.courier import Courier, delivery_client
from bot.teams.listeners import register_all
from conversations.context import Context
from conversations.errors import ConfigError
from conversations.scheduling.reminder_messages import ReminderMessage
from conversations.scheduling.runner import start_runner_thread

log = logging.getLogger("ypsi.teams")
RUNNER_INTERVAL = 30.0  # seconds between reminder passes (as Slack's server)

Scope = dict[str, Any]
Message = dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """What the Teams server accepts, and how long it waits (seconds)."""

    # An activity is a few KiB: a message, or a dialog's submitted inputs (each report answer at
    # most a few thousand characters). Attachments arrive as links, never as content.
    max_body: int = 256 * 1024
    request_deadline: float = 10.0  # the body, first byte to last (Teams gives up after 15 s)
    idle_timeout: int = 15  # a kept-alive connection with nothing to say
    backlog: int = 1024
    connection_limit: int = 1000  # past it uvicorn answers 503
    stop_wait: float = 20.0  # on shutdown, how long requests in progress may take to finish
    start_wait: float = 10.0  # how long `start` waits for the server to listen


class Guard:
    """ASGI middleware: refuse what is not a bounded POST of a JSON object to the messaging path."""

    def __init__(self, app: Any, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] != PATH:
            await _answer(send, 404)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, [(b"allow", b"POST")])
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limits.max_body:
            await _answer(send, 413)
            return
        try:
            async with asyncio.timeout(self.limits.request_deadline):
                body = await _read_body(receive, self.limits.max_body)
        except TimeoutError:
            await _answer(send, 408)
            return
        if body is None:
            await _answer(send, 413)
            return
        if not _json_object(body):
            log.warning("malformed activity refused")
            await _answer(send, 400)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes (a client lying in Content-Length)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that gives the body already read, then waits on the connection as before."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Any, status: int, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", b"0"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class TeamsServer:
    """The app served by uvicorn in a thread of its own (its own event loop) until `stop()`."""

    def __init__(self, app: App, host: str, port: int, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        try:
            self.socket = socket.create_server((host, port), backlog=self.limits.backlog)
        except OSError as exc:
            raise OSError(f"cannot listen on {host} port {port} ({exc.strerror})") from None
        config = uvicorn.Config(
            Guard(app.server.adapter.app, self.limits),
            log_config=None,  # the process's JSON logs (bot/logs.py), not uvicorn's own format
            access_log=False,
            lifespan="off",
            timeout_keep_alive=self.limits.idle_timeout,
            timeout_graceful_shutdown=int(self.limits.stop_wait),
            limit_concurrency=self.limits.connection_limit,
            backlog=self.limits.backlog,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="teams-server", daemon=True)
        self.failure: BaseException | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return host, port

    def start(self) -> TeamsServer:
        """Serve in the background; return once listening (or raise what stopped it)."""
        self.thread.start()
        deadline = time.monotonic() + self.limits.start_wait
        while not self.server.started:
            if self.failure is not None or not self.thread.is_alive():
                raise RuntimeError(f"the Teams server did not start ({self.failure!r})")
            if time.monotonic() > deadline:
                raise RuntimeError("the Teams server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop accepting, let requests in progress finish, and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=self.limits.stop_wait + 5)
        self.socket.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 (reported to `start`, and logged)
            self.failure = exc
            log.error("teams server stopped %s", exc.__class__.__name__)

    async def _serve(self) -> None:
        await self.app.initialize()  # registers the messaging route and its JWT validator
        await self.server.serve(sockets=[self.socket])


def serve(settings: Settings) -> int:
    """Teams alone: serve until Ctrl-C or SIGTERM."""
    # Before the port listens: a service manager's stop that comes at once is graceful too.
    stop = stop_on_sigterm()
    with teams_serving(build_context(settings), settings):
        wait_for(stop)
    return 0


@contextmanager
def teams_serving(ctx: Context, settings: Settings) -> Iterator[TeamsServer]:
    """The Teams app, its courier and a reminder runner, for as long as the block runs."""
    app = create_app(settings)
    courier = Courier(ctx, delivery_client(app.token_provider), tenant_id=settings.teams_tenant_id)
    register_all(app, ctx, courier)
    stop = threading.Event()
    try:
        with teams_running(app, settings.teams_host, settings.teams_port) as server:
            runner = start_runner_thread(ctx, _through_the_outbox, stop, RUNNER_INTERVAL, sender=courier)
            try:
                yield server
            finally:
                stop.set()
                runner.join(timeout=server.limits.stop_wait)
    finally:
        courier.close()


@contextmanager
def teams_running(app: App, host: str, port: int) -> Iterator[TeamsServer]:
    """The Teams server running for as long as the block runs, then stopped gracefully."""
    try:
        server = TeamsServer(app, host, port).start()
    except OSError as exc:
        raise ConfigError(f"TEAMS_HOST/TEAMS_PORT: {exc}") from None
    bound_host, bound_port = server.address
    log.info("listening for Teams on %s port %s path %s", bound_host, bound_port, PATH)
    try:
        yield server
    finally:
        server.stop()
        log.info("teams server stopped")


def _through_the_outbox(message: ReminderMessage) -> None:
    # With a sender, the runner hands every reminder to the outbox and never calls this.
    raise RuntimeError("reminders go through the outbox")


def stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (a service manager stopping the bot), from now on."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _set(stop))
    return stop


def wait_for(stop: threading.Event) -> None:
    """Block until `stop` is set or Ctrl-C."""
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _set(stop: threading.Event) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler
