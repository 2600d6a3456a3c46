"""Drive the real bolt app over real HTTP with signed Slack payloads, against the fake Web API.

`SlackHarness` serves the app (bot.slack.http_server.http_server) on 127.0.0.1 port 0 and waits, after each
request, for every listener thread bolt started and every delivery the courier was handed
(outbox rows, screen calls) to finish, so assertions never need a sleep.
It follows each person's open modal the way Slack would (views.open, views.update, and
`response_action: update` acks), so a test can answer the modal it is shown.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.ids import CallbackId
from bot.slack.app import create_app
from bot.slack.courier import Courier, delivery_client
from bot.slack.http_server import PATH, Limits, http_server
from bot.slack.ids import COMMAND
from conversations.context import Context
from tests.slack.fake_api import TEAM, FakeSlackApi

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Response:
    """The app's HTTP answer (the ack)."""

    status: int
    body: str
    seconds: float = 0.0  # from sending the request to the ack (not the listener's later work)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.strip().startswith("{") else {}

    @property
    def text(self) -> str:
        """The message text of a command's ack (bolt sends a text-only ack as a plain body)."""
        return self.json.get("text", "") if self.json else self.body


class DrainingExecutor(ThreadPoolExecutor):
    """bolt's listener executor, with a way to wait until every submitted listener has finished."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._futures: list[Future[Any]] = []
        self._futures_lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future = super().submit(fn, *args, **kwargs)
        with self._futures_lock:
            self._futures.append(future)
        return future

    def drain(self) -> None:
        """Wait for listeners (and any they started) to finish."""
        while True:
            with self._futures_lock:
                pending, self._futures = self._futures, []
            if not pending:
                return
            wait(pending, timeout=60)


class SlackHarness:
    """One app under test on `ctx`; `restart()` replaces it with a new app on the same database."""

    def __init__(
        self, ctx: Context, api: FakeSlackApi, *, process_before_response: bool | None = None
    ) -> None:
        self.ctx = ctx
        self.process_before_response = process_before_response
        self.api = api
        self.settings = Settings(
            database_url="",
            academies_file=Path("academies.toml"),
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            app_token="",
            api_url=api.url,
            port=0,
        )
        self.current: dict[str, str] = {}  # user -> id of the modal Slack shows them
        self._ids = itertools.count(1)
        self._start()

    def _start(self) -> None:
        self.executor = DrainingExecutor()
        self.courier = Courier(self.ctx, delivery_client(self.settings))
        options = (
            {}
            if self.process_before_response is None
            else {"process_before_response": self.process_before_response}
        )
        self.app = create_app(
            self.ctx, self.settings, courier=self.courier, listener_executor=self.executor, **options
        )
        self.server = http_server(self.app, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"

    def stop(self) -> None:
        """Stop serving and wait for listeners."""
        self.drain()
        self.server.shutdown()
        self.server.server_close()
        self.executor.shutdown()
        self.courier.close()

    def drain(self) -> None:
        """Wait for listeners and for every delivery they handed to the courier."""
        self.executor.drain()
        self.courier.drain()

    def restart(self) -> None:
        """Simulate a redeploy: a new app object and server, same database, nothing else kept."""
        self.stop()
        self._start()

    # --- raw requests -----------------------------------------------------------------------

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST a raw body, signed with the signing secret unless told otherwise."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = ts
            all_headers["X-Slack-Signature"] = signature or SignatureVerifier(
                SIGNING_SECRET
            ).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                response = Response(answer.status, answer.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.read().decode(), time.perf_counter() - started)
        except urllib.error.URLError as error:
            # The server answers 413 to a body over its limit from the headers and closes without
            # reading the rest: a client still sending sees the connection reset instead.
            if len(body.encode()) < Limits().max_body:
                raise
            response = Response(413, f"refused unread ({error.reason.__class__.__name__})")
        self.drain()
        return response

    def interact(self, payload: dict[str, Any]) -> Response:
        """Send an interaction payload (form field `payload=`) and follow any modal update."""
        response = self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        if payload["type"] == "view_submission" and response.json.get("response_action") == "update":
            self.api.show(payload["view"]["id"], response.json["view"])
        return response

    # --- what people do ---------------------------------------------------------------------

    def command(
        self, user: str, text: str = "", *, team: str = TEAM, channel: str = "C0STAFFROOM"
    ) -> Response:
        """Type `/ypsi <text>`."""
        trigger = self._trigger(user)
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "schools",
            "channel_id": channel,
            "channel_name": "staffroom",
            "user_id": user,
            "user_name": "staff",
            "command": COMMAND,
            "text": text,
            "api_app_id": "A0YPSIAPP0",
            "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": trigger,
        }
        response = self.send(urlencode(form), "application/x-www-form-urlencoded")
        self._follow(user, trigger)
        return response

    def shortcut(self, user: str, *, team: str = TEAM) -> Response:
        """Choose "Report a YPSI concern" from the shortcuts menu."""
        trigger = self._trigger(user)
        response = self.interact(
            {
                "type": "shortcut",
                "callback_id": CallbackId.REPORT_SHORTCUT,
                "trigger_id": trigger,
                "user": {"id": user, "team_id": team},
                "team": {"id": team},
                "token": "legacy",
                "action_ts": "1790000000.1",
            }
        )
        self._follow(user, trigger)
        return response

    def view(self, user: str) -> dict[str, Any]:
        """The modal the person sees now."""
        return self.api.views[self.current[user]]

    def submission(self, user: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view_submission payload for the person's current modal filled with `values`."""
        view = self.view(user)
        return {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0YPSIAPP0",
            "trigger_id": self._trigger(user),
            "view": {
                **view,
                "id": self.current[user],
                "hash": self.api.view_hashes.get(self.current[user], ""),
                "state": {"values": state_values(view, values or {})},
            },
        }

    def submit_view(self, user: str, values: dict[str, Any] | None = None) -> Response:
        """Fill in the current modal (field key → value, or list for checkboxes) and press submit."""
        return self.interact(self.submission(user, values))

    def click(self, user: str, action_id: str, value: str = "") -> Response:
        """Press a button in the current modal."""
        view = self.view(user)
        return self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "trigger_id": self._trigger(user),
                "container": {"type": "view", "view_id": self.current[user]},
                "view": {
                    **view,
                    "id": self.current[user],
                    "hash": self.api.view_hashes.get(self.current[user], ""),
                    "state": {"values": {}},
                },
                "actions": [
                    {"type": "button", "action_id": action_id, "value": value, "action_ts": self.action_ts()}
                ],
            }
        )

    def click_message(self, user: str, channel: str, ts: str, action_id: str, value: str) -> Response:
        """Press a button on a message (e.g. the DSL alert card); follow any modal it opens."""
        trigger = self._trigger(user)
        response = self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "trigger_id": trigger,
                "container": {"type": "message", "channel_id": channel, "message_ts": ts},
                "channel": {"id": channel},
                "message": {"ts": ts},
                "response_url": self.api.response_url("actions"),
                "actions": [
                    {"type": "button", "action_id": action_id, "value": value, "action_ts": self.action_ts()}
                ],
            }
        )
        self._follow(user, trigger)
        return response

    def open_home(self, user: str) -> Response:
        """Open the app's Home tab (an app_home_opened event); the view is `api.homes[user]`."""
        return self.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})

    def click_home(self, user: str, action_id: str, value: str) -> Response:
        """Press a button on the person's Home tab; follow any modal it opens."""
        trigger = self._trigger(user)
        response = self.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "trigger_id": trigger,
                "container": {"type": "view", "view_id": "VHOME" + user},
                "view": {**self.api.homes.get(user, {}), "id": "VHOME" + user, "type": "home"},
                "actions": [
                    {"type": "button", "action_id": action_id, "value": value, "action_ts": self.action_ts()}
                ],
            }
        )
        self._follow(user, trigger)
        return response

    def close_view(self, user: str) -> Response | None:
        """Close the current modal with its X (Slack tells the app only if it asked: notify_on_close)."""
        view = self.view(user)
        if not view.get("notify_on_close"):
            return None
        return self.interact(
            {
                "type": "view_closed",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "view": {**view, "id": self.current[user]},
                "is_cleared": False,
            }
        )

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> Response:
        """Deliver an Events API event_callback (a retry when `retry_num` is given)."""
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0YPSIAPP0",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": "U0YPSIBOT0", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.send(json.dumps(body), "application/json", headers=headers)

    # --- helpers ------------------------------------------------------------------------------

    def action_ts(self) -> str:
        """A button press's `action_ts`: Slack's is different for every press (a replay repeats it)."""
        return f"1790000000.{next(self._ids):06d}"

    def _trigger(self, user: str) -> str:
        return f"{next(self._ids)}.{user}.trigger"

    def _follow(self, user: str, trigger: str) -> None:
        view_id = self.api.view_by_trigger.get(trigger)
        if view_id:
            self.current[user] = view_id


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Slack's `view.state.values` for the input blocks of `view`, filled from `values` by key."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(element["action_id"])
        state[block["block_id"]] = {element["action_id"]: _element_state(element, value)}
    return state


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    labels = {o["value"]: o["text"] for o in element.get("options", [])}
    if kind in ("radio_buttons", "static_select"):
        option = {"value": value, "text": labels.get(value)} if value else None
        return {"type": kind, "selected_option": option}
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": [{"value": v, "text": labels.get(v)} for v in value or []]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind == "datetimepicker":  # Unix seconds, as Slack sends them
        return {"type": kind, "selected_date_time": int(value) if value is not None else None}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    return {"type": kind, "value": value}
