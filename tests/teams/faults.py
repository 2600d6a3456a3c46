"""The fake Bot Connector, failing on purpose: for the courier's retry, dead-letter and fallback tests.

`fail(operation, *faults, conversation=…)` queues one-shot faults for the next calls of one
operation ("send", "update", "create_conversation", "members"), optionally only in one
conversation: an HTTP status (with a Retry-After and the connector's error code), a slow answer
(longer than the client's timeout), or a connection closed without an answer.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from tests.teams.fake_connector import FakeConnector


@dataclass(frozen=True)
class Fault:
    """One failed call; build one with the class methods."""

    status: int = 0
    retry_after: str | None = None
    code: str = ""
    delay: float = 0.0
    drop: bool = False

    @classmethod
    def http(cls, status: int, code: str = "", retry_after: str | None = None) -> Fault:
        return cls(status=status, code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """The call answers (normally) only after `seconds`: the client times out first."""
        return cls(delay=seconds)

    @classmethod
    def dropped(cls) -> Fault:
        return cls(drop=True)


@dataclass
class FaultyConnector(FakeConnector):
    """The fake connector with faults queued per operation; `failed` counts the faults served."""

    failed: int = 0
    _faults: dict[tuple[str, str | None], deque[Fault]] = field(default_factory=lambda: defaultdict(deque))

    def fail(self, operation: str, *faults: Fault, conversation: str | None = None) -> None:
        with self._lock:
            self._faults[(operation, conversation)].extend(faults)

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        operation, conversation = _operation(method, urlsplit(request.path).path)
        fault = self._take(operation, conversation)
        if fault is None:
            super()._answer(request, method)
            return
        with self._lock:
            self.failed += 1
        if fault.delay:
            time.sleep(fault.delay)
            super()._answer(request, method)
            return
        if fault.drop:
            request.close_connection = True
            return
        body = json.dumps({"error": {"code": fault.code or "Error", "message": "injected"}}).encode()
        request.send_response(fault.status)
        if fault.retry_after is not None:
            request.send_header("Retry-After", fault.retry_after)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _take(self, operation: str, conversation: str) -> Fault | None:
        with self._lock:
            for key in ((operation, conversation), (operation, None)):
                if self._faults.get(key):
                    return self._faults[key].popleft()
        return None


def _operation(method: str, path: str) -> tuple[str, str]:
    parts = [unquote(p) for p in path.strip("/").split("/")][2:]  # after v3/conversations
    if not parts:
        return "create_conversation", ""
    if method == "GET":
        return "members", parts[0]
    return ("update" if method == "PUT" else "send"), parts[0]
