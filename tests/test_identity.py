"""People and DSL channels on Slack or Teams, as the academies file names them.

A Slack person stays `U…` (`slack:U…` is accepted and normalised), a Teams person is
`teams:<Entra object id>` in lower case; an academy's DSL channel is on exactly one platform;
every bad entry is refused with one line naming the academy and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations import directory
from conversations.academies import Academies, Academy, load_academies
from conversations.errors import ConfigError
from conversations.guidance.policy import Field
from conversations.guidance.questions import check_field
from conversations.platforms import SLACK, TEAMS, is_person, person_id, platform_of, teams_person

GUID = "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c"
OTHER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAMS_CHANNEL = "teams:19:9a8b7c6d5e4f@thread.tacv2"
TEAM = "19:0f1e2d3c4b5a@thread.tacv2"

SLACK_ACADEMY = """
[[academy]]
key = "oak"
name = "Oak"
dsl_channel = "C0123456789"
dsl_users = ["slack:U0123456789", "teams:{guid}"]
deputy_users = ["U0987654321"]
principal_user = "slack:U0111111111"
staff_users = ["teams:{other}"]
"""
TEAMS_ACADEMY = f"""
[[academy]]
key = "elm"
name = "Elm"
teams_channel = "{TEAMS_CHANNEL}"
teams_team = "{TEAM}"
tenant_id = "{TENANT.upper()}"
dsl_users = ["teams:{GUID.upper()}"]
deputy_users = ["U0987654321"]
principal_user = "teams:{OTHER}"

[academy.names]
"teams:{GUID}" = "Alex Morgan"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "academies.toml"
    path.write_text(text)
    return path


def test_ids_say_their_platform():
    assert platform_of("U0123456789") == SLACK and platform_of("C0123456789") == SLACK
    assert platform_of(f"teams:{GUID}") == TEAMS and platform_of(TEAMS_CHANNEL) == TEAMS
    assert person_id("slack:U0123456789") == "U0123456789"
    assert person_id(f"teams:{GUID.upper()}") == f"teams:{GUID}" == teams_person(GUID.upper())
    assert is_person(f"teams:{GUID}") and is_person("U0123456789")
    assert not is_person("ypsi-bot") and not is_person("cli:alex") and not is_person(TEAMS_CHANNEL)
    for bad in ("alex", "teams:alex", "slack:teams:" + GUID, "C0123456789", "u0123456789"):
        with pytest.raises(ValueError):
            person_id(bad)


def test_either_kind_of_id_everywhere_a_person_is_named(tmp_path):
    oak = load_academies(write(tmp_path, SLACK_ACADEMY.format(guid=GUID, other=OTHER))).get("oak")
    assert oak.dsl_users == ("U0123456789", f"teams:{GUID}")
    assert oak.principal_user == "U0111111111" and oak.staff_users == (f"teams:{OTHER}",)
    assert oak.platform == SLACK and oak.destination == "C0123456789"
    assert oak.may_see_cases(f"teams:{GUID}") and oak.may_see_cases("U0987654321")


def test_a_teams_academy(tmp_path):
    elm = load_academies(write(tmp_path, TEAMS_ACADEMY)).get("elm")
    assert elm.platform == TEAMS and elm.destination == TEAMS_CHANNEL and elm.dsl_channel == ""
    assert elm.teams_team == TEAM and elm.tenant_id == TENANT
    assert elm.dsl_users == (f"teams:{GUID}",) and elm.names == {f"teams:{GUID}": "Alex Morgan"}


