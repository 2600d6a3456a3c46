"""Drive the real Teams app over real HTTP with signed activities, against a fake Bot Connector.

- `Keys`: a local RSA key; `OpenIdServer` serves its OpenID metadata and JWKS on loopback, and the
  app's CloudEnvironment points there (a test-only constructor argument of `create_app`), so the
  SDK validates every activity exactly as in production, against this key instead of Microsoft's.
- `TeamsHarness`: serves the app (bot.teams.server.TeamsServer) on 127.0.0.1 port 0, signs each
  activity (iss https://api.botframework.com, aud = the app id, exp, kid, serviceurl) and POSTs
  it to /api/messages. Replies go to the activity's serviceUrl, and the Teams courier delivers
  the outbox rows listeners hand it, both to the fake connector. Handlers answer before the
  HTTP response returns, and the harness waits for the courier, so assertions need no sleep.
- It follows each person's open dialog as Teams does (the card of the last `continue` answer),
  so a test answers the card it is shown: `answer(person, values)`, `press(person, title)`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from microsoft_teams.api import ApiClient
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides

from bot.config import Settings
from bot.teams.app import PATH, create_app
from bot.teams.courier import Courier, delivery_client
from bot.teams.listeners import register_all
from bot.teams.server import Limits, TeamsServer
from conversations.context import Context
from tests.teams.fake_connector import FakeConnector

APP_ID = "6b1d7c36-2f0e-4d49-9a55-2b3f9e0c4a11"
TENANT = "9c1e2a47-5d3b-4f68-8e21-7a4b6c8d9e01"
ISSUER = "https://api.botframework.com"
KEY_ID = "ypsi-test-key"
CARD = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class Person:
    """A Teams user as activities name them."""

    aad: str  # Entra object id
    name: str = "Test person"

    @property
    def id(self) -> str:
        """As the services know them."""
        return f"teams:{self.aad}"

    @property
    def chat(self) -> str:
        """Their personal chat with the bot."""
        return f"a:personal-{self.aad}"


@cache
def private_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole run (making one takes a moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(private_key().public_key()))
    return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}


def sign(claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str = KEY_ID) -> str:
    """A JWT over `claims`, RS256 with the local key (or another `key`, to forge one)."""
    return jwt.encode(claims, key or private_key(), algorithm="RS256", headers={"kid": kid})


def claims(service_url: str, **overrides: Any) -> dict[str, Any]:
    """What the Bot Connector service's token says: issuer, audience = app id, expiry, serviceurl."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": APP_ID,
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 3600,
        "serviceurl": service_url,
        **overrides,
    }


