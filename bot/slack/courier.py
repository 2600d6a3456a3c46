"""Delivering the outbox to Slack, and the delivery workers every post-ack Web API call runs on.

Listeners do their database work (which writes outbox rows in the same transaction), hand the
rows' ids to `Courier.send` and return: bolt sends the ack as soon as the listener is done
(`process_before_response=True`). A pool of delivery workers, not bolt's listener pool, then
claims each row and renders it for Slack; the reminder runner's loop (`send_due`) picks up
whatever this process could not deliver, or a process that died left behind. Given the HTTP
server's `Traffic`, a delivery first waits for a moment with no request in progress (at most
QUIET_WAIT): acks have seconds, deliveries do not (docs/decisions/0086-cpu-per-report.md).

Screen calls tied to something the person is looking at (a modal opened with a trigger id,
updated, a Home tab, an ephemeral answer) run on the same workers through `Courier.screen`, not
through the outbox: a trigger id is usable for about 3 seconds, so a retry after a crash could
only fail, and losing one costs the person a click, never a message they must receive
(docs/decisions/0040-outbox.md).

Failures are classified here (the outbox knows no Slack): a rate limit (its `Retry-After`), a
server error, a timeout or a broken connection is transient; any other error Slack names
(`invalid_blocks`, `channel_not_found`, `not_in_channel`, `user_not_found`, `is_archived`, …)
is permanent, as is a DSL channel that is public or lacks the bot.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack.alerts import TRANSIENT_ERRORS, ChannelUnknown, channel_problem, direct_message, retry_after
from bot.slack.http_server import Traffic
from bot.slack.reminder_posts import blocks as reminder_blocks
from bot.slack.views.alerts import alert_message, principal_message, teacher_receipt
from bot.slack.views.text import CHANNEL_FALLBACK, UNDELIVERED, UNEXPECTED
from conversations.context import Context
from conversations.delivery import couriers
from conversations.delivery.couriers import Failure
from conversations.delivery.outbox import CHANNEL, Outgoing
from conversations.dialogue import reports, routing
from conversations.platforms import SLACK
from conversations.scheduling.reminder_messages import from_data

log = logging.getLogger("ypsi.slack")
CALL_TIMEOUT = 5  # seconds per Web API call: a claim's lease (outbox.LEASE) covers a few
SCREEN_WORKERS = 8  # screen calls, apart: a backlog of deliveries never delays a trigger id
# The longest a delivery waits for a moment with no request in progress (Traffic): acks first,
# while a burst of them lasts, yet a DSL alert is never held back by more than this per row.
QUIET_WAIT = 1.0


def classify(exc: BaseException) -> Failure:
    """Transient (rate limit, 5xx, timeout, connection) or permanent, from what the SDK raised."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        error = response.get("error") if isinstance(response.data, dict) else None
        if status == 429 or error in ("ratelimited", "rate_limited"):
            return Failure("ratelimited", True, retry_after(response.headers))
        if status >= 500 or not isinstance(error, str):  # a 5xx body is often not Slack's JSON
            return Failure(f"http_{status}", True)
        return Failure(error[:64], error in TRANSIENT_ERRORS)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return Failure("timeout", True)
    if isinstance(exc, (urllib.error.URLError, ConnectionError, OSError)):
        return Failure(f"connection_{exc.__class__.__name__}"[:64], True)
    return Failure(f"unexpected_{exc.__class__.__name__}"[:64], False)


def delivery_client(settings: Settings) -> WebClient:
    """The Web API client of the delivery workers: short timeouts, no retries inside a call.

    The outbox retries (with backoff and Retry-After) instead of a worker sleeping in a call
    while it holds a claim.
    """
    options: dict[str, Any] = {"base_url": settings.api_url} if settings.api_url else {}
    return WebClient(token=settings.bot_token, timeout=CALL_TIMEOUT, retry_handlers=[], **options)


