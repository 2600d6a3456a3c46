"""The production HTTP server's limits, on loopback: body size, request deadline, burst, graceful stop.

Each test is bounded in connections and in time (socket timeouts, counted polls), and asserts
what a client sees: a status line, a closed connection, an answer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.config import load_settings
from bot.slack.http_server import PATH, Limits, SlackHttpServer, Traffic, http_server
from conversations.errors import ConfigError
from tests.conftest import TEACHER
from tests.slack.harness import SIGNING_SECRET

BURST = 200


def _address(slack) -> tuple[str, int]:
    return slack.server.server_address


def _signed_request(body: bytes, *, content_length: int | None = None) -> bytes:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body.decode())
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
        f"Content-Length: {len(body) if content_length is None else content_length}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _help_command() -> bytes:
    form = {"command": "/ypsi", "text": "help", "user_id": TEACHER, "team_id": "T0SCHOOLS00"}
    return urlencode(form).encode()


def test_a_body_over_the_limit_is_refused_from_its_headers_alone(slack):
    """A claimed 4 GiB body gets 413 at once: nothing of it is sent, so nothing of it is read."""
    with socket.create_connection(_address(slack), timeout=10) as sock:
        sock.sendall(_signed_request(b"", content_length=4 * 1024**3))
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413")
    assert slack.api.calls("views.open") == [] and slack.api.calls("chat.postMessage") == []


def test_a_body_at_the_limit_is_refused_and_one_below_it_reaches_the_app(slack):
    limit = Limits().max_body
    with socket.create_connection(_address(slack), timeout=10) as sock:
        sock.sendall(_signed_request(b"", content_length=limit))
        assert _read_all(sock).startswith(b"HTTP/1.1 413")
    body = _help_command()
    body += b"&pad=" + b"x" * (limit - len(body) - 6)
    with socket.create_connection(_address(slack), timeout=10) as sock:
        sock.sendall(_signed_request(body))
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200") and b"/ypsi report" in answer


def test_slow_headers_are_cut_off_at_the_request_deadline(slack):
    """A client dripping a header byte every 0.2 s is never idle, yet is closed at the deadline."""
    server = http_server(slack.app, "127.0.0.1", 0, Limits(request_deadline=1, idle_timeout=60))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address, timeout=10) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
            closed = False
            for _ in range(100):  # 20 s at most; the deadline is 1 s (checked each second)
                try:
                    sock.sendall(b"X")
                    sock.settimeout(0.2)
                    closed = sock.recv(1) == b""
                except TimeoutError:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                if closed:
                    break
        assert closed
    finally:
        server.shutdown()


def test_an_idle_connection_is_closed(slack):
    server = http_server(slack.app, "127.0.0.1", 0, Limits(idle_timeout=1))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address, timeout=15) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # then nothing
            assert sock.recv(1) == b""
    finally:
        server.shutdown()


def test_a_burst_of_simultaneous_connections_is_all_answered_without_a_reset(slack):
    """200 clients connect at once (more than a development server's backlog of 5), then each asks."""
    barrier = threading.Barrier(BURST, timeout=60)
    request = _signed_request(_help_command())

    def one_client() -> str:
        try:
            with socket.create_connection(_address(slack), timeout=30) as sock:
                barrier.wait()
                sock.sendall(request)
                answer = _read_all(sock)
        except (ConnectionResetError, BrokenPipeError, ConnectionRefusedError) as exc:
            return exc.__class__.__name__
        return answer.split(b"\r\n", 1)[0].decode()

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(lambda _: one_client(), range(BURST)))
    assert statuses == ["HTTP/1.1 200 OK"] * BURST


def test_shutdown_stops_accepting_and_answers_the_request_in_progress():
    """Graceful stop: the listening socket closes first; a request already being handled is answered."""
    started, release = threading.Event(), threading.Event()

    def slow_app(environ, start_response):
        started.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"ok": True}).encode()]

    server = SlackHttpServer(slow_app, "127.0.0.1", 0)
    address = server.server_address
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    with socket.create_connection(address, timeout=15) as sock:
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode())
        assert started.wait(10)
        stopping = threading.Thread(target=server.shutdown)
        stopping.start()
        refused = False
        for _ in range(100):  # the listening socket closes within a loop turn or two
            try:
                socket.create_connection(address, timeout=1).close()
            except OSError:
                refused = True
                break
            time.sleep(0.05)
        assert refused
        release.set()
        assert _read_all(sock).startswith(b"HTTP/1.1 200")
    stopping.join(30)
    serving.join(30)
    assert not serving.is_alive()


def test_the_event_loop_does_not_poll_to_write_while_a_task_sends_its_own_answer(slack):
    """A running task sends its own answer; polling for writing then would only spin the loop."""
    with socket.create_connection(_address(slack), timeout=15):
        server = slack.server._server
        for _ in range(100):
            if server.active_channels:
                break
            time.sleep(0.01)
        (channel,) = server.active_channels.values()
        channel.total_outbufs_len = 100  # an answer being written
        channel.requests = [object()]  # by a task still running
        assert not channel.writable()
        channel.total_outbufs_len = channel.adj.outbuf_high_watermark  # the task waits for the loop
        assert channel.writable()
        channel.total_outbufs_len = 100
        channel.requests = []  # the task ended: the loop sends what is left
        assert channel.writable()
        channel.total_outbufs_len = 0


def test_host_defaults_to_loopback_and_is_validated():
    env = {"DATABASE_URL": "sqlite:///x.db"}
    assert load_settings(env).host == "127.0.0.1"
    assert load_settings({**env, "HOST": "0.0.0.0", "PORT": "8080"}).host == "0.0.0.0"
    with pytest.raises(ConfigError, match="HOST"):
        load_settings({**env, "HOST": "127.0.0.1; rm"})


def test_a_delivery_waits_for_the_requests_in_progress_then_goes():
    traffic = Traffic()
    went = threading.Event()

    def delivery() -> None:
        traffic.wait_quiet(timeout=30)
        went.set()

    with traffic.request():
        worker = threading.Thread(target=delivery)
        worker.start()
        assert not went.wait(0.3)  # an ack is being answered: the delivery holds back
        assert traffic.wait_quiet(timeout=0.01) is False
    assert went.wait(30)  # the last request answered: it goes at once
    worker.join()
    assert traffic.wait_quiet(timeout=0)
