"""Slack deliveries already handled: a retried event or a repeated interaction does nothing twice."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from conversations.context import Context
from conversations.models import ProcessedDelivery


def first_delivery(ctx: Context, key: str) -> bool:
    """Claim `key` (e.g. `event:Ev123`); True only for the first caller, ever, across processes.

    The claim is an INSERT that does nothing on conflict, so two processes handling the same
    retry at once cannot both win.
    """
    with ctx.db.unit_of_work() as uow:
        dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
        # RETURNING, not rowcount: psycopg 3 reports -1 for INSERT ... ON CONFLICT DO NOTHING.
        claimed = uow.session.scalar(
            dialect.insert(ProcessedDelivery)
            .values(key=key[:160], at=ctx.clock())
            .on_conflict_do_nothing()
            .returning(ProcessedDelivery.key)
        )
        uow.commit()
        return claimed is not None
