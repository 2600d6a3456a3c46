"""A stateful fake of the Slack Web API: stdlib HTTP server on 127.0.0.1, port 0, in a thread.

It records every call (method name and decoded params) and answers the methods the app uses.
A view or message breaking one of Slack's documented Block Kit limits is refused with
`invalid_blocks`, as Slack would (and noted in `limit_problems`), so every Slack test checks them.
`views.update` with a stale `hash` is refused with `hash_conflict`. What the app posts to an
interaction's `response_url` (`response_url()`) is recorded as a `response_url` call.
Any other method (files.* included) is recorded and answered `unknown_method`, so a test can
assert it was never called.

Faults: `fail` answers a method with an error every time; `inject` queues one-shot faults for a
method's next calls (a timeout, a 429 with Retry-After, a 5xx, an error, a dropped connection, a
stall or a hang held until released), and `fail_http`, `drop` and `fail_next` are its shorthands;
`latency` delays every answer. A call that did not succeed is recorded with `ok=False`, and
`posted` lists only the messages Slack accepted.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.slack.views.limits import problems

BOT_USER = "U0YPSIBOT0"
BOT_ID = "B0YPSIBOT0"
TEAM = "T0SCHOOLS00"
JSON_PARAMS = ("view", "blocks", "metadata", "attachments")
DROPPED = 0  # an HTTP "status" meaning: close the connection without answering
RESPONSE_PATH, RESPONSE_URL = "/response/", "response_url"  # an interaction's response_url, recorded
VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", RESPONSE_URL)


@dataclass
class Call:
    """One Web API call as the fake server received it; `ok` once it was answered successfully."""

    method: str
    params: dict[str, Any]
    ok: bool = False


@dataclass(frozen=True)
class Fault:
    """A one-shot fault for `FakeSlackApi.inject`; build one with the class methods."""

    kind: str
    value: Any = None

    @classmethod
    def timeout(cls, seconds: float) -> Fault:
        """Answer only after `seconds` (longer than the client waits)."""
        return cls("timeout", seconds)

    @classmethod
    def rate_limited(cls, retry_after: int) -> Fault:
        """HTTP 429 `ratelimited` with a Retry-After header."""
        return cls("rate_limited", retry_after)

    @classmethod
    def server_error(cls, status: int = 503) -> Fault:
        """An HTTP 5xx with an HTML body, as a load balancer answers."""
        return cls("server_error", status)

    @classmethod
    def http(cls, status: int, retry_after: str | None = None) -> Fault:
        """HTTP `status` with Slack's JSON error body (429 `ratelimited`, else `internal_error`)."""
        return cls("http", (status, retry_after))

    @classmethod
    def dropped(cls) -> Fault:
        """Close the connection without an answer."""
        return cls("dropped")

    @classmethod
    def error(cls, name: str) -> Fault:
        """`{"ok": false, "error": name}` once (e.g. invalid_blocks, user_not_found)."""
        return cls("error", name)

    @classmethod
    def stall(cls, release: threading.Event) -> Fault:
        """Hold the call until `release` is set, then answer it as usual (a slow Slack)."""
        return cls("stall", release)

    @classmethod
    def hang(cls, release: threading.Event) -> Fault:
        """Hold the call until `release` is set, then fail it (its caller was killed meanwhile)."""
        return cls("hang", release)


@dataclass
class ChannelInfo:
    is_private: bool = True
    is_member: bool = True


