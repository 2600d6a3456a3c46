"""`ypsi case export`: the case's safeguarding record, as a DSL would file it."""

from __future__ import annotations

import io
import os
import re
import stat

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from conversations.casefile import export
from conversations.errors import InvalidAnswer, NotFound
from conversations.storage.models import AuditEvent
from tests.answers import CASE_A, CASE_C
from tests.conftest import TEACHER
from tests.export_sample import demo_case, named
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
    # The export is audited only once its record is written: the chain note counts the 12 before it.
    assert "Audit trail: 12 events, each chained to the one before; the chain is intact." in text
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


# --- the record for the child protection file: named people, A4, PDF -----------------------------

PAGE = re.compile(r"Page (\d+) of (\d+)")


def pdf_problem() -> str | None:
    """Why PDFs cannot be made here (WeasyPrint loads the system's Pango on import), if so."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        return f"the Pango library is absent ({exc}): {export.PDF_NEEDS}"
    return None


needs_pango = pytest.mark.skipif(pdf_problem() is not None, reason=str(pdf_problem()))


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, as a reader of the printed record sees it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@needs_pango
def test_pdf_names_people_and_carries_the_reference_and_page_n_of_m_on_every_page(ctx, clock):
    ctx = named(ctx)
    ref = demo_case(ctx, clock)
    data = export.export_case(ctx, ref, "cli:records", "pdf")
    assert isinstance(data, bytes) and data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Safeguarding record {ref}" in page and "CONFIDENTIAL" in page
        assert PAGE.findall(page) == [(str(number), str(len(pages)))]
    whole = "\n".join(pages)
    assert "Reported Mon 7 Dec 2026 10:04 by Chris Taylor (member of staff who reported)" in whole
    assert "DSL owning the case Alex Morgan (DSL)" in whole
    # Each id once, in "People named in this record" beside the name: never in place of a name.
    for user_id, name in ((DSL, "Alex Morgan"), (TEACHER, "Chris Taylor")):
        assert whole.count(user_id) == 1
        assert re.search(rf"{name} \S.* {user_id}", whole)
    assert "Acknowledgement re-alert 1 Mon 7 Dec 2026 10:20" in whole  # reminders summarised
    assert "Escalation to deputies 1 Mon 7 Dec 2026 11:06" in whole
    assert "Reminder sent" not in whole
    closing = whole.split("Closing summary")[-1]
    assert "Plan followed. Both young people confirmed deletion" in closing
    signed = whole.split("Signed and dated by the DSL")[1]
    assert re.search(r"Name\s+Alex Morgan\s+Role\s+DSL\s+Signature\s+Date", signed)


def test_html_prints_on_a4_with_page_furniture_and_dates_that_do_not_wrap(ctx, clock):
    ref = demo_case(named(ctx), clock)
    page = export.export_case(named(ctx), ref, "cli:records", "html")
    assert "size: A4" in page and '"Page " counter(page) " of " counter(pages)' in page
    assert 'content: "Safeguarding record YPSI\\2d 2026\\2d 0001"' in page
    assert '<th class="when">When</th>' in page and "white-space: nowrap" in page


def test_closing_summary_is_always_there_and_says_when_it_is_not_yet_recorded(ctx):
    ref = submitted(ctx, CASE_A)
    text = export.export_case(ctx, ref, "cli:records", "md")
    assert "## Closing summary\n\nNot yet recorded: the case has no closing summary yet." in text
    assert "## Signed and dated by the DSL" in text and "- Name: ___" in text and "- Role: DSL" in text


def test_one_young_persons_record_pseudonymises_the_others(ctx, clock):
    ctx = named(ctx)
    ref = demo_case(ctx, clock)
    for_ab = export.export_case(ctx, ref, "cli:records", "md", person="ab")
    assert "Record for one young person: AB. Other young people are shown as Young person 2." in for_ab
    assert not re.search(r"\bCD\b", for_ab)
    assert "AB, Young person 2" in for_ab  # the names typed in the report
    assert "Young person 2 told me at break that AB had sent Young person 2 a photo" in for_ab
    assert "| Young person 2 | Wed 9 Dec 2026 | confirmed |" in for_ab
    with ctx.db.unit_of_work() as uow:
        event = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.details == {"format": "md", "one_young_person": True}  # never who
    with pytest.raises(InvalidAnswer):
        export.export_case(ctx, ref, "cli:records", "md", person="ZZ")


@needs_pango
def test_cli_writes_a_pdf_readable_by_its_owner_only_even_over_an_older_file(tmp_path):
    made = ypsi(["console"], tmp_path, case_study_a_as_typed())
    assert made.returncode == 0, made.stderr
    older = tmp_path / "record.pdf"
    older.write_bytes(b"x" * 100_000)
    older.chmod(0o644)
    out = ypsi(["case", "export", "YPSI-2026-0001", "--format", "pdf", "--out", "record.pdf"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "wrote record.pdf"  # nothing of the renderer's own chatter
    assert stat.S_IMODE(os.stat(older).st_mode) == 0o600
    pages = pdf_pages(older.read_bytes())
    assert "Page 1 of" in pages[0] and "Safeguarding record YPSI-2026-0001" in pages[-1]
    screen = ypsi(["case", "export", "YPSI-2026-0001", "--format", "pdf"], tmp_path)
    assert screen.returncode == 2 and "add --out FILE.pdf" in screen.stderr
    nobody = ypsi(["case", "export", "YPSI-2026-0001", "--person", "ZZ"], tmp_path)
    assert nobody.returncode == 1
    assert nobody.stderr.strip() == (
        "ypsi: --person ZZ: no young person with those initials is named on this case"
    )
