"""One app process for the concurrency tests and the benchmark: the bolt app over HTTP on a free port.

Run as `python -m tests.app_worker DATABASE_URL SLACK_API_URL NOW_ISO`: prints the port, then
serves until terminated (SIGTERM), then finishes its deliveries. The clock stays at NOW, as in the
test process.
"""

from __future__ import annotations

import signal
import sys
from datetime import datetime

from bot.slack.app import create_app
from bot.slack.courier import Courier, delivery_client
from bot.slack.server import http_server
from conversations.academies import Academies
from tests.conftest import OAKFIELD, RIVERSIDE, FakeClock, make_context
from tests.slack.served import settings


def main(url: str, api_url: str, now: str) -> None:
    ctx = make_context(
        url, Academies({a.key: a for a in (OAKFIELD, RIVERSIDE)}), FakeClock(datetime.fromisoformat(now))
    )
    courier = Courier(ctx, delivery_client(settings(api_url)))
    app = create_app(ctx, settings(api_url), courier=courier, process_before_response=True)
    server = http_server(app, "127.0.0.1", 0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        courier.close()  # what the requests handed to the delivery workers reaches the fake API
        ctx.db.engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
