"""The HTTP server Slack posts to: waitress (a maintained WSGI server) around bolt's WSGI adapter.

Why waitress and these limits: docs/decisions/0080-http-server.md. waitress reads each request
in its event loop and hands only complete requests to its worker threads, so a slow client costs
a socket, never a worker; its Content-Length check refuses an oversized body before reading it.
On top of waitress this module adds one thing it lacks: a deadline for the whole request
(headers and body), so a client dripping a byte at a time is cut off too, not only an idle one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

PATH = "/slack/events"
LOOP_SECONDS = 0.5  # how often the event loop wakes to check deadlines and a shutdown
log = logging.getLogger("ypsi.slack")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Limits:
    """What one HTTP server accepts, and how long it waits (seconds)."""

    # Slack's largest payload is a view_submission or block_actions carrying a whole modal
    # (at most 100 blocks, 3,000 characters of text each), percent-encoded in a form field:
    # the largest the app's own views make is measured in tests/test_http_server.py.
    max_body: int = 2 * 1024 * 1024
    max_header: int = 32 * 1024  # Slack sends a dozen short headers
    request_deadline: int = 10  # the whole request, first byte to last (Slack gives up after 3 s)
    idle_timeout: int = 15  # a kept-alive connection with nothing to say
    backlog: int = 1024  # connections the kernel queues before the loop accepts them
    connection_limit: int = 1000  # open connections; past it waitress stops accepting for a moment
    threads: int = 8  # requests handled at once (bolt's listeners have their own pool)
    stop_wait: float = 20.0  # on shutdown, how long requests in progress may take to finish


class Traffic:
    """How many requests this process is answering now, for work that can wait to wait for.

    Delivery workers (bot/slack/courier.py) wait for a moment with no request in progress, for
    at most a bound, before they start a delivery: an ack has 3 seconds, a delivery does not,
    and in one Python process they share one interpreter lock and, on SQLite, one write lock.
    """

    def __init__(self) -> None:
        self._busy = 0
        self._quiet = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Count one request in progress for as long as the block runs."""
        with self._quiet:
            self._busy += 1
        try:
            yield
        finally:
            with self._quiet:
                self._busy -= 1
                if not self._busy:
                    self._quiet.notify_all()

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until no request is in progress, `timeout` seconds at most; whether it was quiet."""
        with self._quiet:
            return self._quiet.wait_for(lambda: self._busy == 0, timeout)


def slack_wsgi_app(app: App, traffic: Traffic | None = None) -> WsgiApp:
    """bolt's WSGI adapter, behind the checks that keep unparseable requests away from bolt.

    `traffic`, when given, counts the requests bolt is answering.
    """
    handler = SlackRequestHandler(app, path=PATH)
    answering = traffic.request if traffic is not None else nullcontext

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return _answer(start_response, "404 Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", [("Allow", "POST")])
        if not _numeric(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "0")):
            # bolt's verifier would raise on int() and hand the unverified body to the error
            # handler (which messages the user it names): refuse it as unsigned instead.
            return _answer(start_response, "401 Unauthorized")
        try:
            with answering():
                return handler(environ, start_response)
        except Exception as exc:  # not UTF-8, not JSON, a JSON array: bolt cannot even parse it
            log.warning("malformed request refused %s", exc.__class__.__name__)
            return _answer(start_response, "400 Bad Request")

    return application


def _answer(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    start_response(status, [("Content-Length", "0"), *(headers or [])])
    return [b""]


def _numeric(timestamp: str) -> bool:
    try:
        int(timestamp)
    except ValueError:
        return False
    return True


class _TimedParser(HTTPRequestParser):
    """waitress's request parser, noting when the request's first byte arrived."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.time()


class _Channel(HTTPChannel):
    parser_class = _TimedParser

    def writable(self) -> bool:
        # While a task runs, its own thread sends what it writes (waitress flushes in write_soon
        # and pulls the loop's trigger when it could not, and again when the task ends). Asking
        # to poll for writing then only makes the loop spin: the socket is writable, handle_write
        # cannot take the buffer's lock from the writing task, and poll returns at once, again and
        # again. Under a burst that spin held the interpreter lock ~80% of the time. Past the high
        # watermark the task waits for the loop to drain its buffer, so the loop polls then.
        busy = self.requests and not self.will_close
        if busy and self.total_outbufs_len < self.adj.outbuf_high_watermark:
            return False
        return bool(super().writable())


class _Server(TcpWSGIServer):
    """waitress's TCP server, also closing connections whose request is past its deadline."""

    channel_class = _Channel
    request_deadline = Limits.request_deadline

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        cutoff = now - self.request_deadline
        for channel in self.active_channels.values():
            partial = channel.request  # a request still being received (None between requests)
            if partial is not None and partial.started < cutoff:
                channel.will_close = True


class SlackHttpServer:
    """One listening socket, an event loop reading requests, and a pool of worker threads."""

    def __init__(self, application: WsgiApp, host: str, port: int, limits: Limits = Limits()) -> None:
        adj = Adjustments(
            host=host,
            port=port,
            threads=limits.threads,
            backlog=limits.backlog,
            connection_limit=limits.connection_limit,
            max_request_body_size=limits.max_body,
            max_request_header_size=limits.max_header,
            channel_timeout=limits.idle_timeout,
            cleanup_interval=1,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            clear_untrusted_proxy_headers=True,
            ident="ypsi-bot",
        )
        self._limits = limits
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(limits.threads)
        self._server = _Server(application, map=self._map, dispatcher=self._dispatcher, adj=adj)
        self._server.request_deadline = limits.request_deadline
        self._stop = threading.Event()
        self._stopped = threading.Event()

    @property
    def server_address(self) -> tuple[str, int]:
        """The address bound (port 0 becomes the port chosen)."""
        return self._server.effective_host, int(self._server.effective_port)

    def serve_forever(self) -> None:
        """Handle requests until `shutdown()` (or Ctrl-C/SIGTERM in this thread), then drain."""
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=LOOP_SECONDS, use_poll=True, map=self._map, count=1)
        finally:
            self._drain()
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop from another thread: no new connections, answer those in progress, then return."""
        self._stop.set()
        self._stopped.wait(self._limits.stop_wait + 5)

    def server_close(self) -> None:
        """Close every socket left (a no-op after a drained shutdown)."""
        wasyncore.close_all(self._map)

    def _drain(self) -> None:
        """Graceful stop: close the listening socket, let requests in progress finish, close."""
        self._server.accepting = False
        self._server.del_channel()
        self._server.socket.close()
        deadline = time.monotonic() + self._limits.stop_wait
        while time.monotonic() < deadline and any(
            ch.requests or ch.total_outbufs_len for ch in list(self._server.active_channels.values())
        ):
            wasyncore.loop(timeout=0.05, use_poll=True, map=self._map, count=1)
        self._dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(self._map)
        log.info("http server stopped")


def http_server(
    app: App, host: str, port: int, limits: Limits = Limits(), *, traffic: Traffic | None = None
) -> SlackHttpServer:
    """The production server for `app` on host:port (port 0 picks a free port); `traffic`, when
    given, counts the requests in progress (the courier's deliveries wait for a quiet moment)."""
    return SlackHttpServer(slack_wsgi_app(app, traffic), host, port, limits)
