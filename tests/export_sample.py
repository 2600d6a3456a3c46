"""A fictional demo case, exported: used by the export tests and for docs/export-sample.png.

`python -m tests.export_sample` writes docs/export-sample.pdf and a PNG of its first and last
pages (docs/export-sample.png, docs/export-sample-signed.png), so a DSL can see the record
before installing. The school, the staff and the young people ("AB", "CD") are invented.
PNG pages need pypdfium2 (`pip install pypdfium2`), used here only.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from conversations.academies import Academies
from conversations.casefile import casework, export
from conversations.context import Context
from conversations.directory import FileDirectory
from tests.answers import CASE_A
from tests.conftest import OAKFIELD, RIVERSIDE, FakeClock, make_context
from tests.reminder_setup import london, report, runner

DSL, DEPUTY, PRINCIPAL = OAKFIELD.dsl_users[0], OAKFIELD.deputy_users[0], OAKFIELD.principal_user
TEACHER = OAKFIELD.staff_users[0]
NAMES = {DSL: "Alex Morgan", DEPUTY: "Sam Patel", PRINCIPAL: "Jordan Reid", TEACHER: "Chris Taylor"}
NAMED = Academies({"oakfield": replace(OAKFIELD, names=NAMES), "riverside": RIVERSIDE})
DEMO_ANSWERS = {
    **CASE_A,
    "young_people": {**CASE_A["young_people"], "identifiers": "AB, CD"},
    "account": {"account": "CD told me at break that AB had sent CD a photo last night. Nobody else has it."},
}
DOCS = Path(__file__).resolve().parent.parent / "docs"


def named(ctx: Context) -> Context:
    """The context with the demo staff named, from the academies file as the console names them."""
    return replace(ctx, academies=NAMED, directory=FileDirectory(NAMED))


def demo_case(ctx: Context, clock: FakeClock) -> str:
    """Reported Mon 7 Dec 2026 10:04, re-alerted twice, then taken by the DSL to closed."""
    clock.now = london(2026, 12, 7, 10, 4)
    ref = report(ctx, DEMO_ANSWERS, TEACHER)
    send, _ = runner(ctx)
    for minutes in (16, 16, 30):  # nobody acknowledges for an hour: re-alert, then the deputies
        clock.advance(minutes=minutes)
        send.tick()
    steps: list[tuple[str, dict[str, object]]] = [
        ("acknowledged", {}),
        ("principal_informed", {}),
        ("initial_review", {"attendees": "DSL, form tutor", "summary": "No wider concerns; both 15."}),
        (
            "managed_in_school",
            {
                "referral_decision": "none",
                "reason": "No aggravating features; both 15, in a relationship",
                "plan": "Talk with both about the law and their wellbeing; tell parents; ask for deletion.",
            },
        ),
        (
            "further_review",
            {
                "interview": "held",
                "interviewed_on": "2026-12-07",
                "interviewed_by": DSL,
                "interviewer": "dsl",
                "why_shared": "AB chose to share with CD, their partner; no pressure described by either",
                "who_where": "AB to CD only, by direct message, with both knowing",
                "adults": "No",
                "impact": "Both embarrassed and worried about their parents; no distress beyond that",
                "vulnerabilities": "None known",
                "consent": "Yes, both talked it through clearly",
                "previous": "No",
                "online": "no",
                "containment": ["deletion_asked"],
            },
        ),
        ("parents_informed", {"how": "in_person", "notes": "Both sets of parents, with the young people"}),
        ("deletion_requested", {"deadline": "2026-12-09", "young_people": "AB, CD"}),
    ]
    for key, values in steps:
        clock.advance(minutes=25)
        casework.record_decision(ctx, ref, DSL, key, values)
    clock.now = london(2026, 12, 9, 9, 15)
    pending = casework.decision_form(ctx, ref, DSL, "deletion_confirmed").choices["deletions"]
    casework.record_decision(ctx, ref, DSL, "deletion_confirmed", {"deletions": list(pending)})
    clock.advance(minutes=10)
    summary = "Plan followed. Both young people confirmed deletion; parents supportive. No further action."
    closing = {
        "summary": summary,
        "support": "Weekly check-in with the form tutor for a half term.",
        "lessons": "Year 10 relationships lesson on sharing images brought forward.",
    }
    casework.record_decision(ctx, ref, DSL, "closed", closing)
    clock.now = london(2026, 12, 9, 9, 40)
    return ref


def main() -> int:
    """Write the sample PDF and its PNG pages under docs/."""
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(london(2026, 12, 7, 10, 4))
        ctx = named(make_context(f"sqlite:///{folder}/demo.db", NAMED, clock))
        ref = demo_case(ctx, clock)
        pdf = export.export_case(ctx, ref, "cli:records", "pdf")
        ctx.db.engine.dispose()
    assert isinstance(pdf, bytes)
    (DOCS / "export-sample.pdf").write_bytes(pdf)
    try:
        import pypdfium2
    except ImportError:
        print("wrote docs/export-sample.pdf; for the PNG pages: pip install pypdfium2", file=sys.stderr)
        return 1
    document = pypdfium2.PdfDocument(pdf)
    for index, name in ((0, "export-sample.png"), (len(document) - 1, "export-sample-signed.png")):
        document[index].render(scale=110 / 72).to_pil().save(DOCS / name, optimize=True)
    print(f"wrote docs/export-sample.pdf ({len(document)} pages) and two PNG pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
