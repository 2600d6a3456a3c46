"""`make run` on a fresh copy installs what the bot needs to run, and no test tool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = ("pytest", "hypothesis", "ruff", "pytest-timeout")


def _fresh_copy(target: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)


@pytest.mark.timeout(600)
def test_make_run_installs_runtime_only_and_opens_the_console(tmp_path):
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.skip("make and git are needed to try the README's command")
    _fresh_copy(tmp_path)
    run = subprocess.run(
        ["make", "run"], cwd=tmp_path, input="quit\n", capture_output=True, text=True, timeout=580
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Warning" not in run.stderr and "!!" not in run.stderr, run.stderr[-2000:]
    assert "practice" in run.stdout.lower()
    listed = subprocess.run(
        [str(tmp_path / ".venv/bin/python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    installed = {line.split("==")[0].replace("_", "-") for line in listed.split()}
    assert "slack-bolt" in installed and "sqlalchemy" in installed
    assert not installed & set(TEST_TOOLS), sorted(installed & set(TEST_TOOLS))