def test_for_staff_and_dsl_of_with_either_kind_of_id(tmp_path):
    both = SLACK_ACADEMY.format(guid=GUID, other=OTHER) + TEAMS_ACADEMY
    academies = load_academies(write(tmp_path, both))
    assert [a.key for a in academies.dsl_of(f"teams:{GUID}")] == ["oak", "elm"]
    assert [a.key for a in academies.dsl_of("U0987654321")] == ["oak", "elm"]
    assert [a.key for a in academies.for_staff(f"teams:{OTHER}")] == ["oak"]  # listed as staff
    # Someone listed nowhere is offered the academies of their own platform and workspace.
    stranger = "teams:11111111-2222-4333-8444-555555555555"
    assert [a.key for a in academies.for_staff(stranger, TENANT)] == ["elm"]
    assert academies.for_staff(stranger, "99999999-2222-4333-8444-555555555555") == []
    assert [a.key for a in academies.for_staff("U0STRANGER0", "T0123456789")] == ["oak"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("teams_team = ", "# "), "academy #1 (elm): teams_team '' is not a Teams team id"),
        (("tenant_id = ", "# "), "academy #1 (elm): tenant_id '' is not a Microsoft 365 tenant id"),
        (("teams:19:", "19:"), "academy #1 (elm): teams_channel '19:9a8b7c6d5e4f@thread.tacv2' is not a"),
        (("teams_channel = ", 'dsl_channel = "C0123456789"\nteams_channel = '), "not both"),
        (("teams_channel = ", "# "), "academy #1 (elm): give the DSL channel on one platform"),
        ((f'dsl_users = ["teams:{GUID.upper()}"]', 'dsl_users = ["alex"]'), "dsl_users: not Slack user ids"),
        ((f'principal_user = "teams:{OTHER}"', 'principal_user = "teams:x"'), "principal_user 'teams:x'"),
        ((f'"teams:{GUID}" = ', '"Alex" = '), "names: not Slack user ids (U… or slack:U…) or Teams ids"),
        (
            (f'dsl_users = ["teams:{GUID.upper()}"]', f'dsl_users = "teams:{GUID}"'),
            "dsl_users: a list of ids",
        ),
    ],
)
def test_bad_teams_entries_are_refused_in_one_line_naming_the_entry(tmp_path, change, problem):
    path = write(tmp_path, TEAMS_ACADEMY.replace(*change, 1))
    with pytest.raises(ConfigError) as refused:
        load_academies(path)
    message = str(refused.value)
    assert problem in message and "\n" not in message and str(path) in message


def test_a_slack_academy_may_not_carry_teams_fields(tmp_path):
    text = SLACK_ACADEMY.format(guid=GUID, other=OTHER) + f'tenant_id = "{TENANT}"\n'
    with pytest.raises(ConfigError, match=r"academy #1 \(oak\): tenant_id: only for a Teams academy"):
        load_academies(write(tmp_path, text))


def test_records_name_a_teams_person_with_their_role():
    elm = Academy(
        key="elm",
        name="Elm",
        dsl_channel="",
        dsl_users=(f"teams:{GUID}",),
        teams_channel=TEAMS_CHANNEL,
        teams_team=TEAM,
        tenant_id=TENANT,
    )
    names = directory.FileDirectory(Academies({"elm": elm}))
    found = directory.people(names, elm, f"teams:{OTHER}", [f"teams:{GUID}", f"teams:{OTHER}", "ypsi-bot"])
    assert found[f"teams:{GUID}"].role == "DSL"
    assert found[f"teams:{OTHER}"].role == "member of staff who reported"
    assert found["ypsi-bot"].role == ""


def test_a_staff_answer_may_name_a_teams_person():
    who = Field(key="informed_by", type="user", label="Who")
    assert check_field(who, f"teams:{GUID.upper()}", {}) is None
    assert check_field(who, "<@U0123456789|alex>", {}) is None
    assert check_field(who, "teams:not-a-guid", {}) == "Please choose a member of staff."


def test_the_example_file_s_teams_academy_loads(tmp_path):
    from tests.test_cli import ROOT

    example = (ROOT / "academies.example.toml").read_text()
    teams_part = example[example.index("# [[academy]]") :]
    uncommented = "\n".join(line.removeprefix("# ") for line in teams_part.splitlines())
    academies = load_academies(write(tmp_path, example + uncommented))
    elmwood = academies.get("elmwood")
    assert elmwood.platform == TEAMS and elmwood.destination.startswith("teams:19:")
    assert academies.get("oakfield").platform == SLACK
