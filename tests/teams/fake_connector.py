"""A fake Bot Connector service on loopback that records every activity the bot sends.

The bot replies and sends proactively to an activity's `serviceUrl`: the harness gives every
activity this server's URL, so nothing leaves the machine. It answers the calls the Teams SDK
makes (api/clients/conversation in microsoft-teams-api):

- POST /v3/conversations/{id}/activities (a new activity; `?isTargetedActivity=true` too),
  POST /v3/conversations/{id}/activities/{reply-to id} (a reply): recorded, answered with a new id;
- PUT /v3/conversations/{id}/activities/{activity id}: an update in place, recorded;
- POST /v3/conversations: a 1:1 conversation created for a member, recorded, answered with its id;
- GET /v3/conversations/{id}/members and /pagedMembers: the roster set with `set_members`.

Every request is listed in `requests` (method, path), so a test can show what was never asked
for (a file's download link, an image's content).

Every request must carry `Authorization: Bearer <token>` (the bot's outbound token), as the
real service requires; one without it is answered 401 and recorded as refused.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Sent:
    """One call the bot made: what, to which conversation, and the activity (or body) it sent."""

    method: str  # "send", "update", "create_conversation"
    conversation_id: str
    body: dict[str, Any]
    activity_id: str = ""
    reply_to: str = ""

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to the activity (their content)."""
        return [
            a.get("content") or {}
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class FakeConnector:
    """The fake service: `start()` serves it on 127.0.0.1 port 0; `url` is its serviceUrl."""

    sent: list[Sent] = field(default_factory=list)
    refused: int = 0
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every call

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeConnector:
        connector = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                connector._answer(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                connector._answer(self, "POST")

            def do_PUT(self) -> None:  # noqa: N802
                connector._answer(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def set_members(self, conversation_id: str, members: list[dict[str, Any]]) -> None:
        """The roster GET …/members and …/pagedMembers answer for a conversation (or team)."""
        self.members[conversation_id] = members

    def to(self, conversation_id: str) -> list[Sent]:
        """Everything sent or updated in one conversation, in order."""
        with self._lock:
            return [s for s in self.sent if s.conversation_id == conversation_id]

    def texts(self, conversation_id: str) -> list[str]:
        return [s.text for s in self.to(conversation_id) if s.method == "send"]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        with self._lock:
            self.requests.append((method, request.path))
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        auth = request.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            with self._lock:
                self.refused += 1
            self._reply(request, 401, {"error": {"code": "Unauthorized"}})
            return
        body = json.loads(raw) if raw else {}
        with self._lock:
            self.tokens.append(auth.removeprefix("Bearer "))
        status, answer = self._route(method, urlsplit(request.path).path, body)
        self._reply(request, status, answer)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] != ["v3", "conversations"]:
            return 404, {"error": {"code": "NotFound"}}
        rest = parts[2:]
        if method == "POST" and not rest:
            conversation = f"a:1on1-{next(self._ids)}"
            self._record(Sent("create_conversation", conversation, body))
            return 201, {"id": conversation, "activityId": ""}
        if method == "GET" and len(rest) == 2 and rest[1] in ("members", "pagedMembers"):
            members = self.members.get(rest[0], [])
            return 200, ({"members": members} if rest[1] == "pagedMembers" else members)  # type: ignore[return-value]
        if method == "POST" and len(rest) in (2, 3) and rest[1] == "activities":
            new_id = f"activity-{next(self._ids)}"
            reply_to = rest[2] if len(rest) == 3 else ""
            self._record(Sent("send", rest[0], body, activity_id=new_id, reply_to=reply_to))
            return 201, {"id": new_id}
        if method == "PUT" and len(rest) == 3 and rest[1] == "activities":
            self._record(Sent("update", rest[0], body, activity_id=rest[2]))
            return 200, {"id": rest[2]}
        return 404, {"error": {"code": "NotFound"}}

    def _record(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