class OpenIdServer:
    """OpenID metadata and JWKS of the local key, served on loopback."""

    def __init__(self) -> None:
        metadata = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                body = metadata._document(self.path)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.fetches = 0
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def cloud(self) -> CloudEnvironment:
        """The public cloud with every Microsoft endpoint the SDK might call moved here."""
        return with_overrides(
            PUBLIC,
            openid_metadata_url=f"{self.url}/v1/.well-known/openidconfiguration",
            login_endpoint=f"{self.url}/login",
            token_service_url=f"{self.url}/token",
        )

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _document(self, path: str) -> dict[str, Any] | None:
        if path == "/v1/.well-known/openidconfiguration":
            return {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if path == "/v1/.well-known/keys":
            self.fetches += 1
            return jwks()
        return None


def outbound_token(scope: str | list[str], tenant_id: str | None = None) -> str:
    """The bot's own token for the fake connector (the SDK's custom `token` option)."""
    now = int(time.time())
    return sign(
        {"iss": "https://login.example.test", "aud": "https://api.botframework.com", "exp": now + 3600}
    )


@dataclass
class Response:
    """The app's HTTP answer to one activity."""

    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.strip().startswith("{") else {}

    @property
    def dialog(self) -> dict[str, Any]:
        """The card a dialog answer shows (`task.value.card.content`), or {}."""
        task = self.json.get("task") or {}
        if task.get("type") != "continue":
            return {}
        return ((task.get("value") or {}).get("card") or {}).get("content") or {}

    @property
    def title(self) -> str:
        return ((self.json.get("task") or {}).get("value") or {}).get("title", "")


class WatchedCourier(Courier):
    """The Teams courier, noting which outbox rows listeners handed it (delivered as in production)."""

    def __init__(self, ctx: Context, api: ApiClient, *, tenant_id: str) -> None:
        super().__init__(ctx, api, tenant_id=tenant_id)
        self.handed: list[int] = []

    def send(self, ids: Sequence[int]) -> None:
        self.handed.extend(ids)
        super().send(ids)


class TeamsHarness:
    """The app under test on `ctx`, served over HTTP; `stop()` ends it."""

    def __init__(self, ctx: Context, connector: FakeConnector, openid: OpenIdServer) -> None:
        self.ctx = ctx
        self.connector = connector
        self.openid = openid
        self.settings = Settings(
            database_url="",
            academies_file=Path("academies.toml"),
            bot_token="",
            signing_secret="",
            app_token="",
            api_url="",
            port=0,
            teams_app_id=APP_ID,
            teams_app_password="",
            teams_tenant_id=TENANT,
            teams_port=0,
        )
        self.dialogs: dict[str, dict[str, Any]] = {}  # person id -> the card their dialog shows
        self._ids = itertools.count(1)
        app = create_app(self.settings, cloud=openid.cloud, token=outbound_token)
        api = delivery_client(app.token_provider, connector.url)
        # The listeners' outbox is the courier: `outbox.handed` lists what they handed over.
        self.courier = self.outbox = WatchedCourier(ctx, api, tenant_id=TENANT)
        register_all(app, ctx, self.courier)
        self.server = TeamsServer(app, "127.0.0.1", 0, Limits(stop_wait=5)).start()
        self.url = f"http://127.0.0.1:{self.server.address[1]}{PATH}"

    def stop(self) -> None:
        self.server.stop()
        self.courier.close()

    # --- sending -----------------------------------------------------------------------------

    def post(self, activity: dict[str, Any], *, token: str | None = "signed") -> Response:
        """POST one activity; `token`: "signed" (a valid token), None (no header), or a raw JWT."""
        headers = {"Content-Type": "application/json"}
        if token == "signed":
            token = sign(claims(activity.get("serviceUrl", self.connector.url)))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.raw(json.dumps(activity).encode(), headers)
        self.courier.drain()  # what the listener handed over is delivered before the test looks
        return response

    def raw(
        self, body: bytes, headers: dict[str, str], *, method: str = "POST", path: str = PATH
    ) -> Response:
        """Any request to the server, as it is."""
        url = self.url.removesuffix(PATH) + path
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode())

    def activity(
        self,
        person: Person,
        kind: str,
        *,
        personal: bool = True,
        conversation: str = "",
        tenant: str = TENANT,
        **fields: Any,
    ) -> dict[str, Any]:
        """An activity as Teams sends it, from `person` of `tenant`, in their personal chat (or
        `conversation`)."""
        conversation_id = conversation or person.chat
        return {
            "type": kind,
            "id": f"activity-in-{next(self._ids)}",
            "timestamp": datetime.now(UTC).isoformat(),
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": f"29:{person.aad}", "name": person.name, "aadObjectId": person.aad},
            "conversation": {
                "id": conversation_id,
                "conversationType": "personal" if personal else "channel",
                "tenantId": tenant,
                **({} if personal else {"isGroup": True}),
            },
            "recipient": {"id": f"28:{APP_ID}", "name": "ypsi-bot"},
            "channelData": {"tenant": {"id": tenant}},
            "locale": "en-GB",
            **fields,
        }

    def message(self, person: Person, text: str, **fields: Any) -> Response:
        """`person` types `text` to the bot."""
        return self.post(self.activity(person, "message", text=text, **fields))

    def install(self, person: Person) -> Response:
        """The app added for `person` (installationUpdate, action add)."""
        return self.post(self.activity(person, "installationUpdate", action="add"))

    def bot_added(self, person: Person, *, conversation: str = "", personal: bool = True) -> Response:
        """The conversationUpdate Teams sends when the bot joins a conversation."""
        bot = {"id": f"28:{APP_ID}", "name": "ypsi-bot"}
        return self.post(
            self.activity(
                person, "conversationUpdate", conversation=conversation, personal=personal, membersAdded=[bot]
            )
        )

    def dialog_open(self, person: Person, data: dict[str, Any]) -> Response:
        """task/fetch: a button with `{"msteams": {"type": "task/fetch"}, …data}` pressed."""
        activity = self.activity(person, "invoke", name="task/fetch", value={"data": data, "context": {}})
        return self._follow(person, self.post(activity))

    def dialog_submit(self, person: Person, data: dict[str, Any]) -> Response:
        """task/submit: a dialog's Action.Submit pressed, with its data and the inputs' values."""
        activity = self.activity(person, "invoke", name="task/submit", value={"data": data, "context": {}})
        return self._follow(person, self.post(activity))

    def card_action(self, person: Person, data: dict[str, Any], *, conversation: str = "") -> Response:
        """adaptiveCard/action: a card button pressed in a conversation."""
        value = {"action": {"type": "Action.Submit", "data": data}, "trigger": "manual"}
        activity = self.activity(
            person, "invoke", name="adaptiveCard/action", value=value, conversation=conversation
        )
        return self.post(activity)

    # --- following the dialog ------------------------------------------------------------------

    def dialog(self, person: Person) -> dict[str, Any]:
        """The card the person's open dialog shows."""
        return self.dialogs[person.id]

    def press(self, person: Person, title: str, values: dict[str, Any] | None = None) -> Response:
        """Press the dialog's button titled `title`, with the inputs as filled in (`values`)."""
        action = find_action(self.dialog(person), title)
        data = dict(action.get("data") or {})
        if action.get("associatedInputs") != "none":
            data.update(values or {})
        return self.dialog_submit(person, data)

    def answer(self, person: Person, values: dict[str, Any]) -> Response:
        """Fill in the dialog's inputs with `values` (strings, as Teams sends them) and press Next."""
        return self.press(person, "Next", values)

    def _follow(self, person: Person, response: Response) -> Response:
        if response.dialog:
            self.dialogs[person.id] = response.dialog
        else:
            self.dialogs.pop(person.id, None)
        return response


def find_action(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The Action.Submit titled `title` anywhere in the card (its actions, action sets, confirms)."""
    found = [a for a in walk(card) if a.get("type") == "Action.Submit" and a.get("title") == title]
    assert found, f"no button {title!r} on the card: {[a.get('title') for a in actions_of(card)]}"
    return found[0]


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in walk(card) if str(a.get("type", "")).startswith("Action.")]


def input_ids(card: dict[str, Any]) -> list[str]:
    """The ids of the card's inputs, in order."""
    return [e["id"] for e in walk(card) if str(e.get("type", "")).startswith("Input.")]


def texts(card: dict[str, Any]) -> str:
    """All the text a person reads on the card, as one string."""
    parts = []
    for element in walk(card):
        for key in ("text", "title", "label"):
            if isinstance(element.get(key), str):
                parts.append(element[key])
    return "\n".join(parts)


def walk(node: Any) -> list[dict[str, Any]]:
    """Every JSON object inside `node`, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found
