"""Running the bolt app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT.

The HTTP server is the standard library's ThreadingHTTPServer (one thread per request, so a
slow request never holds up another's 3-second ack); Slack posts to /slack/events.
Either way the reminder runner works in a background thread while the bot runs, and stops
with it (Ctrl-C or SIGTERM); `ypsi reminders run` can run more runners as processes.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from slack_bolt import App, BoltRequest
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.bootstrap import build_context
from bot.config import Settings
from bot.courier import Courier, delivery_client
from bot.reminder_posts import slack_deliverer
from conversations.context import Context
from conversations.errors import ConfigError
from conversations.runner import start_runner_thread

PATH = "/slack/events"
RUNNER_INTERVAL = 30.0  # seconds between reminder passes (a pass sends everything due)
STOP_WAIT = 30.0  # seconds to let a pass in progress finish on shutdown
log = logging.getLogger("ypsi.slack")


def serve(settings: Settings) -> int:
    """Connect to Slack and handle requests until interrupted."""
    ctx = build_context(settings)
    courier = Courier(ctx, delivery_client(settings))
    try:
        app = create_app(ctx, settings, courier=courier)
    except (BoltError, SlackApiError) as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack did not accept it ({exc.__class__.__name__})") from None
    except OSError as exc:
        raise ConfigError(f"SLACK_API_URL: cannot reach Slack ({exc.__class__.__name__})") from None
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with reminders_running(ctx, app.client, courier=courier):
            _handle_requests(app, settings)
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


def _handle_requests(app: App, settings: Settings) -> None:
    """Serve Slack until interrupted: Socket Mode with an app token, else HTTP on PORT."""
    if settings.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        handler = SocketModeHandler(app, settings.app_token)
        try:
            handler.start()
        finally:
            handler.close()
        return
    server = http_server(app, "0.0.0.0", settings.port)
    log.info("listening for Slack on port %s path %s", server.server_address[1], PATH)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a service manager stopping the bot) ends it as Ctrl-C does, so cleanup runs.
    raise KeyboardInterrupt


@contextmanager
def reminders_running(
    ctx: Context, client: WebClient, interval: float = RUNNER_INTERVAL, *, courier: Courier | None = None
) -> Iterator[threading.Thread]:
    """The reminder runner in a background thread for as long as the block runs, then stopped.

    With the bot's `courier`, reminders go through the outbox and the runner delivers what falls
    due in it every few seconds (runner.OUTBOX_EVERY).
    """
    stop = threading.Event()
    thread = start_runner_thread(ctx, slack_deliverer(client), stop, interval, sender=courier)
    log.info("reminder runner started")
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=STOP_WAIT)
        if courier is not None:
            courier.close()
        log.info("reminder runner stopped")


def http_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    """A threading HTTP server passing POSTs to `PATH` to the app (port 0 picks a free port)."""

    class SlackHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            path, _, query = self.path.partition("?")
            if path != PATH:
                self._send(404, {}, "")
                return
            if not _numeric(self.headers.get("X-Slack-Request-Timestamp", "0")):
                # bolt's verifier would raise on int() and hand the unverified body to the error
                # handler (which messages the user it names): refuse it as unsigned instead.
                self._send(401, {}, "")
                return
            try:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                headers = {k.lower(): [v] for k, v in self.headers.items()}
                response = app.dispatch(BoltRequest(body=body, query=query, headers=headers))
            except Exception as exc:  # not UTF-8, not JSON, a JSON array: bolt cannot even parse it
                log.warning("malformed request refused %s", exc.__class__.__name__)
                self._send(400, {}, "")
                return
            self._send(response.status, response.headers, response.body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._send(405, {"Allow": ["POST"]}, "")

        def _send(self, status: int, headers: dict[str, list[str]], body: str | dict) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            self.send_response(status)
            for name, values in headers.items():
                if name.lower() != "content-length":
                    for value in values:
                        self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            # The default access log would print paths and client addresses for every request.
            return

    server = ThreadingHTTPServer((host, port), SlackHandler)
    server.daemon_threads = True
    return server


def _numeric(timestamp: str) -> bool:
    try:
        int(timestamp)
    except ValueError:
        return False
    return True
