"""Delivering the outbox to Microsoft Teams: proactive messages through the Bot Connector API.

The Teams counterpart of Slack's courier, over the same outbox rules: a listener (or the
reminder runner) hands it the ids of rows just committed (`send`), the runner's loop hands it
what falls due (`send_due`); it claims only rows whose platform is Teams, renders each kind as
an Adaptive Card (bot/teams/cards) and posts it with the Teams SDK's API client to the service
URL of the stored address (conversations/delivery/addresses.py, written by the listeners on
install and on every message; the public service URL when none is stored).

- The DSL alert goes to the academy's Teams channel once the team's roster is checked
  (bot/teams/roster.py); the activity id Teams returns is kept, as Slack's `ts`, so a change of
  status updates the card in place (PUT …/activities/{id}).
- A person with no stored conversation gets one: POST /v3/conversations with the member (their
  Entra object id) and the tenant; the new conversation is remembered for next time.
- Failures are classified as Slack's are: a rate limit (429, with its Retry-After), a server
  error, a timeout or a broken connection is transient; a 403 (the bot is not in the
  conversation, or blocked) or a 404, like any other refusal, is permanent. The outbox's retry,
  dead-letter and fallback rules then apply unchanged.

The SDK is async (httpx); the outbox is synchronous SQLAlchemy. Delivery workers (threads) do
the database work and run each API call on the courier's own event loop, so the client's
connection pool lives on one loop and no web server's loop ever waits on a delivery.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from microsoft_teams.api import (
    Account,
    ApiClient,
    Attachment,
    ClientCredentials,
    CreateConversationParams,
    MessageActivityInput,
    TokenProviderProtocol,
)
from microsoft_teams.apps import AppTokenProvider
from microsoft_teams.apps.token_manager import TokenManager
from microsoft_teams.common import ClientOptions

from bot.config import Settings
from bot.teams.cards.alerts import alert_message, principal_message, teacher_receipt
from bot.teams.cards.reminders import reminder_card
from bot.teams.roster import RosterUnknown, retry_after, roster_problem
from conversations.context import Context
from conversations.delivery import addresses, couriers
from conversations.delivery.couriers import Failure
from conversations.delivery.outbox import CHANNEL, Outgoing
from conversations.dialogue import reports, routing
from conversations.platforms import TEAMS, TEAMS_PREFIX
from conversations.scheduling.reminder_messages import from_data

log = logging.getLogger("ypsi.teams")
PUBLIC_SERVICE_URL = "https://smba.trafficmanager.net/teams"
CALL_TIMEOUT = 5  # seconds per API call: a claim's lease (outbox.LEASE) covers a few
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CHANNEL_FALLBACK = (
    "You are getting this by direct message because ypsi-bot cannot post safely in the DSL "
    "channel ({problem}). Please ask whoever runs ypsi-bot to fix it; `ypsi check-config` shows the problem."
)
UNDELIVERED = (
    "A {what} about {reference} could not be delivered by direct message ({error}). "
    "Please check the case and follow it up in person."
)
T = TypeVar("T")


def classify(exc: BaseException) -> Failure:
    """Transient (429, 5xx, timeout, connection) or permanent (403, 404, any other refusal)."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        code = _error_code(exc.response)
        if status == 429:
            return Failure("ratelimited", True, retry_after(exc.response))
        if status >= 500:
            return Failure(f"http_{status}", True)
        return Failure(f"http_{status}" + (f"_{code}" if code else ""), False)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Failure("timeout", True)
    if isinstance(exc, (httpx.TransportError, OSError)):
        return Failure(f"connection_{exc.__class__.__name__}"[:64], True)
    return Failure(f"unexpected_{exc.__class__.__name__}"[:64], False)


def _error_code(response: httpx.Response) -> str:
    # The Bot Connector names its refusals, e.g. {"error": {"code": "BotNotInConversationRoster"}}.
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    return str(error.get("code") or "")[:40] if isinstance(error, dict) else ""


