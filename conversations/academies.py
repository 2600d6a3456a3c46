"""Academies and their DSL teams, loaded from `academies.toml` and validated."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from conversations.errors import ConfigError

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{8,}$")
TEAM_ID = re.compile(r"^T[A-Z0-9]{8,}$")
# "URGENT YPSI concern YPSI-2026-0042 at <name>" must fit a Slack header (150 characters).
NAME_LIMIT = 100
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
NAME_MAX = 80


# Where a local contact is shown when its entry names no `for`: on the case and the referral form.
LOCAL_AUDIENCES = ("case", "referral")


@dataclass(frozen=True)
class LocalContact:
    """A number of the academy's own (e.g. its local authority's referral team), and where it is shown."""

    name: str
    phone: str = ""
    hours: str = ""
    url: str = ""
    email: str = ""
    audience: tuple[str, ...] = LOCAL_AUDIENCES


@dataclass(frozen=True)
class Academy:
    """One academy: who its DSL team is, where alerts go, and its local contacts and calendar."""

    key: str
    name: str
    dsl_channel: str
    dsl_users: tuple[str, ...]
    deputy_users: tuple[str, ...] = ()
    principal_user: str = ""
    staff_users: tuple[str, ...] = ()
    team_id: str = ""
    contacts: tuple[LocalContact, ...] = ()
    closures: tuple[date, ...] = ()
    terms: tuple[tuple[date, date], ...] = ()
    reminders: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # user id -> name, for the practice console

    @property
    def safeguarding_team(self) -> tuple[str, ...]:
        """Everyone who may see this academy's cases: DSLs and deputies."""
        return self.dsl_users + self.deputy_users

    def may_see_cases(self, user_id: str) -> bool:
        """Whether this user is on the academy's safeguarding team."""
        return user_id in self.safeguarding_team


@dataclass(frozen=True)
class Academies:
    """The academies of one deployment, by key."""

    by_key: dict[str, Academy]

    def get(self, key: str) -> Academy:
        """The academy with this key; ConfigError if none (a stale key in a stored record)."""
        try:
            return self.by_key[key]
        except KeyError:
            raise ConfigError(f"academy '{key}' is not in the academies file") from None

    def all(self) -> list[Academy]:
        """Every academy, in file order."""
        return list(self.by_key.values())

    def for_staff(self, user_id: str, team_id: str = "") -> list[Academy]:
        """Academies a member of staff may report to: those listing them, else their workspace's."""
        listed = [a for a in self.all() if user_id in a.staff_users or a.may_see_cases(user_id)]
        if listed:
            return listed
        return [a for a in self.all() if not a.team_id or not team_id or a.team_id == team_id]

    def dsl_of(self, user_id: str) -> list[Academy]:
        """Academies whose cases this user may see."""
        return [a for a in self.all() if a.may_see_cases(user_id)]


DEMO = Academies(
    {
        "demo": Academy(
            key="demo",
            name="Demo Academy (practice)",
            dsl_channel="C0DEMODSL00",
            dsl_users=("U0DEMODSL00",),
            deputy_users=("U0DEMODEP00",),
            principal_user="U0DEMOPRN00",
        )
    }
)


def load_academies(path: Path) -> Academies:
    """Load and validate an academies file; every problem is a ConfigError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"academies file {path} not found: copy academies.example.toml to {path} "
            "or set YPSI_ACADEMIES_FILE"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"academies file {path} is not valid TOML: {exc}") from None
    raw = data.get("academy")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"academies file {path}: add at least one [[academy]] table")
    academies = [_academy(path, i, a) for i, a in enumerate(raw, start=1)]
    keys = [a.key for a in academies]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"academies file {path}: academy keys must be unique")
    return Academies({a.key: a for a in academies})


def _academy(path: Path, index: int, raw: dict[str, Any]) -> Academy:
    where = f"academies file {path}, academy #{index}"
    try:
        academy = Academy(
            key=str(raw["key"]),
            name=str(raw["name"]),
            dsl_channel=str(raw["dsl_channel"]),
            dsl_users=tuple(raw["dsl_users"]),
            deputy_users=tuple(raw.get("deputy_users", ())),
            principal_user=str(raw.get("principal_user", "")),
            staff_users=tuple(raw.get("staff_users", ())),
            team_id=str(raw.get("team_id", "")),
            contacts=tuple(_contact(c) for c in raw.get("contacts", ())),
            closures=tuple(date.fromisoformat(str(d)) for d in raw.get("closures", ())),
            terms=_terms(raw.get("terms", ())),
            reminders=dict(raw.get("reminders", {})),
            names=_names(raw.get("names", {})),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing {exc.args[0]}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    _check_ids(where, academy)
    return academy


def _contact(raw: dict[str, Any]) -> LocalContact:
    fields = {k: str(v) for k, v in raw.items() if k != "for"}
    return LocalContact(**fields, audience=tuple(raw.get("for", LOCAL_AUDIENCES)))


def _terms(raw: Any) -> tuple[tuple[date, date], ...]:
    """Term dates as (first day, last day) pairs; days outside every term are not school days."""
    terms = tuple((date.fromisoformat(str(t[0])), date.fromisoformat(str(t[1]))) for t in raw)
    if any(start > end for start, end in terms):
        raise ValueError("terms: each term is [first day, last day], first not after last")
    return terms


def _names(raw: Any) -> dict[str, str]:
    """Staff names by Slack user id (optional): what the practice console shows for each id."""
    if not isinstance(raw, dict):
        raise ValueError('names: a table of Slack user id = "name"')
    bad = [str(k) for k in raw if not USER_ID.match(str(k))]
    if bad:
        raise ValueError(f"names: not Slack user ids (U…): {', '.join(bad)}")
    empty = [str(k) for k, v in raw.items() if not isinstance(v, str) or not v.strip() or len(v) > NAME_MAX]
    if empty:
        raise ValueError(f"names: give each a name of 1 to {NAME_MAX} characters: {', '.join(empty)}")
    return {str(k): v.strip() for k, v in raw.items()}


def _check_ids(where: str, a: Academy) -> None:
    checks = [
        (KEY.match(a.key), f"key '{a.key}' must be lower-case letters, digits, - or _"),
        (a.name.strip(), "name is empty"),
        (
            len(a.name) <= NAME_LIMIT,
            f"name is {len(a.name)} characters: at most {NAME_LIMIT} (it heads the DSL's alert in Slack)",
        ),
        (CHANNEL_ID.match(a.dsl_channel), f"dsl_channel '{a.dsl_channel}' is not a Slack channel id (C…)"),
        (a.dsl_users, "dsl_users needs at least one Slack user id"),
        (not a.team_id or TEAM_ID.match(a.team_id), f"team_id '{a.team_id}' is not a Slack team id (T…)"),
        (
            not a.principal_user or USER_ID.match(a.principal_user),
            f"principal_user '{a.principal_user}' is not a Slack user id (U…)",
        ),
    ]
    bad_users = [u for u in (*a.dsl_users, *a.deputy_users, *a.staff_users) if not USER_ID.match(str(u))]
    checks.append((not bad_users, f"not Slack user ids (U…): {', '.join(map(str, bad_users))}"))
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{where}: {message}")
