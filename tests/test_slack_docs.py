"""The committed Slack artefacts match the code: Block Kit docs, and the manifest's least privilege."""

from __future__ import annotations

import json
from pathlib import Path

from bot.ids import CallbackId
from bot.slack.ids import COMMAND
from bot.slack.views.gallery import DOCS, rendered
from conversations.guidance.policy import load_guidance

ROOT = Path(__file__).resolve().parent.parent


def test_block_kit_docs_are_current():
    expected = rendered(load_guidance())
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.json")}
    assert on_disk == expected, "run `python -m bot.slack.views.gallery` to regenerate docs/block-kit/"


def test_manifest_is_least_privilege_and_matches_the_code():
    manifest = json.loads((ROOT / "manifest.json").read_text())
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert not [s for s in scopes if s.startswith("files:")]
    assert set(scopes) == {
        "commands",
        "chat:write",
        "im:history",
        "im:write",
        "groups:history",
        "groups:read",
        "users:read",  # staff names for the case record (SECURITY.md)
    }
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "file_shared" not in events and {"message.im", "message.groups"} <= set(events)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("global", CallbackId.REPORT_SHORTCUT)
    assert manifest["settings"]["interactivity"]["is_enabled"] and manifest["settings"]["socket_mode_enabled"]
