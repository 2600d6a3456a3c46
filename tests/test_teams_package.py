"""`ypsi teams package` as an admin runs it: the zip holds a manifest Teams accepts and the icons.

The CLI runs as a process (`.env` in a temporary folder); the zip is opened and its manifest and
icons read back: the bot's id from TEAMS_APP_ID, personal and team scopes, no files, the
commands staff type, the domain of the messaging endpoint, PNGs of the sizes Teams asks.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.teams.icons import COLOR_SIZE, OUTLINE_SIZE, color_icon, outline_icon
from bot.teams.package import COMMANDS, details, manifest, write_package
from conversations.errors import ConfigError
from tests.test_cli import ypsi

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
TENANT = "11111111-2222-3333-4444-555555555555"
TEAMS_ENV = {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "secret-value", "TEAMS_TENANT_ID": TENANT}


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and raw RGBA rows of an 8-bit RGBA, unfiltered PNG (as the icons are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]
    return width, height, rows


def test_the_cli_writes_a_package_with_the_bots_manifest_and_icons(tmp_path):
    out = tmp_path / "dist" / "ypsi.zip"
    done = ypsi(
        ["teams", "package", "--domain", "ypsi.example.sch.uk", "--out", str(out)], tmp_path, **TEAMS_ENV
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        app = json.loads(package.read("manifest.json"))
        color, outline = package.read("color.png"), package.read("outline.png")
    assert app["manifestVersion"] == "1.17" and "v1.17" in app["$schema"]
    assert app["id"] == APP_ID
    [bot] = app["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"] and bot["supportsFiles"] is False
    [commands] = bot["commandLists"]
    assert [c["title"] for c in commands["commands"]] == ["report", "cases", "help"]
    assert app["validDomains"] == ["ypsi.example.sch.uk"]
    assert app["developer"]["websiteUrl"] == "https://ypsi.example.sch.uk/"
    assert app["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert png_pixels(color)[:2] == (COLOR_SIZE, COLOR_SIZE)
    assert png_pixels(outline)[:2] == (OUTLINE_SIZE, OUTLINE_SIZE)


def test_without_an_app_id_the_cli_refuses_in_one_line(tmp_path):
    done = ypsi(["teams", "package", "--domain", "ypsi.example.sch.uk"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "TEAMS_APP_ID is missing" in done.stderr
    assert not list(tmp_path.glob("*.zip"))


def test_the_default_file_is_written_in_the_current_folder(tmp_path):
    done = ypsi(["teams", "package", "--domain", "ypsi.example.sch.uk"], tmp_path, **TEAMS_ENV)
    assert done.returncode == 0, done.stderr
    assert zipfile.ZipFile(tmp_path / "ypsi-bot-teams.zip").namelist()


def test_the_manifest_keeps_within_teams_field_limits():
    app = manifest(details(APP_ID, "https://Ypsi.Example.sch.uk/"))
    assert app["validDomains"] == ["ypsi.example.sch.uk"]
    assert len(app["name"]["short"]) <= 30 and len(app["name"]["full"]) <= 100
    assert len(app["description"]["short"]) <= 80 and len(app["description"]["full"]) <= 4000
    assert len(COMMANDS) <= 10
    assert all(len(title) <= 32 and len(text) <= 128 for title, text in COMMANDS)
    assert app["accentColor"].startswith("#") and len(app["accentColor"]) == 7
    assert app["developer"]["privacyUrl"] == "https://ypsi.example.sch.uk/"
    assert manifest(details(APP_ID, "x.org", "https://x.org/privacy"))["developer"]["privacyUrl"].endswith(
        "/privacy"
    )


@pytest.mark.parametrize(
    ("app_id", "domain", "privacy", "problem"),
    [
        ("", "ypsi.example.sch.uk", "", "TEAMS_APP_ID is missing"),
        (APP_ID, "not a host", "", "--domain"),
        (APP_ID, "localhost", "", "--domain"),
        (APP_ID, "ypsi.example.sch.uk", "http://x.org/privacy", "--privacy-url"),
    ],
)
def test_bad_details_are_refused_naming_what_to_fix(app_id, domain, privacy, problem):
    with pytest.raises(ConfigError, match=problem):
        details(app_id, domain, privacy)


def test_the_outline_icon_is_white_on_transparent_and_the_colour_icon_is_opaque():
    _, _, rows = png_pixels(outline_icon())
    pixels = {bytes(row[i : i + 4]) for row in rows for i in range(0, len(row), 4)}
    assert pixels == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}
    _, _, rows = png_pixels(color_icon())
    alphas = {row[i + 3] for row in rows for i in range(0, len(row), 4)}
    assert alphas == {255}


def test_write_package_writes_a_zip_at_the_path_given(tmp_path):
    out = write_package(details(APP_ID, "ypsi.example.sch.uk"), tmp_path / "a" / "b.zip")
    assert out == tmp_path / "a" / "b.zip" and zipfile.is_zipfile(out)
    assert isinstance(Path(out), Path)
