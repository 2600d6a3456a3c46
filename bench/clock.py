"""The served benchmarks' clock: a time the benchmark sets and the server process reads.

The bot reads the time through `ctx.clock` only. A clock moving with the wall clock (at some
speed) would let a slower row (Slack answering after 100 ms) cross more of the school day per
report, and so send more reminders, than a faster one: CPU per report would differ for the
clock's sake. Instead the benchmark moves the time by a fixed step after each round, once the
outbox is empty (a jump never outruns a claim's lease), so every row crosses the same stretch of
the school day per report. The time is 8 bytes (microseconds since the epoch) in a shared file.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bench.common import wait_delivered

_FORMAT = "<q"
_SIZE = struct.calcsize(_FORMAT)


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


class SharedClock:
    """The benchmark's side: the file's time, set at `start` and moved on by `step` each round."""

    def __init__(self, path: Path, start: datetime, step: timedelta) -> None:
        self.path, self.now, self.step = path, start, step
        path.write_bytes(struct.pack(_FORMAT, _micros(start)))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), _SIZE)

    def next_round(self, db: Engine) -> None:
        """Once everything queued so far is delivered, move the time on by `step`."""
        wait_delivered(db)
        self.now += self.step
        self._map[:_SIZE] = struct.pack(_FORMAT, _micros(self.now))

    def close(self) -> None:
        """Unmap and close the file (it stays for the server to read until it stops)."""
        self._map.close()
        self._file.close()


def read_clock(path: str) -> Callable[[], datetime]:
    """The server's side: a clock reading the shared file (read twice until it agrees: never torn)."""
    with open(path, "rb") as file:
        shared = mmap.mmap(file.fileno(), _SIZE, access=mmap.ACCESS_READ)

    def now() -> datetime:
        while (first := shared[:_SIZE]) != shared[:_SIZE]:
            pass
        return datetime.fromtimestamp(struct.unpack(_FORMAT, first)[0] / 1_000_000, UTC)

    return now
