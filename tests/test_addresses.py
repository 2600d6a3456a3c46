"""Stored addresses: what a front end needs to reach someone proactively, kept by person or channel.

Many requests (threads) and several processes storing the same people's addresses at once
on SQLite and PostgreSQL: no error, one row per person, and the row holds one whole write.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from conversations.delivery import addresses
from conversations.storage.models import Address
from tests.address_worker import person
from tests.test_cli import ROOT

CHANNEL = "teams:19:9a8b7c6d5e4f@thread.tacv2"
THREADS = 8
PROCESSES = 3
ROUNDS = 15
PEOPLE = 4


def stored(ctx) -> int:
    with ctx.db.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Address))


def test_an_address_is_kept_and_replaced(ctx, clock):
    assert addresses.address_of(ctx, person(1)) is None
    addresses.remember(
        ctx, person(1), "teams", {"conversation": "a:1", "service_url": "https://smba.example"}
    )
    addresses.remember(ctx, CHANNEL, "teams", {"conversation": "19:9a8b7c6d5e4f@thread.tacv2"})
    assert addresses.address_of(ctx, person(1)) == {
        "conversation": "a:1",
        "service_url": "https://smba.example",
    }
    clock.advance(minutes=1)
    addresses.remember(
        ctx, person(1), "teams", {"conversation": "a:2", "service_url": "https://smba.example"}
    )
    assert addresses.address_of(ctx, person(1))["conversation"] == "a:2"
    assert addresses.address_of(ctx, CHANNEL) == {"conversation": "19:9a8b7c6d5e4f@thread.tacv2"}
    assert stored(ctx) == 2


def test_an_older_write_never_replaces_a_newer_one(ctx, clock):
    addresses.remember(ctx, person(1), "teams", {"conversation": "a:new"})
    clock.advance(minutes=-5)  # a request that began earlier, stored later
    addresses.remember(ctx, person(1), "teams", {"conversation": "a:old"})
    assert addresses.address_of(ctx, person(1)) == {"conversation": "a:new"}


def test_requests_at_once_store_each_person_once(ctx):
    def store(worker: int) -> None:
        for n in range(ROUNDS):
            for p in range(PEOPLE):
                addresses.remember(
                    ctx, person(p), "teams", {"conversation": f"a:{worker}-{n}", "worker": worker}
                )

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(store, range(THREADS)))  # re-raises any worker's error
    assert stored(ctx) == PEOPLE
    for p in range(PEOPLE):
        kept = addresses.address_of(ctx, person(p))
        assert kept is not None and kept["conversation"] == f"a:{kept['worker']}-{ROUNDS - 1}"


def test_processes_at_once_store_each_person_once(ctx, database_url, clock):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [database_url, clock.now.isoformat(), "", str(ROUNDS), str(PEOPLE)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.address_worker", *args[:2], f"w{n}", *args[3:]],
            env=env,
            stderr=subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]
    failures = [w.communicate(timeout=120)[1].decode() for w in workers if w.wait(timeout=120) != 0]
    assert failures == []
    assert stored(ctx) == PEOPLE
    for p in range(PEOPLE):
        kept = addresses.address_of(ctx, person(p))
        assert kept is not None and kept["conversation"] == f"a:{kept['worker']}-{ROUNDS - 1}"
