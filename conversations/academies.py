"""Academies and their DSL teams, loaded from `academies.toml` and validated."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from conversations.errors import ConfigError
from conversations.platforms import GUID, SLACK, TEAMS, TEAMS_PREFIX, person_id, platform_of

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,}$")
TEAM_ID = re.compile(r"^T[A-Z0-9]{8,}$")
# A Teams channel's or team's conversation id, e.g. 19:0a1b…@thread.tacv2.
TEAMS_THREAD = r"19:[^\s@;]+@thread\.[a-z0-9]+"
TEAMS_CHANNEL = re.compile(rf"^{TEAMS_PREFIX}{TEAMS_THREAD}$")
TEAMS_TEAM = re.compile(rf"^{TEAMS_THREAD}$")
TENANT_ID = re.compile(rf"^{GUID}$")
PERSON_IDS = "Slack user ids (U… or slack:U…) or Teams ids (teams:<Entra object id>)"
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
    teams_channel: str = (
        ""  # a Teams academy's DSL channel, teams:19:…@thread.tacv2 (else Slack's dsl_channel)
    )
    teams_team: str = ""  # the team whose roster must be the safeguarding team
    tenant_id: str = ""  # the academy's Microsoft 365 tenant

    @property
    def platform(self) -> str:
        """Where the academy's DSL team works: "teams" with a Teams channel, else "slack"."""
        return TEAMS if self.teams_channel else SLACK

    @property
    def destination(self) -> str:
        """The DSL channel's recipient id, on the academy's platform."""
        return self.teams_channel or self.dsl_channel

    @property
    def workspace(self) -> str:
        """Where the academy's staff sign in: its Slack team id, or its Microsoft 365 tenant."""
        return self.tenant_id if self.platform == TEAMS else self.team_id

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
        """Academies a member of staff may report to: those listing them, else their workspace's.

        A workspace is a Slack team id (T…) for a Slack person, a tenant id for a Teams person;
        an unlisted person is offered only academies on their own platform.
        """
        listed = [a for a in self.all() if user_id in a.staff_users or a.may_see_cases(user_id)]
        if listed:
            return listed
        platform = platform_of(user_id)
        return [
            a
            for a in self.all()
            if a.platform == platform and (not team_id or not a.workspace or a.workspace == team_id)
        ]

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
    where = f"academies file {path}, academy #{index}" + (f" ({raw['key']})" if "key" in raw else "")
    try:
        academy = Academy(
            key=str(raw["key"]),
            name=str(raw["name"]),
            dsl_channel=str(raw.get("dsl_channel", "")),
            dsl_users=_people("dsl_users", raw["dsl_users"]),
            deputy_users=_people("deputy_users", raw.get("deputy_users", ())),
            principal_user=_principal(raw.get("principal_user", "")),
            staff_users=_people("staff_users", raw.get("staff_users", ())),
            team_id=str(raw.get("team_id", "")),
            contacts=tuple(_contact(c) for c in raw.get("contacts", ())),
            closures=tuple(date.fromisoformat(str(d)) for d in raw.get("closures", ())),
            terms=_terms(raw.get("terms", ())),
            reminders=dict(raw.get("reminders", {})),
            names=_names(raw.get("names", {})),
            teams_channel=str(raw.get("teams_channel", "")),
            teams_team=str(raw.get("teams_team", "")),
            tenant_id=str(raw.get("tenant_id", "")).lower(),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing {exc.args[0]}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    _check_ids(where, academy)
    return academy


def _people(name: str, raw: Any) -> tuple[str, ...]:
    """A list of people as the services name them (`slack:U…` becomes `U…`)."""
    if isinstance(raw, str) or not isinstance(raw, (list, tuple)):
        raise ValueError(f'{name}: a list of ids, e.g. ["U0123456789"]')
    ids, bad = [], []
    for written in raw:
        try:
            ids.append(person_id(str(written)))
        except ValueError:
            bad.append(str(written))
    if bad:
        raise ValueError(f"{name}: not {PERSON_IDS}: {', '.join(bad)}")
    return tuple(dict.fromkeys(ids))


def _principal(raw: Any) -> str:
    if not raw:
        return ""
    try:
        return person_id(str(raw))
    except ValueError:
        raise ValueError(f"principal_user '{raw}' is not one of {PERSON_IDS}") from None


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
    """Staff names by person id (optional): what the practice console shows for each id."""
    if not isinstance(raw, dict):
        raise ValueError('names: a table of person id = "name"')
    ids = _people("names", list(raw))
    empty = [str(k) for k, v in raw.items() if not isinstance(v, str) or not v.strip() or len(v) > NAME_MAX]
    if empty:
        raise ValueError(f"names: give each a name of 1 to {NAME_MAX} characters: {', '.join(empty)}")
    return {person: str(v).strip() for person, v in zip(ids, raw.values(), strict=True)}


def _check_ids(where: str, a: Academy) -> None:
    checks = [
        (KEY.match(a.key), f"key '{a.key}' must be lower-case letters, digits, - or _"),
        (a.name.strip(), "name is empty"),
        (
            len(a.name) <= NAME_LIMIT,
            f"name is {len(a.name)} characters: at most {NAME_LIMIT} (it heads the DSL's alert in Slack)",
        ),
        (
            bool(a.dsl_channel) != bool(a.teams_channel),
            "give the DSL channel on one platform: dsl_channel (Slack) or teams_channel (Teams), not "
            + ("both" if a.dsl_channel else "neither"),
        ),
        (a.dsl_users, "dsl_users needs at least one person id"),
        (not a.team_id or TEAM_ID.match(a.team_id), f"team_id '{a.team_id}' is not a Slack team id (T…)"),
        *(_teams_checks(a) if a.teams_channel else _slack_checks(a)),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{where}: {message}")


def _slack_checks(a: Academy) -> list[tuple[object, str]]:
    stray = [name for name in ("teams_team", "tenant_id") if getattr(a, name)]
    return [
        (CHANNEL_ID.match(a.dsl_channel), f"dsl_channel '{a.dsl_channel}' is not a Slack channel id (C…)"),
        (not stray, f"{', '.join(stray)}: only for a Teams academy (one with teams_channel)"),
    ]


def _teams_checks(a: Academy) -> list[tuple[object, str]]:
    return [
        (
            TEAMS_CHANNEL.match(a.teams_channel),
            f"teams_channel '{a.teams_channel}' is not a Teams channel id (teams:19:…@thread.tacv2)",
        ),
        (
            TEAMS_TEAM.match(a.teams_team),
            f"teams_team '{a.teams_team}' is not a Teams team id (19:…@thread.tacv2): the team whose "
            "members must all be DSLs or deputies",
        ),
        (
            TENANT_ID.match(a.tenant_id),
            f"tenant_id '{a.tenant_id}' is not a Microsoft 365 tenant id (a GUID)",
        ),
    ]