def delivery_client(
    token_provider: TokenProviderProtocol | None, service_url: str = PUBLIC_SERVICE_URL
) -> ApiClient:
    """The API client of the delivery workers: short timeouts, no retries inside a call (the
    outbox retries, with backoff and Retry-After). `token_provider`: the app's (`App.token_provider`)."""
    return ApiClient(service_url, ClientOptions(timeout=CALL_TIMEOUT), token_provider=token_provider)


def settings_client(settings: Settings) -> ApiClient:
    """The delivery client with the bot's own token, from its client secret (TEAMS_APP_ID,
    TEAMS_APP_PASSWORD, TEAMS_TENANT_ID)."""
    credentials = ClientCredentials(
        client_id=settings.teams_app_id,
        client_secret=settings.teams_app_password,
        tenant_id=settings.teams_tenant_id or None,
    )
    return delivery_client(AppTokenProvider(TokenManager(credentials)))


def settings_courier(ctx: Context, settings: Settings) -> Courier:
    """The courier of `ypsi run` and `ypsi reminders run`."""
    return Courier(ctx, settings_client(settings), tenant_id=settings.teams_tenant_id)


def conversation_address(conversation_id: str, service_url: str, tenant_id: str) -> dict[str, str]:
    """The stored address of a conversation (the keys the listeners store too): no names, no text."""
    return {"conversation_id": conversation_id, "service_url": service_url, "tenant_id": tenant_id}


