"""Files shared with the bot are refused: this records the refusal and says which DSL team to tell.

Nothing about the file is kept: no name, no type, no content, no Slack file id.
"""

from __future__ import annotations

from conversations.academies import Academy
from conversations.context import Context
from conversations.delivery import outbox
from conversations.protection import audit

DM = "direct_message"
DSL_CHANNEL = "dsl_channel"


def file_refused(ctx: Context, user_id: str, team_id: str, place: str, channel_id: str) -> list[Academy]:
    """Audit a refused file (one event per academy concerned); return the academies concerned.

    In a DSL channel that is the channel's academy; in a direct message, the sender's academies.
    """
    if place == DSL_CHANNEL:
        academies = [a for a in ctx.academies.all() if a.destination == channel_id]
    else:
        academies = ctx.academies.for_staff(user_id, team_id)
    with ctx.db.unit_of_work() as uow:
        for academy in academies or [None]:
            audit.record(
                uow.session,
                action="file_refused",
                actor_id=user_id,
                at=ctx.clock(),
                academy_key=academy.key if academy else None,
                details={"place": place},
            )
        uow.commit()
    return academies


def tell_dsls(ctx: Context, academies: list[Academy], text: str) -> tuple[int, ...]:
    """Queue `text` (that a file was refused, and by whom) to each DSL of `academies`, one
    outbox row each, delivered by their own front end; returns the rows to hand over."""
    dsls = sorted({u for a in academies for u in a.dsl_users})
    with ctx.db.unit_of_work() as uow:
        ids = tuple(
            outbox.add(
                uow.session, outbox.Kind.NOTICE, outbox.USER, dsl, now=ctx.clock(), payload={"text": text}
            )
            for dsl in dsls
        )
        uow.commit()
    return ids
