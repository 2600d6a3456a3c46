"""The three servers the served benchmark (bench/served.py) starts, each as a process of its own.

`python -m bench.server_process ypsi CLOCK_FILE`: `ypsi run` as deployed, configured from the
environment (HTTP mode on HOST:PORT, the database, keys and academies file of the settings), its
clock read from CLOCK_FILE, which the benchmark moves on report by report (bench/clock.py), so a
benchmark of minutes crosses the reminders' due times of a school day. The product reads the time
through `ctx.clock` only; `ypsi run` builds its context with the system clock, and no production
setting moves it: the clock is given here, by handing `bot.slack.server` a `build_context` with
another `clock` argument (the same argument the practice console uses). Nothing else differs
from `ypsi run`.

`python -m bench.server_process bare PORT SLACK_API_URL`: the bare bolt app (bench/clients.py)
behind the same HTTP server. `python -m bench.server_process floor PORT`: the same HTTP server
answering every POST 200 with an empty body, doing nothing else (the raw HTTP floor).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from bench.clients import bare_app
from bench.clock import read_clock
from bot import cli
from bot.slack import server
from bot.slack.http_server import SlackHttpServer, http_server
from tests.slack.served import settings


def ypsi(clock_file: str) -> int:
    server.build_context = partial(server.build_context, clock=read_clock(clock_file))
    return cli.main(["run"])


def _floor(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read()  # read the body as any app must
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def serve(http: SlackHttpServer) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        http.serve_forever()
    http.server_close()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "ypsi":
        return ypsi(*args)
    if kind == "bare":
        port, api_url = args
        return serve(http_server(bare_app(settings(api_url), True), "127.0.0.1", int(port)))
    return serve(SlackHttpServer(_floor, "127.0.0.1", int(args[0])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
