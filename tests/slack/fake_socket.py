"""A fake Socket Mode endpoint: a minimal WebSocket server (stdlib) that Slack's SDK connects to.

slack_sdk's built-in client uses a plain socket for any port but 443 ("for library testing"),
so this speaks just enough RFC 6455: the handshake, text frames both ways, pong for ping.
It sends `hello`, then envelopes a test gives it, and collects the app's acks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import socket
import struct
import threading
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    """Accepts one client connection; `send` an envelope, `ack()` waits for the app's answer."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self._client: socket.socket | None = None
        self._send_lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=test"

    def send(self, envelope: dict[str, Any]) -> None:
        """Send one Socket Mode envelope to the app."""
        self._frame(TEXT, json.dumps(envelope).encode())

    def ack(self, timeout: float = 30) -> dict[str, Any]:
        """The next acknowledgement the app sent back."""
        return self.acks.get(timeout=timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._listener.close()

    def _serve(self) -> None:
        client, _ = self._listener.accept()
        self._client = client
        request = b""
        while b"\r\n\r\n" not in request:
            request += client.recv(4096)
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        client.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self.connected.set()
        self._read(client)

    def _read(self, client: socket.socket) -> None:
        try:
            while True:
                opcode, payload = _read_frame(client)
                if opcode == TEXT:
                    self.acks.put(json.loads(payload))
                elif opcode == PING:
                    self._frame(PONG, payload)
                elif opcode == CLOSE:
                    return
        except OSError:
            return

    def _frame(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        assert self._client is not None
        with self._send_lock:
            self._client.sendall(header + payload)


def _read_frame(client: socket.socket) -> tuple[int, bytes]:
    first, second = _exactly(client, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", _exactly(client, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", _exactly(client, 8))
    mask = _exactly(client, 4) if second & 0x80 else b"\0\0\0\0"
    data = _exactly(client, size)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _exactly(client: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = client.recv(count - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data
