"""Slack deliveries already handled: a retried event or a repeated interaction does nothing twice."""

from __future__ import annotations

from conversations.context import Context
from conversations.storage.db import insert_unless_present
from conversations.storage.models import ProcessedDelivery


def first_delivery(ctx: Context, key: str) -> bool:
    """Claim `key` (e.g. `event:Ev123`); True only for the first caller, ever, across processes.

    The claim is an INSERT that does nothing on conflict, so two processes handling the same
    retry at once cannot both win.
    """
    with ctx.db.unit_of_work() as uow:
        claim = insert_unless_present(uow.session, ProcessedDelivery, key=key[:160], at=ctx.clock())
        claimed = uow.session.scalar(claim.returning(ProcessedDelivery.key))
        uow.commit()
        return claimed is not None
