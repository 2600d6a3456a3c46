"""`ypsi case export`: the case's safeguarding record, as a DSL would file it."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select

from conversations import export
from conversations.errors import NotFound
from conversations.models import AuditEvent
from tests.answers import CASE_C
from tests.test_casework import DEPUTY, DSL, case_study_a, decide, submitted
from tests.test_casework_console import case_study_a_as_typed
from tests.test_cli import ypsi

HOSTILE_C = {**CASE_C, "account": {"account": "SENTINEL-C-ACCOUNT <script>alert(1)</script> | *bold*"}}


def case_c_with_viewing(ctx) -> str:
    ref = submitted(ctx, HOSTILE_C)
    decide(ctx, ref, "acknowledged", user=DEPUTY)
    decide(
        ctx,
        ref,
        "viewing",
        reason="take_down",
        no_distress="confirmed",
        same_sex="yes",
        place="office",
        present=DSL,
        viewed_by=DEPUTY,
        viewed_at="2026-11-23 09:00",
        actions="SENTINEL-C-ACTIONS: reported to the platform",
        not_copied="confirmed",
    )
    return ref


def test_export_reads_as_the_case_record_and_holds_nothing_of_other_cases(ctx):
    a = case_study_a(ctx)
    c = case_c_with_viewing(ctx)
    text = export.export_case(ctx, a, "cli:records", "md")
    assert text.startswith(f"# Safeguarding record {a}\n")
    assert "Exported Mon 23 Nov 2026 10:00 by records (command line)" in text
    assert "- Status: Closed" in text
    assert '- Suggested category: Experimental: romantic: "Young people in ongoing relationships' in text
    assert "- Category confirmed by the DSL: Experimental: romantic" in text
    assert "### Not referred: managed in school" in text and "SENTINEL-A-PLAN" in text
    assert "- Who attended (names and roles): DSL, form tutor" in text
    assert "| Pupil B | Wed 25 Nov 2026 | confirmed | U0OAKSTAFF (member of staff who reported) |" in text
    assert "No viewing of imagery was recorded." in text
    chronology = text.split("## Chronology")[1]
    whats = [
        line.split(" | ")[2]
        for line in chronology.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert whats == [
        "What",
        "Case created",
        "Report sent to the DSL team",
        "Acknowledge",
        "Principal informed",
        "Initial review meeting",
        "Not referred: managed in school",
        "Further review and risk assessment",
        "Parents/carers informed",
        "Deletion requested",
        "Deletion confirmed",
        "Deletion confirmed for every young person",
        "Close the case",
        "Case record exported",
    ]
    assert "| U0OAKDSL00 (DSL) | Acknowledge | New: waiting for a DSL → Acknowledged |" in chronology
    assert "Audit trail: 13 events, each chained to the one before; the chain is intact." in text
    assert "SENTINEL-C" not in text and c not in text
    with ctx.db.unit_of_work() as uow:
        event = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor_id, event.details) == (
            "case_exported",
            "cli:records",
            {"format": "md"},
        )


def test_viewing_record_and_typed_text_cannot_become_markup(ctx):
    c = case_c_with_viewing(ctx)
    markdown = export.export_case(ctx, c, "cli:records", "md")
    viewing = markdown.split("\n## Record of viewing imagery\n")[1].split("\n## Chronology")[0]
    assert "- Why it was viewed (the reasons SUAT 2019 allows): Needed to report it to a site" in viewing
    assert "- Who viewed it: U0OAKDEP00 (deputy DSL)" in viewing
    assert "- Second member of staff present: U0OAKDSL00 (DSL)" in viewing
    assert "- When: Mon 23 Nov 2026 09:00" in viewing and "SENTINEL-C-ACTIONS" in viewing
    assert "\\<script\\>" in markdown and "<script>" not in markdown and "\\*bold\\*" in markdown
    page = export.export_case(ctx, c, "cli:records", "html")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Record of viewing imagery</h2>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_unknown_reference_is_not_found(ctx):
    with pytest.raises(NotFound):
        export.export_case(ctx, "YPSI-2026-0999", "cli:records", "md")


def test_cli_writes_the_record_readable_by_its_owner_only(tmp_path):
    made = ypsi(["console"], tmp_path, case_study_a_as_typed())
    assert made.returncode == 0, made.stderr
    out = ypsi(["case", "export", "ypsi-2026-0001", "--format", "html", "--out", "record.html"], tmp_path)
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "record.html").read_text()
    assert "<h1>Safeguarding record YPSI-2026-0001</h1>" in page and "Close the case" in page
    assert "Case record exported" in page and "(command line)" in page
    assert stat.S_IMODE(os.stat(tmp_path / "record.html").st_mode) == 0o600
    shown = ypsi(["case", "export", "YPSI-2026-0001"], tmp_path)
    assert shown.returncode == 0 and shown.stdout.startswith("# Safeguarding record YPSI-2026-0001")
    missing = ypsi(["case", "export", "YPSI-2026-0999"], tmp_path)
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == "ypsi: no case YPSI-2026-0999: check the reference"
    )
