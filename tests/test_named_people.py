"""People are named by name and role wherever a person reads a case: services, Slack, console.

Names come from the directory port: Slack's users.info (cached a day in the database) or the
academies file (the practice console). The user id stays the key; no pupil is looked up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.console.terminal import Console
from conversations.academies import load_academies
from conversations.casefile import casework
from conversations.directory import Cached
from conversations.errors import ConfigError
from conversations.protection.crypto import Keyring
from tests.answers import CASE_A
from tests.conftest import OAKFIELD, TEACHER, make_context
from tests.export_sample import NAMES, demo_case, named
from tests.slack.fake_api import FakeSlackApi
from tests.test_casework import submitted
from tests.test_slack_casework import open_from_card, report

DSL, DEPUTY = OAKFIELD.dsl_users[0], OAKFIELD.deputy_users[0]
KEY = "b2xkLWtleS0zMi1ieXRlcy1sb25nLS0tLS0tLS0tLS0="  # 32 bytes, base64


@dataclass
class Switchboard:
    """A directory that answers from a dict and notes who was asked (None: not known, or down)."""

    names: dict[str, str]
    asked: list[str] = field(default_factory=list)

    def name_of(self, user_id: str) -> str | None:
        self.asked.append(user_id)
        return self.names.get(user_id)


def test_names_are_cached_for_a_day_then_asked_again_and_a_stale_name_beats_none(ctx, clock):
    board = Switchboard({DSL: "Alex Morgan"})
    directory = Cached(board, ctx.db, clock)
    assert [directory.name_of(DSL), directory.name_of(DSL)] == ["Alex Morgan", "Alex Morgan"]
    assert board.asked == [DSL]  # the second answer came from the database
    clock.advance(hours=25)
    board.names[DSL] = "Alex Morgan-Reid"
    assert directory.name_of(DSL) == "Alex Morgan-Reid" and board.asked == [DSL, DSL]
    clock.advance(hours=25)
    del board.names[DSL]  # Slack cannot answer now
    assert directory.name_of(DSL) == "Alex Morgan-Reid"
    assert directory.name_of("U0NOBODY00") is None
    with ctx.db.engine.connect() as connection:
        stored = connection.execute(text("SELECT name FROM person_names")).scalars().all()
    assert len(stored) == 1 and "Alex" not in stored[0]  # sealed at rest like every name in a case


def test_case_detail_names_everyone_with_their_role(ctx, clock):
    ctx = named(ctx)
    ref = demo_case(ctx, clock)
    detail = casework.case_detail(ctx, ref, DEPUTY)
    assert detail.person(TEACHER).label == "Chris Taylor (member of staff who reported)"
    assert detail.person(DSL).label == "Alex Morgan (DSL)"
    assert detail.person(DEPUTY).label == "Sam Patel (deputy DSL)"  # opened the case: in the timeline
    assert detail.person("ypsi-bot").label == "ypsi-bot"
    named_ones = {p.name for p in detail.people.values()}
    assert not {"AB", "CD"} & named_ones  # young people are never looked up


def test_case_modal_in_slack_names_people_from_users_info_once_a_day(ctx, slack, slack_api: FakeSlackApi):
    slack_api.names.update({DSL: "Alex Morgan", DEPUTY: "Sam Patel"})  # the reporter: user_not_found
    ref, ts = report(slack, CASE_A)
    open_from_card(slack, DSL, ref, ts)
    slack.click(DSL, "decide:acknowledged", ref)
    slack.submit_view(DSL, {})
    modal = str(slack.view(DSL)["blocks"])
    assert "Alex Morgan (DSL)" in modal and f"<@{DSL}>" not in modal
    # Slack did not know the reporter: a mention (Slack shows the name) with the role.
    assert f"<@{TEACHER}> (member of staff who reported)" in modal
    open_from_card(slack, DEPUTY, ref, ts)
    assert "Sam Patel (deputy DSL)" in str(slack.view(DEPUTY)["blocks"])
    looked_up = [c.params["user"] for c in slack_api.calls("users.info")]
    assert looked_up.count(DSL) == 1 and looked_up.count(DEPUTY) == 1  # then from the database
    assert set(looked_up) <= {DSL, DEPUTY, TEACHER}


def test_console_names_people_from_the_academies_file(ctx):
    ctx = named(ctx)
    ref = submitted(ctx, CASE_A)
    out = io.StringIO()
    Console(ctx, stdin=io.StringIO(f"dsl\nack {ref}\nopen {ref}\nquit\n"), stdout=out).run()
    record = out.getvalue().split(f"dsl> open {ref}\n")[1]
    assert "Owner: Alex Morgan (DSL)" in record
    assert "by Chris Taylor (member of staff who reported)" in record
    assert DSL not in record and TEACHER not in record


def test_academies_file_names_are_checked(tmp_path: Path):
    base = (
        '[[academy]]\nkey = "oak"\nname = "Oak"\ndsl_channel = "C0123456789"\ndsl_users = ["U0123456789"]\n'
    )
    good = tmp_path / "good.toml"
    good.write_text(base + '[academy.names]\nU0123456789 = " Alex Morgan "\n')
    assert load_academies(good).get("oak").names == {"U0123456789": "Alex Morgan"}
    for names, problem in (
        (
            'alex = "Alex Morgan"',
            "names: not Slack user ids (U… or slack:U…) or Teams ids (teams:<Entra object id>): alex",
        ),
        ('U0123456789 = ""', "names: give each a name of 1 to 80 characters: U0123456789"),
        (f'U0123456789 = "{"x" * 81}"', "names: give each a name of 1 to 80 characters"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(base + f"[academy.names]\n{names}\n")
        with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            load_academies(bad)


def test_demo_names_are_staff_only():
    assert set(NAMES) <= {*OAKFIELD.safeguarding_team, OAKFIELD.principal_user, *OAKFIELD.staff_users}


def test_a_name_sealed_with_a_retired_key_is_looked_up_again(sqlite_url, academies, clock):
    old = make_context(sqlite_url, academies, clock, Keyring.parse(f"old:{KEY}"))
    Cached(Switchboard({DSL: "Alex Morgan"}), old.db, clock).name_of(DSL)
    old.db.engine.dispose()
    new = make_context(sqlite_url, academies, clock)  # only the test key: "old" was removed
    board = Switchboard({DSL: "Alex Morgan"})
    assert Cached(board, new.db, clock).name_of(DSL) == "Alex Morgan" and board.asked == [DSL]
    assert Cached(board, new.db, clock).name_of(DSL) == "Alex Morgan" and board.asked == [DSL]
    new.db.engine.dispose()
