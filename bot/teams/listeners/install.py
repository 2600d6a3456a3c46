"""The bot added to a personal chat, a team or a group chat: keep the conversation's address (for
proactive messages later) and, in a personal chat, welcome the person with a Report button.

The address is an opaque conversation reference (conversation id, service URL, tenant, bot id):
no name, no text. A personal chat is remembered for the person (`teams:<Entra object id>`), any
other conversation for itself (`teams:<conversation id>`), e.g. an academy's DSL channel.
"""

from __future__ import annotations

import asyncio
from functools import partial

from microsoft_teams.api import (
    ActivityBase,
    ConversationUpdateActivity,
    InstalledActivity,
)
from microsoft_teams.apps import ActivityContext, App

from bot.teams.listeners import Outbox
from bot.teams.listeners.home import home_for
from bot.teams.listeners.people import address_of, channel_of, is_personal, person_of
from bot.teams.listeners.replies import card_message
from conversations.context import Context
from conversations.delivery import addresses
from conversations.platforms import TEAMS

ADDED = "add"


def register(app: App, ctx: Context, outbox: Outbox) -> None:
    """Attach the installation and conversation-update handlers."""
    app.on_install_add(partial(installed, ctx))
    app.on_conversation_update(partial(members_added, ctx))


async def installed(ctx: Context, turn: ActivityContext[InstalledActivity]) -> None:
    """The app installed for a person or in a team: remember where; welcome a person (once:
    the conversation update Teams sends beside it only remembers)."""
    await remember_from(ctx, turn.activity)
    if is_personal(turn.activity):
        card = await asyncio.to_thread(home_for, ctx, person_of(turn.activity))
        await turn.send(card_message(card))


async def members_added(ctx: Context, turn: ActivityContext[ConversationUpdateActivity]) -> None:
    """The bot itself added to a conversation: remember where."""
    added = turn.activity.members_added or []
    if any(member.id == turn.activity.recipient.id for member in added):
        await remember_from(ctx, turn.activity)


async def remember_from(ctx: Context, activity: ActivityBase) -> None:
    """Store (or refresh) where to reach the sender or this conversation proactively."""
    who = person_of(activity) if is_personal(activity) else channel_of(activity)
    if who:
        await asyncio.to_thread(addresses.remember, ctx, who, TEAMS, address_of(activity))
