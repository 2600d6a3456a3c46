"""The committed Teams artefacts match the code: the Adaptive Card gallery in docs/adaptive-cards/."""

from __future__ import annotations

import json

from bot.teams.cards.gallery import DOCS, rendered
from conversations.guidance.policy import load_guidance


def test_adaptive_card_gallery_is_current():
    expected = rendered(load_guidance())
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DOCS.iterdir() if p.suffix in (".json", ".md")}
    assert on_disk == expected, "run `python -m bot.teams.cards.gallery` to regenerate docs/adaptive-cards/"


def test_the_gallery_lists_every_card_it_holds():
    files = rendered(load_guidance())
    cards = sorted(name for name in files if name.endswith(".json"))
    index = files["README.md"]
    assert all(f"]({name})" in index for name in cards)
    assert all(json.loads(files[name])["type"] == "AdaptiveCard" for name in cards)
