"""Running the bolt app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on HOST:PORT.

The HTTP server is waitress behind bolt's WSGI adapter (bot/slack/http_server.py: body limit,
request deadline, backlog, worker threads, graceful stop); Slack posts to /slack/events.
Either way the reminder runner works in a background thread while the bot runs, and stops
with it (Ctrl-C or SIGTERM); `ypsi reminders run` can run more runners as processes.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.bootstrap import build_context
from bot.config import Settings
from bot.slack.app import create_app
from bot.slack.courier import Courier, delivery_client
from bot.slack.http_server import PATH, Traffic, http_server
from bot.slack.reminder_posts import slack_deliverer
from conversations.context import Context
from conversations.errors import ConfigError
from conversations.scheduling.runner import start_runner_thread

RUNNER_INTERVAL = 30.0  # seconds between reminder passes (a pass sends everything due)
STOP_WAIT = 30.0  # seconds to let a pass in progress finish on shutdown
log = logging.getLogger("ypsi.slack")


def serve(settings: Settings) -> int:
    """Connect to Slack and handle requests until interrupted."""
    ctx = build_context(settings)
    traffic = Traffic()  # deliveries let the requests in progress go first
    courier = Courier(ctx, delivery_client(settings), traffic=traffic)
    try:
        app = create_app(ctx, settings, courier=courier)
    except (BoltError, SlackApiError) as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack did not accept it ({exc.__class__.__name__})") from None
    except OSError as exc:
        raise ConfigError(f"SLACK_API_URL: cannot reach Slack ({exc.__class__.__name__})") from None
    interrupt_on_sigterm()
    try:
        with reminders_running(ctx, app.client, courier=courier):
            _handle_requests(app, settings, traffic)
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


def _handle_requests(app: App, settings: Settings, traffic: Traffic) -> None:
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
    server = http_server(app, settings.host, settings.port, traffic=traffic)
    host, port = server.server_address
    log.info("listening for Slack on %s port %s path %s", host, port, PATH)
    try:
        server.serve_forever()  # Ctrl-C or SIGTERM: stops accepting, answers what is in progress
    finally:
        server.server_close()


def interrupt_on_sigterm() -> None:
    """From now on SIGTERM (a service manager stopping the bot) ends it as Ctrl-C does, so
    cleanup runs."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
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
