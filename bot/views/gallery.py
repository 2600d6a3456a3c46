"""Block Kit JSON of every modal step and message, written to docs/block-kit/ from the builders.

`python -m bot.views.gallery` rewrites the files; a test fails when they are stale. Paste any
file into Slack's Block Kit Builder to see the screen as a person would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.views.alerts import alert_message, teacher_receipt
from bot.views.report import resume_view, view_for
from conversations.policy import Guidance, load_guidance
from conversations.reports import DraftView
from conversations.routing import Alert
from state_machines import report as dialogue

DOCS = Path(__file__).resolve().parents[2] / "docs" / "block-kit"
SAMPLE_TIME = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SAMPLE_DRAFT = DraftView(
    id="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    user_id="U0TEACHER0",
    state=dialogue.SAFETY,
    answers={"concerns": {"concerns": ["coercion"]}, "sharing": {"still_spreading": "yes"}},
    academy_key=None,
    choices={"academy": {"oakfield": "Oakfield Academy", "riverside": "Riverside Academy"}},
    reference=None,
    resumed=False,
    updated_at=SAMPLE_TIME,
)
SAMPLE_ALERT = Alert(
    reference="YPSI-2026-0042",
    academy_key="oakfield",
    academy_name="Oakfield Academy",
    channel="C0OAKDSL000",
    dsl_users=("U0OAKDSL00",),
    urgent=False,
    in_progress=False,
    category_label="Aggravated: youth only, intent to harm",
    immediate_referral=True,
    under_13=False,
    reporter_id="U0TEACHER0",
    reported_at=SAMPLE_TIME,
    status="reported",
    status_label="New: waiting for a DSL",
    owner_id=None,
    alert_ts=None,
)


def gallery(guidance: Guidance) -> dict[str, dict[str, Any]]:
    """Every screen, by file name: the modal steps in dialogue order, then the messages."""
    screens: dict[str, dict[str, Any]] = {}
    for number, step in enumerate(dialogue.STEPS, start=1):
        screens[f"{number:02d}-{step}"] = view_for(guidance, replace(SAMPLE_DRAFT, state=step))
    screens["11-sent"] = view_for(
        guidance, replace(SAMPLE_DRAFT, state=dialogue.SUBMITTED, reference=SAMPLE_ALERT.reference)
    )
    screens["resume-offer"] = resume_view(SAMPLE_DRAFT.id, guidance.steps[dialogue.SHARING].title)
    screens["dsl-card"] = alert_message(SAMPLE_ALERT)
    screens["dsl-card-urgent"] = alert_message(
        replace(SAMPLE_ALERT, urgent=True, in_progress=True), mention_dsls=True
    )
    screens["teacher-receipt"] = teacher_receipt(
        SAMPLE_ALERT.reference, guidance.contacts_for("young_person")
    )
    return screens


def rendered(guidance: Guidance) -> dict[str, str]:
    """File name → file text."""
    return {
        f"{name}.json": json.dumps(view, indent=2, ensure_ascii=False) + "\n"
        for name, view in gallery(guidance).items()
    }


def main() -> None:
    """Rewrite docs/block-kit/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for old in DOCS.glob("*.json"):
        old.unlink()
    for name, text in rendered(load_guidance()).items():
        (DOCS / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(gallery(load_guidance()))} files to {DOCS}")


if __name__ == "__main__":
    main()