class Courier(couriers.Courier):
    """The Teams delivery workers: outbox rows now (`send`) or when due (`send_due`).

    `tenant_id` is the deployment's tenant (TEAMS_TENANT_ID), for a person whose academy names none.
    """

    platform = TEAMS

    def __init__(self, ctx: Context, api: ApiClient, *, tenant_id: str = "") -> None:
        super().__init__(ctx)
        self.api = api
        self.tenant_id = tenant_id
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="teams-api", daemon=True)
        self._loop_thread.start()

    def classify(self, exc: BaseException) -> Failure:
        """What a Bot Connector error means for the outbox (`classify`)."""
        return classify(exc)

    def close(self) -> None:
        """Finish what was submitted, stop the workers and the event loop."""
        super().close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)

    # --- the work -------------------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run one API call on the courier's loop; give up on it after the call timeout."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=CALL_TIMEOUT + 1)
        except TimeoutError:
            future.cancel()
            raise

    # --- where things go ------------------------------------------------------------------------

    def _service_url(self, channel: str, academy_key: str | None) -> str:
        """Where a channel is reached: its stored address, else its team's (the bot was added to
        the team), else the public service URL."""
        academy = self.ctx.academies.by_key.get(academy_key or "")
        team = TEAMS_PREFIX + academy.teams_team if academy and academy.teams_team else ""
        for who in filter(None, (channel, team)):
            stored = addresses.address_of(self.ctx, who)
            if stored and stored.get("service_url"):
                return str(stored["service_url"])
        return self.api.service_url

    def _usable_channel(self, item: Outgoing) -> None:
        """Raise a Failure unless every member of the academy's team is on its safeguarding team:
        permanent when someone else is (or the roster cannot be read), transient when Teams did
        not say (never read as "private")."""
        academy = self.ctx.academies.get(str(item.academy_key))
        try:
            service_url = self._service_url(item.recipient_id, academy.key)
            problem = self._call(roster_problem(self.api, academy, service_url))
        except RosterUnknown as exc:
            # Said to the DSLs only if every attempt fails: unknown, never "private".
            problem = f"ypsi-bot could not check the team's members: {exc}"
            raise Failure("roster_unknown", True, exc.retry_after, problem=problem) from None
        if problem is not None:
            raise Failure("roster_unusable", False, problem=problem)

    def _post_to_channel(self, item: Outgoing, activity: MessageActivityInput) -> str:
        """Post in the row's channel (`teams:<conversation id>`); returns the new activity's id."""
        channel = item.recipient_id
        service_url = self._service_url(channel, item.academy_key)
        sent = self._call(
            self.api.conversations.create_activity(
                channel.removeprefix(TEAMS_PREFIX), activity, service_url=service_url
            )
        )
        return sent.id

    def _direct_message(self, person: str, academy_key: str | None, activity: MessageActivityInput) -> None:
        """Post in the app's 1:1 chat with a person, creating (and remembering) it if none is stored."""
        stored = addresses.address_of(self.ctx, person)
        if stored is None or not stored.get("conversation_id"):
            stored = self._open_chat(person, academy_key)
        service_url = stored.get("service_url") or self.api.service_url
        self._call(
            self.api.conversations.create_activity(
                stored["conversation_id"], activity, service_url=service_url
            )
        )

    def _open_chat(self, person: str, academy_key: str | None) -> dict[str, str]:
        academy = self.ctx.academies.by_key.get(academy_key or "")
        tenant = (academy.tenant_id if academy else "") or self.tenant_id
        params = CreateConversationParams(
            members=[Account(id=person.removeprefix(TEAMS_PREFIX))],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        created = self._call(self.api.conversations.create(params))
        address = conversation_address(created.id, created.service_url or self.api.service_url, tenant)
        addresses.remember(self.ctx, person, TEAMS, address)
        return address

    # --- rendering, per kind ----------------------------------------------------------------------

    def _alert(self, item: Outgoing) -> tuple[str, str] | None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        self._usable_channel(item)
        if alert.alert_ts:
            self._update_card(alert)
            return None
        card = alert_message(alert, mention_dsls=bool(item.payload.get("mention_dsls")))
        activity_id = self._post_to_channel(item, _card(card))
        log.info("alert posted", extra={"case": item.reference})
        return item.recipient_id, activity_id

    def _update_card(self, alert: routing.Alert) -> None:
        channel = alert.channel
        self._call(
            self.api.conversations.update_activity(
                channel.removeprefix(TEAMS_PREFIX),
                str(alert.alert_ts),
                _card(alert_message(alert)),
                service_url=self._service_url(channel, alert.academy_key),
            )
        )

    def _alert_dm(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        note = CHANNEL_FALLBACK.format(problem=item.payload.get("problem", ""))
        self._direct_message(item.recipient_id, item.academy_key, _card(alert_message(alert, note=note)))

    def _card(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        if alert.alert_ts:  # a card sent only by direct message has nothing to update
            self._update_card(alert)

    def _receipt(self, item: Outgoing) -> None:
        contacts = self.ctx.guidance.contacts_for("young_person")
        # Out of school hours when it was sent: whom to call now (as the sent screen said).
        late = bool(item.payload.get("out_of_hours")) and item.academy_key is not None
        call_now = reports.call_now(self.ctx, str(item.academy_key)) if late else ()
        card = teacher_receipt(str(item.reference), contacts, call_now)
        self._direct_message(item.recipient_id, item.academy_key, _card(card))

    def _principal(self, item: Outgoing) -> None:
        alert = routing.load_alert(self.ctx, str(item.reference))
        self._direct_message(item.recipient_id, item.academy_key, _card(principal_message(alert)))

    def _notice(self, item: Outgoing) -> None:
        self._direct_message(item.recipient_id, item.academy_key, _text(item.payload["text"]))

    def _reminder(self, item: Outgoing) -> None:
        message = from_data(item.payload)
        if item.recipient_kind == CHANNEL:
            self._usable_channel(item)
            self._post_to_channel(item, _card(reminder_card(message, channel=True)))
        else:
            self._direct_message(item.recipient_id, item.academy_key, _card(reminder_card(message)))

    def _undelivered(self, item: Outgoing) -> None:
        self._usable_channel(item)
        text = UNDELIVERED.format(
            what=item.payload.get("what", "message"),
            reference=item.payload.get("reference") or "an unfinished report",
            error=item.payload.get("error", ""),
        )
        self._post_to_channel(item, _text(text))


def _card(card: dict[str, Any]) -> MessageActivityInput:
    return MessageActivityInput(attachments=[Attachment(content_type=ADAPTIVE_CARD, content=card)])


def _text(text: str) -> MessageActivityInput:
    return MessageActivityInput(text=text, text_format="plain")