class Courier(couriers.Courier):
    """The delivery workers for Slack: outbox rows now (`send`) or when due (`send_due`), and screen calls."""

    platform = SLACK

    def __init__(self, ctx: Context, client: WebClient, *, traffic: Traffic | None = None) -> None:
        """`traffic`: the HTTP server's requests in progress, which deliveries let go first."""
        super().__init__(ctx)
        self.client = client
        self._traffic = traffic
        self._screens = ThreadPoolExecutor(SCREEN_WORKERS, thread_name_prefix="screen")

    def classify(self, exc: BaseException) -> Failure:
        """What a Slack SDK error means for the outbox (`classify`)."""
        return classify(exc)

    def screen(self, call: Callable[..., Any], *args: Any, person: str = "", **kwargs: Any) -> None:
        """Run a screen call (views.open with its trigger id, views.update, …) on a worker.

        If it fails, `person` (when given) is told privately that something went wrong.
        """
        self._submit(self._screens, self._screen, call, args, kwargs, person)

    def close(self) -> None:
        """Finish what was submitted and stop the workers."""
        super().close()
        self._screens.shutdown()

    # --- the work -------------------------------------------------------------------------------

    def _screen(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], person: str
    ) -> None:
        try:
            call(*args, **kwargs)
        except Exception as exc:
            # Nothing is lost (the services already saved everything): the person can try again.
            log.error("screen call failed %s", classify(exc).error)
            if person:
                self._screen(direct_message, (self.client, person, {"text": UNEXPECTED}), {}, "")

    def _before_claim(self) -> None:
        # Before a claim, never after: a claimed row is delivered at once, well within its lease.
        if self._traffic is not None:
            self._traffic.wait_quiet(QUIET_WAIT)

    # --- rendering, per kind ----------------------------------------------------------------------

    def _usable_channel(self, channel: str) -> None:
        """Raise a Failure unless the DSL channel is private with the bot in it: permanent when it
        is not, transient when Slack did not say (never read as "not private")."""
        try:
            problem = channel_problem(self.client, channel)
        except ChannelUnknown as exc:
            # Said to the DSLs only if every attempt fails: unknown, never "not private".
            problem = f"ypsi-bot could not check the channel: {exc}"
            raise Failure("channel_unknown", True, exc.retry_after, problem=problem) from None
        if problem is not None:
            raise Failure("channel_unusable", False, problem=problem)

    def _alert(self, item: Outgoing) -> tuple[str, str] | None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        self._usable_channel(item.recipient_id)
        if alert.alert_ts:
            self.client.chat_update(channel=alert.channel, ts=alert.alert_ts, **alert_message(alert))
            return None
        message = alert_message(alert, mention_dsls=bool(item.payload.get("mention_dsls")))
        ts = self.client.chat_postMessage(channel=item.recipient_id, **message)["ts"]
        log.info("alert posted", extra={"case": item.reference})
        return item.recipient_id, ts

    def _alert_dm(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        note = CHANNEL_FALLBACK.format(problem=item.payload.get("problem", ""))
        direct_message(self.client, item.recipient_id, alert_message(alert, note=note))

    def _card(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        if alert.alert_ts:  # a card sent only by direct message has nothing to update
            self.client.chat_update(channel=alert.channel, ts=alert.alert_ts, **alert_message(alert))

    def _receipt(self, item: Outgoing) -> None:
        contacts = self.ctx.guidance.contacts_for("young_person")
        # Out of school hours when it was sent: whom to call now (as the sent screen said).
        late = bool(item.payload.get("out_of_hours")) and item.academy_key is not None
        call_now = reports.call_now(self.ctx, str(item.academy_key)) if late else ()
        message = teacher_receipt(str(item.reference), contacts, call_now)
        direct_message(self.client, item.recipient_id, message)

    def _principal(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        direct_message(self.client, item.recipient_id, principal_message(alert))

    def _notice(self, item: Outgoing) -> None:
        direct_message(self.client, item.recipient_id, {"text": item.payload["text"]})

    def _reminder(self, item: Outgoing) -> None:
        message = from_data(item.payload)
        if item.recipient_kind == CHANNEL:
            self._usable_channel(item.recipient_id)
            self.client.chat_postMessage(channel=item.recipient_id, **reminder_blocks(message, channel=True))
        else:
            direct_message(self.client, item.recipient_id, reminder_blocks(message))

    def _undelivered(self, item: Outgoing) -> None:
        self._usable_channel(item.recipient_id)
        text = UNDELIVERED.format(
            what=item.payload.get("what", "message"),
            reference=item.payload.get("reference") or "an unfinished report",
            error=item.payload.get("error", ""),
        )
        self.client.chat_postMessage(channel=item.recipient_id, text=text)
