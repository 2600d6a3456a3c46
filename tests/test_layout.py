"""The README's Layout table names every package folder, and every folder it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("state_machines", "conversations", "bot", "tests", "bench")


def _table_folders() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `([a-z_/]+)/` \|", table, flags=re.MULTILINE))


def _package_folders() -> set[str]:
    found = set(TOP)
    for top in ("conversations", "bot"):
        found |= {
            str(init.parent.relative_to(ROOT))
            for init in (ROOT / top).glob("*/__init__.py")
            if init.parent.name != "__pycache__"
        }
    return found


def test_the_layout_table_matches_the_folders():
    documented, present = _table_folders(), _package_folders()
    assert documented, "the README has a Layout table"
    assert present - documented == set(), "add these folders to README Layout"
    assert documented - present == set(), "README Layout names folders that do not exist"
