"""The delivery loop every front end's courier runs over the outbox, whatever its platform.

A courier claims only its own platform's rows, renders each for its platform and posts it; what
fails comes back classified by the front end (`Failure`) and the outbox's rules apply: a
transient failure is retried with backoff, a permanent one is dead-lettered and falls back, and
the fallback rows are delivered at once. Listeners hand a courier the ids of rows they just
committed (`send`) and return; the reminder runner's loop hands it what falls due
(`send_due`), so a row this process could not deliver, or a process that died left behind, is
delivered by any runner (docs/decisions/0040-outbox.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import Any

from conversations.context import Context
from conversations.delivery import outbox
from conversations.delivery.outbox import Kind, Outgoing

log = logging.getLogger("ypsi.delivery")
WORKERS = 4  # outbox deliveries of one front end

Posted = tuple[str, str] | None  # where a channel card now is (channel, message id), to update it


class Failure(Exception):
    """A delivery that did not happen: `transient` ones are retried, `after` seconds at least.

    `problem`, for a DSL channel that cannot be used, is what the DSLs are told instead.
    """

    def __init__(self, error: str, transient: bool, after: float | None = None, problem: str | None = None):
        super().__init__(error)
        self.error, self.transient, self.after, self.problem = error, transient, after, problem


# The method a front end's courier implements for each kind of row: it posts the row and
# returns where a new channel card now is (or None), raising what its SDK raised if it failed.
RENDERS: dict[Kind, str] = {
    Kind.ALERT: "_alert",
    Kind.ALERT_DM: "_alert_dm",
    Kind.CARD: "_card",
    Kind.RECEIPT: "_receipt",
    Kind.NOTICE: "_notice",
    Kind.REMINDER: "_reminder",
    Kind.UNDELIVERED: "_undelivered",
    Kind.PRINCIPAL: "_principal",
}


class Courier:
    """Delivery workers for one platform's outbox rows: now (`send`) or when due (`send_due`).

    A front end's courier names its `platform`, implements a method per kind of row (RENDERS)
    and `classify` (what an exception of its SDK means for the outbox).
    """

    platform: str

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._deliveries = ThreadPoolExecutor(WORKERS, thread_name_prefix=f"{self.platform}-delivery")
        self._futures: set[Future[Any]] = set()  # submitted and not yet done
        self._lock = threading.Lock()

    def render(self, item: Outgoing) -> Posted:
        """Post one claimed row on the platform, by its kind; raise what its SDK raised if it failed."""
        post: Callable[[Outgoing], Posted] = getattr(self, RENDERS[item.kind])
        return post(item)

    def classify(self, exc: BaseException) -> Failure:
        """Whether a failed post is worth retrying, and what it was, from what the SDK raised."""
        raise NotImplementedError

    # --- the ports ------------------------------------------------------------------------------

    def send(self, ids: Sequence[int]) -> None:
        """Deliver these just-committed outbox rows on a worker (the caller returns at once)."""
        for one in ids:  # one job each: a slow channel post never holds up the receipt
            self._submit(self._deliveries, self._deliver_ids, [one])

    def send_due(self) -> int:
        """Claim this platform's rows that are due and deliver them here; returns how many were claimed."""
        self._before_claim()
        items = outbox.claim(self.ctx, self.platform)
        for item in items:
            self._deliver(item)
        return len(items)

    def drain(self) -> None:
        """Wait until everything submitted so far (and anything it started) is done."""
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            wait(pending, timeout=60)

    def close(self) -> None:
        """Finish what was submitted and stop the workers."""
        self.drain()
        self._deliveries.shutdown()

    # --- the work -------------------------------------------------------------------------------

    def _before_claim(self) -> None:
        """Called before every claim (a front end may let its requests go first)."""

    def _submit(self, pool: Executor, fn: Callable[..., Any], *args: Any) -> None:
        future = pool.submit(fn, *args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)  # a long-running bot keeps none it no longer needs

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _deliver_ids(self, ids: list[int]) -> None:
        self._before_claim()
        try:
            # Claimed when the job runs, never earlier: a claimed row waiting in the queue
            # could outlive its lease and be claimed and sent by a runner too.
            items = outbox.claim(self.ctx, self.platform, ids)
        except Exception:
            log.exception("outbox rows not claimed; the runner delivers them when due")
            return
        for item in items:
            self._deliver(item)

    def _deliver(self, item: Outgoing) -> None:
        try:
            posted = self.render(item)
        except Exception as exc:
            failure = self.classify(exc)
            fallbacks = self._failed(item, failure)
            log.warning(
                "delivery failed %s",
                failure.error,
                extra={"case": item.reference, "kind": item.kind, "delivery": item.id},
            )
            for fallback in outbox.claim(self.ctx, self.platform, fallbacks) if fallbacks else []:
                self._deliver(fallback)
            return
        outbox.delivered(self.ctx, item, posted_at=posted)

    def _failed(self, item: Outgoing, failure: Failure) -> list[int]:
        if failure.transient:
            return outbox.retry_later(self.ctx, item, failure.error, failure.after, failure.problem)
        return outbox.give_up(
            self.ctx, item, failure.error, failure.problem or f"posting failed ({failure.error})"
        )
