"""Where a front end reaches a person or a channel proactively: a stored conversation reference.

Teams can message someone only in a conversation that already exists: the front end keeps,
per person or channel id, what it needs to post there later (for Teams: the conversation id,
the service URL, the tenant id). The services keep it as an opaque dict and never read it; it
holds ids and URLs, never a name or anything about a pupil.

`remember` is one upsert statement (INSERT … ON CONFLICT DO UPDATE), so any number of
requests and processes may store the same person's address at once on SQLite or PostgreSQL;
an older write never replaces a newer one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from conversations.context import Context
from conversations.storage.models import Address


def remember(ctx: Context, who: str, platform: str, address: dict[str, Any]) -> None:
    """Store (or replace) where `who` is reached on `platform`."""
    with ctx.db.unit_of_work() as uow:
        dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(Address).values(
            who=who, platform=platform, address=dict(address), updated_at=ctx.clock()
        )
        statement = insert.on_conflict_do_update(
            index_elements=[Address.who],
            set_={
                "platform": insert.excluded.platform,
                "address": insert.excluded.address,
                "updated_at": insert.excluded.updated_at,
            },
            where=Address.updated_at <= insert.excluded.updated_at,
        )
        uow.session.execute(statement)
        uow.commit()


def address_of(ctx: Context, who: str) -> dict[str, Any] | None:
    """Where `who` was last reached, or None when no front end has stored it."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        stored = uow.session.scalar(select(Address.address).where(Address.who == who))
    return dict(stored) if stored is not None else None