@dataclass
class FakeSlackApi:
    """The server's state: recorded calls, channel settings, issued timestamps and view ids."""

    channels: dict[str, ChannelInfo] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[tuple[str, str | None], str] = field(default_factory=dict)
    socket_mode_url: str = ""
    view_by_trigger: dict[str, str] = field(default_factory=dict)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> published Home tab
    names: dict[str, str] = field(default_factory=dict)  # user -> full name users.info gives
    limit_problems: list[tuple[str, list[str]]] = field(default_factory=list)  # calls refused for a limit
    view_hashes: dict[str, str] = field(default_factory=dict)  # view id -> its current hash
    latency: float = 0.0  # seconds before every answer (a slow Slack)
    faults: dict[tuple[str, str | None], deque[Fault]] = field(default_factory=dict)
    stalled: threading.Event = field(default_factory=threading.Event)  # set when a stall begins
    _calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def start(self) -> FakeSlackApi:
        """Serve on a free port in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        """A response_url for an interaction payload; what the app posts there is recorded as
        `response_url` calls."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{RESPONSE_PATH}{name}"

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, in order; only those of `method` when given."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def methods(self) -> list[str]:
        """The method name of every recorded call, in order."""
        return [c.method for c in self.calls()]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages Slack accepted (chat.postMessage params), optionally to one channel (DMs: D + user)."""
        return [
            c.params
            for c in self.calls("chat.postMessage")
            if c.ok and (channel is None or c.params["channel"] == channel)
        ]

    def set_channel(self, channel: str, *, is_private: bool = True, is_member: bool = True) -> None:
        """What conversations.info says about a channel (default: private, bot is a member)."""
        self.channels[channel] = ChannelInfo(is_private, is_member)

    def fail(self, method: str, error: str, *, channel: str | None = None) -> None:
        """Answer `method` (only for `channel`, when given) with `{"ok": false, "error": error}`."""
        self.failures[(method, channel)] = error

    def inject(self, method: str, *faults: Fault, channel: str | None = None) -> None:
        """Apply `faults` to the next calls of `method` (only to `channel` when given), one each."""
        with self._lock:
            self.faults.setdefault((method, channel), deque()).extend(faults)

    def fail_http(self, method: str, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` (429 with Retry-After, 5xx)."""
        self.inject(method, *[Fault.http(status, retry_after)] * times)

    def drop(self, method: str, *, times: int = 1) -> None:
        """Close the connection of the next `times` calls of `method` without an answer."""
        self.inject(method, *[Fault.dropped()] * times)

    def fail_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self.inject(method, *[Fault.error(error)] * times)

    def touch_view(self, view_id: str) -> None:
        """Something else changed the view (another click, another update): its hash moves on."""
        with self._lock:
            self.view_hashes[view_id] = f"h{next(self._counter)}"

    def show(self, view_id: str, view: dict[str, Any]) -> str:
        """Show `view` as `view_id` (opened or updated), with a new hash as Slack gives; returns it."""
        with self._lock:
            self.views[view_id] = view
            self.view_hashes[view_id] = f"h{next(self._counter)}"
            return self.view_hashes[view_id]

    def record(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        """Record one call and answer it: (HTTP status, headers, body)."""
        call = Call(method, params)
        with self._lock:
            self._calls.append(call)
            number = next(self._counter)
            fault = self._next_fault(method, params.get("channel"))
        if self.latency:
            time.sleep(self.latency)
        if fault is not None and fault.kind == "stall":
            self.stalled.set()
            fault.value.wait(timeout=120)
        elif fault is not None:
            return self._fault(fault)
        body = self._refusal(method, params)
        if body is None:
            answer = getattr(self, "_" + method.replace(".", "_"), None)
            body = answer(params, number) if answer else {"ok": False, "error": "unknown_method"}
        call.ok = bool(body.get("ok"))
        return 200, {}, body

    def _refusal(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's refusal of a call (a stale hash, a set failure, a broken limit), or None."""
        if method == "views.update" and params.get("hash"):
            with self._lock:
                current = self.view_hashes.get(params.get("view_id", ""))
            if current is not None and params["hash"] != current:
                return {"ok": False, "error": "hash_conflict"}
        error = self.failures.get((method, params.get("channel"))) or self.failures.get((method, None))
        if error:
            return {"ok": False, "error": error}
        broken = _broken_limits(method, params)
        if broken:  # as Slack does: the whole call is refused
            with self._lock:
                self.limit_problems.append((method, broken))
            return {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": broken}}
        return None

    def _next_fault(self, method: str, channel: Any) -> Fault | None:
        for key in ((method, channel), (method, None)):
            queue = self.faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _fault(self, fault: Fault) -> tuple[int, dict[str, str], Any]:
        if fault.kind == "timeout":
            time.sleep(fault.value)
            return 200, {}, {"ok": False, "error": "answered_too_late"}
        if fault.kind == "hang":
            self.stalled.set()
            fault.value.wait(timeout=120)
            return 200, {}, {"ok": False, "error": "answered_too_late"}
        if fault.kind == "rate_limited":
            return 429, {"Retry-After": str(fault.value)}, {"ok": False, "error": "ratelimited"}
        if fault.kind == "http":
            status, retry_after = fault.value
            error = "ratelimited" if status == 429 else "internal_error"
            return (
                status,
                ({"Retry-After": retry_after} if retry_after else {}),
                {"ok": False, "error": error},
            )
        if fault.kind == "dropped":
            return DROPPED, {}, ""
        if fault.kind == "server_error":
            return fault.value, {"Content-Type": "text/html"}, "<html>Service Unavailable</html>"
        return 200, {}, {"ok": False, "error": fault.value}

    # --- the methods the app may call ------------------------------------------------------

    def _auth_test(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "ypsi-bot"}

    def _views_open(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        view_id = f"V{n:09d}"
        view_hash = self.show(view_id, params["view"])
        with self._lock:
            self.view_by_trigger[params["trigger_id"]] = view_id
        return {"ok": True, "view": {**params["view"], "id": view_id, "hash": view_hash}}

    def _views_update(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        view_hash = self.show(params["view_id"], params["view"])
        return {"ok": True, "view": {**params["view"], "id": params["view_id"], "hash": view_hash}}

    _views_push = _views_open

    def _views_publish(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        with self._lock:
            self.homes[params["user_id"]] = params["view"]
        return {"ok": True, "view": {**params["view"], "id": f"V{n:09d}"}}

    def _chat_postMessage(self, params: dict[str, Any], n: int) -> dict[str, Any]:  # noqa: N802
        ts = f"1790000000.{n:06d}"
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": {"ts": ts}}

    def _chat_update(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}

    def _chat_postEphemeral(self, params: dict[str, Any], n: int) -> dict[str, Any]:  # noqa: N802
        return {"ok": True, "message_ts": f"1790000000.{n:06d}"}

    def _conversations_info(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        info = self.channels.get(params["channel"], ChannelInfo())
        return {
            "ok": True,
            "channel": {"id": params["channel"], "is_private": info.is_private, "is_member": info.is_member},
        }

    def _conversations_open(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": dm_channel(params["users"])}}

    def _apps_connections_open(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_mode_url}

    def _response_url(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"ok": True}

    def _users_info(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        """A workspace member as Slack describes one (in `names`), else `user_not_found`."""
        name = self.names.get(params["user"])
        if name is None:
            return {"ok": False, "error": "user_not_found"}
        profile = {"real_name": name, "display_name": name.split()[0]}
        user = {"id": params["user"], "real_name": name, "tz": "Europe/London", "is_bot": False}
        return {"ok": True, "user": {**user, "profile": profile}}


def _broken_limits(method: str, params: dict[str, Any]) -> list[str]:
    """Slack's documented Block Kit limits the call's view or message breaks (none: [])."""
    if method in VIEW_METHODS and isinstance(params.get("view"), dict):
        return problems(params["view"])
    if method in MESSAGE_METHODS and isinstance(params.get("blocks"), list):
        return problems({"text": params.get("text", ""), "blocks": params["blocks"]})
    return []


def dm_channel(user: str) -> str:
    """The fake's id for the app's direct message with `user`."""
    return "D" + user[1:]


def _decode(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    if "json" in content_type:
        params.update(json.loads(body or b"{}"))
    else:
        params.update(parse_qsl(body.decode()))
    for key in JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _handler(api: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = _decode(body, self.headers.get("Content-Type", ""), query)
            method = path.rsplit("/", 1)[-1]
            if path.startswith(RESPONSE_PATH):  # recorded with the name the response_url was made for
                method, params["response_url_for"] = RESPONSE_URL, path[len(RESPONSE_PATH) :]
            status, headers, answer = api.record(method, params)
            if status == DROPPED:
                self.close_connection = True
                return
            data = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                return  # the client gave up (timed out, or its process was killed)

        do_GET = do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
