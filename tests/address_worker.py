"""One process storing addresses for the multi-process test of conversations/delivery/addresses.py.

Run as `python -m tests.address_worker DATABASE_URL NOW_ISO WORKER ROUNDS PEOPLE`: stores every
person's address ROUNDS times, each naming this worker and round, and exits 0.
"""

from __future__ import annotations

import sys
from datetime import datetime

from conversations.academies import Academies
from conversations.delivery import addresses
from tests.conftest import OAKFIELD, FakeClock, make_context


def main(url: str, now: str, worker: str, rounds: str, people: str) -> None:
    ctx = make_context(url, Academies({OAKFIELD.key: OAKFIELD}), FakeClock(datetime.fromisoformat(now)))
    for n in range(int(rounds)):
        for p in range(int(people)):
            addresses.remember(ctx, person(p), "teams", {"conversation": f"a:{worker}-{n}", "worker": worker})
    ctx.db.engine.dispose()


def person(n: int) -> str:
    """The n-th person's id."""
    return f"teams:00000000-0000-4000-8000-{n:012d}"


if __name__ == "__main__":
    main(*sys.argv[1:6])
