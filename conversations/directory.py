"""Who a user id is: a person's name (from the chat platform or the academies file) and role.

The services name people wherever a human reads the record (the case modal, the console, the
export). The id stays the key everywhere: it is what the platform can message and what the
audit trail holds; a name is only ever looked up for display. Staff names only: no pupil's
name is looked up, cached or shown through here.

`Directory` is the port; `bot/` supplies the chat platform's implementation, wrapped in
`Cached` (names kept in the database with an expiry, because the process keeps nothing in
memory between requests), and `FileDirectory` reads the academies file for the console.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from conversations.academies import Academies, Academy
from conversations.platforms import is_person
from conversations.protection.crypto import DecryptionError
from conversations.storage.db import Database
from conversations.storage.models import PersonName

# Names change rarely (marriage, a corrected spelling): a day old is fresh enough for a record,
# and a person's new name shows the next day without anyone clearing anything.
NAME_TTL = timedelta(days=1)
CLI = "cli:"


class Directory(Protocol):
    """Where people's names come from."""

    def name_of(self, user_id: str) -> str | None:
        """The person's name, or None when it is not known (or cannot be looked up now)."""
        ...


class NoDirectory:
    """Names nobody: records show ids (the default until a front end wires a directory)."""

    def name_of(self, user_id: str) -> str | None:
        return None


@dataclass(frozen=True)
class FileDirectory:
    """Names from the academies file (`names` of each academy): the practice console's directory."""

    academies: Academies

    def name_of(self, user_id: str) -> str | None:
        return next((a.names[user_id] for a in self.academies.all() if user_id in a.names), None)


@dataclass(frozen=True)
class Cached:
    """A directory whose answers are kept in the database for `ttl`; a stale name beats none."""

    source: Directory
    db: Database
    clock: Callable[[], datetime]
    ttl: timedelta = NAME_TTL

    def name_of(self, user_id: str) -> str | None:
        now = self.clock()
        try:
            with self.db.unit_of_work() as uow:
                row = uow.session.scalar(select(PersonName).where(PersonName.user_id == user_id))
                if row is not None and now - row.fetched_at < self.ttl:
                    return row.name
                stale = row.name if row is not None else None
        except DecryptionError:  # sealed with a key since retired: the cache is only a cache
            stale = None
        # Looked up outside any transaction: no lock is held while the platform answers.
        name = self.source.name_of(user_id)
        if name is None:
            return stale
        self._keep(user_id, name, now)
        return name

    def _keep(self, user_id: str, name: str, now: datetime) -> None:
        try:
            with self.db.unit_of_work() as uow:
                # Replaced, not updated: the old value is never opened (its key may be retired).
                uow.session.execute(delete(PersonName).where(PersonName.user_id == user_id))
                uow.session.add(PersonName(user_id=user_id, name=name, fetched_at=now))
                uow.commit()
        except IntegrityError:  # another process cached the same person at the same moment
            pass


@dataclass(frozen=True)
class Person:
    """Someone named in a record: the id (the key, kept for the audit), the name, the role."""

    user_id: str
    name: str | None
    role: str

    @property
    def label(self) -> str:
        """How a reader sees them, e.g. `Alex Morgan (DSL)`; the id only when no name is known."""
        shown = self.name or self.user_id
        return f"{shown} ({self.role})" if self.role else shown


def roles(academy: Academy, reporter_id: str) -> dict[str, str]:
    """Each known person's role on this case, from the academies file and the case."""
    found = {u: "DSL" for u in academy.dsl_users} | {u: "deputy DSL" for u in academy.deputy_users}
    if academy.principal_user:
        found.setdefault(academy.principal_user, "Principal")
    found.setdefault(reporter_id, "member of staff who reported")
    return found


def people(
    directory: Directory, academy: Academy, reporter_id: str, user_ids: Iterable[str]
) -> dict[str, Person]:
    """Every id named in a case, as a Person.

    The command line's operator is named by their login; the bot itself (its reminders) by its name.
    """
    known = roles(academy, reporter_id)
    out: dict[str, Person] = {}
    for user_id in dict.fromkeys(user_ids):
        if not user_id:
            continue
        if user_id.startswith(CLI):
            out[user_id] = Person(user_id, user_id[len(CLI) :], "command line")
        elif not is_person(user_id):
            out[user_id] = Person(user_id, user_id, "")
        else:
            out[user_id] = Person(user_id, directory.name_of(user_id), known.get(user_id, "member of staff"))
    return out
