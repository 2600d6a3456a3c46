"""One reminder runner process for the multi-process test: drains, logging each delivery to a file.

Run as `python -m tests.reminder_worker DATABASE_URL NOW_ISO OUTFILE [CRASH_AFTER]`; the clock
stays at NOW. With CRASH_AFTER the process dies (os._exit) right after posting that many: no
cleanup, no marking sent, like a killed process.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from conversations.academies import Academies
from conversations.scheduling.runner import Runner
from tests.conftest import OAKFIELD, RIVERSIDE, FakeClock, make_context


def main(url: str, now: str, outfile: str, crash_after: str = "0") -> None:
    ctx = make_context(
        url, Academies({a.key: a for a in (OAKFIELD, RIVERSIDE)}), FakeClock(datetime.fromisoformat(now))
    )
    fd = os.open(outfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    posted: list[int] = []

    def deliver(message) -> None:  # one small O_APPEND write per delivery: lines never interleave
        os.write(fd, f"{message.reminder_id} {os.getpid()}\n".encode())
        posted.append(message.reminder_id)
        if len(posted) == int(crash_after):
            os._exit(9)

    Runner(ctx, deliver, batch=20).drain()
    os.close(fd)
    ctx.db.engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:5])
