"""A case as a safeguarding record for the file: Markdown or HTML, from the case and its audit trail.

Who, when, what and why: the report, the suggestion with its policy sentences, each decision,
the deletions, any viewing of imagery, and the full chronology. Never an image: none is held.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from string import Template

from sqlalchemy import select

from conversations.casefile import casework, readable
from conversations.casefile.casework import CaseDetail, RecordedDecision, TimelineEntry
from conversations.casefile.decisions import load_decisions
from conversations.casefile.readable import Row
from conversations.context import Context
from conversations.dialogue.routing import STATUS_LABELS
from conversations.errors import ConfigError, InvalidAnswer
from conversations.protection import audit
from conversations.scheduling import reminders as reminder_rules
from conversations.storage.models import Case

FORMATS = ("md", "html", "pdf")
VIEWING = "viewing"
CLOSED = "closed"
NOT_YET = "Not yet recorded"
SPLIT_IDENTIFIERS = re.compile(r"\s*(?:[,;/&]|\band\b)\s*")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Pairs:
    """Labelled values, e.g. the answers of one step."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Signature:
    """Where the DSL signs and dates the record by hand: their name and role printed beside."""

    name: str
    role: str


Block = Heading | Para | Pairs | Table | Signature
Who = Callable[[str], str]


def export_case(
    ctx: Context,
    reference: str,
    actor_id: str,
    fmt: str = "md",
    person: str = "",
    *,
    deliver: Callable[[str | bytes], None] | None = None,
) -> str | bytes:
    """The case's record in `fmt` (md, html: text; pdf: bytes); the export is itself an audit event,
    recorded only once the record is rendered and `deliver`ed (e.g. written to its file).

    With `person` (a young person's initials or pseudonym as recorded), the record is that young
    person's: every other young person is shown as "Young person 2", "Young person 3", ...
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    detail = casework.export_detail(ctx, reference, actor_id)
    blocks = record(ctx, detail, _chain_note(ctx, reference))
    if person:
        blocks = pseudonymised(blocks, person, young_people(detail))
    if fmt == "md":
        content: str | bytes = to_markdown(blocks)
    else:
        page = to_html(blocks, f"Safeguarding record {reference}", detail.academy_name)
        content = page if fmt == "html" else to_pdf(page)
    if deliver is not None:
        deliver(content)
    casework.record_export(ctx, reference, actor_id, fmt, one_young_person=bool(person))
    return content


def record(ctx: Context, d: CaseDetail, chain: str) -> list[Block]:
    """The record as blocks, in the order a DSL files it."""
    who = _who(d)
    exported = d.timeline[-1]
    blocks: list[Block] = [
        Heading(1, f"Safeguarding record {d.reference}"),
        Para(
            f"{d.academy_name}. Incident of youth produced sexual imagery (sharing nudes and semi-nudes). "
            f"Exported {readable.when(exported.at)} by {who(exported.actor_id)}. Confidential: keep in the "
            "child protection file, separate from the pupil's general record. No image is held or described."
        ),
        Heading(2, "Summary"),
        _pairs(_summary(d, who)),
        Heading(2, "People named in this record"),
        _people_table(d),
        Heading(2, "The report, as made by the member of staff"),
    ]
    for title, rows in d.answer_sections:
        blocks += [Heading(3, title), _pairs(_rows(rows, who))]
    blocks += [Heading(2, "Decisions and actions")]
    for decision in (x for x in d.decisions if x.key != VIEWING):
        blocks += _decision(decision, who)
    if not any(x.key != VIEWING for x in d.decisions):
        blocks.append(Para("No decision has been recorded yet."))
    blocks += [Heading(2, "Deletion of imagery"), _deletions(d, who)]
    blocks += [Heading(2, "Record of viewing imagery")]
    viewings = [x for x in d.decisions if x.key == VIEWING]
    for viewing in viewings:
        blocks += _decision(viewing, who)
    if not viewings:
        blocks.append(Para("No viewing of imagery was recorded."))
    blocks += [Heading(2, "Reminders"), _reminders(d)]
    blocks += [Heading(2, "Chronology"), _chronology(d, who), Para(chain)]
    blocks += [Heading(2, "Closing summary"), Para(_closing_summary(d))]
    owner = d.person(d.owner_id) if d.owner_id else None
    blocks += [
        Heading(2, "Signed and dated by the DSL"),
        Signature(owner.name or "" if owner else "", owner.role if owner else "DSL"),
    ]
    return blocks


def _summary(d: CaseDetail, who: Who) -> list[tuple[str, str]]:
    category = d.suggestion.category
    pairs = [
        ("Reference", d.reference),
        ("Academy", d.academy_name),
        ("Status", d.status_label),
        ("Reported", f"{readable.when(d.reported_at)} by {who(d.reporter_id)}"),
        ("Report completed", readable.when(d.submitted_at) if d.submitted_at else "Not completed"),
        ("DSL owning the case", who(d.owner_id) if d.owner_id else "Not yet acknowledged"),
        ("Urgent", "Yes" if d.urgent else "No"),
        ("A young person under 13", "Yes" if d.under_13 else "No"),
        (
            "Suggested category",
            f'{category.label}: "{category.sources[0].sentence}" ({category.sources[0].source})',
        ),
        ("Category confirmed by the DSL", d.confirmed_category.label if d.confirmed_category else "Not yet"),
    ]
    for trigger in d.suggestion.triggers:
        sentences = " ".join(f'"{s.sentence}" ({s.source})' for s in trigger.sources)
        pairs.append((f"Referral trigger ({trigger.level})", f"{trigger.label}: {sentences}"))
    if d.closed_at:
        pairs.append(("Closed", readable.when(d.closed_at)))
    return pairs


def _people_table(d: CaseDetail) -> Block:
    """Everyone named, once, with the Slack user id the audit trail holds for them."""
    staff = [p for p in d.people.values() if p.role and p.role != "command line"]
    rows = tuple((p.name or "Name not known", p.role, p.user_id) for p in staff)
    return Table(("Name", "Role", "User id (as in the audit trail)"), rows)


def _decision(decision: RecordedDecision, who: Who) -> list[Block]:
    pairs = [("Recorded", f"{readable.when(decision.at)} by {who(decision.by)}")]
    if decision.from_state != decision.to_state:
        pairs.append(
            ("Case moved", f"{STATUS_LABELS[decision.from_state]} → {STATUS_LABELS[decision.to_state]}")
        )
    return [Heading(3, decision.title), _pairs(pairs + _rows(decision.rows, who))]


def _deletions(d: CaseDetail, who: Who) -> Block:
    if not d.deletions:
        return Para("No deletion was requested.")
    rows = tuple(
        (
            x.pseudonym,
            readable.day(x.deadline),
            x.status,
            who(x.follow_up_user) if x.follow_up_user else "",
            f"{readable.when(x.confirmed_at)} by {who(x.confirmed_by)}"
            if x.confirmed_at and x.confirmed_by
            else "",
        )
        for x in d.deletions
    )
    return Table(("Young person (pseudonym)", "Deadline", "Status", "Followed up by", "Confirmed"), rows)


def _reminders(d: CaseDetail) -> Block:
    """Reminders the bot sent, one line per kind (how many, first and last), not one row each."""
    sent: dict[str, list[TimelineEntry]] = {}
    for e in d.timeline:
        if e.action == casework.REMINDER_SENT:
            sent.setdefault(e.kind or "", []).append(e)
    if not sent:
        return Para("No reminder was sent.")
    kinds = reminder_rules.policy().kinds
    rows = tuple(
        (
            kinds[kind].label.capitalize() if kind in kinds else "Reminder",
            str(len(entries)),
            readable.when(entries[0].at),
            readable.when(entries[-1].at),
        )
        for kind, entries in sent.items()
    )
    return Table(("Reminder", "Sent", "First", "Last"), rows)


def _chronology(d: CaseDetail, who: Who) -> Block:
    rows = tuple(
        (
            readable.when(e.at),
            who(e.actor_id),
            e.label,
            _moved(e.from_state, e.to_state),
            e.reason or "",
        )
        for e in d.timeline
        if e.action != casework.REMINDER_SENT
    )
    return Table(("When", "Who", "What", "Case status", "Detail"), rows)


def _closing_summary(d: CaseDetail) -> str:
    closings = [x for x in d.decisions if x.key == CLOSED]
    summary = str(closings[-1].values.get("summary") or "") if closings else ""
    return summary or f"{NOT_YET}: the case has no closing summary yet."


def _moved(source: str | None, dest: str | None) -> str:
    if dest is None:
        return ""
    if source is None or source == dest:
        return STATUS_LABELS[dest]
    return f"{STATUS_LABELS[source]} → {STATUS_LABELS[dest]}"


def _rows(rows: tuple[Row, ...], who: Who) -> list[tuple[str, str]]:
    return [(r.label, who(r.value) if r.kind == readable.USER else r.value) for r in rows]


def _pairs(pairs: list[tuple[str, str]]) -> Pairs:
    return Pairs(tuple(pairs))


def _who(d: CaseDetail) -> Who:
    """A person as the record names them: name and role (the id is in "People named")."""
    return lambda user_id: d.person(user_id).label


# --- one young person's record ----------------------------------------------------------------


def young_people(d: CaseDetail) -> list[str]:
    """The young people the case names (initials or pseudonyms as typed), first-named first."""
    typed = str(d.answers.get("young_people", {}).get("identifiers") or "")
    found = [x for x in SPLIT_IDENTIFIERS.split(typed) if x]
    decisions = load_decisions().by_key
    for x in d.decisions:
        fields = decisions[x.key].fields if x.key in decisions else ()
        for field in (f for f in fields if f.type == "names"):
            found += [str(v) for v in x.values.get(field.key) or ()]
    found += [x.pseudonym for x in d.deletions]
    return list(dict.fromkeys(x.strip() for x in found if x.strip()))


def pseudonymised(blocks: list[Block], person: str, named: list[str]) -> list[Block]:
    """The record of `person` only: every other young person named becomes "Young person N"."""
    keep = next((x for x in named if x.casefold() == person.strip().casefold()), None)
    if keep is None:
        raise InvalidAnswer({"person": "no young person with those initials is named on this case"})
    others = {x: f"Young person {n}" for n, x in enumerate((x for x in named if x != keep), start=2)}
    note = Para(
        f"Record for one young person: {keep}. Other young people are shown as "
        f"{', '.join(others.values()) or 'none'}."
    )
    if not others:
        return [blocks[0], note, *blocks[1:]]
    # Longest first, whole words only: "AB" must not rewrite part of "ABC" or of a word.
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(x)}(?!\w)" for x in sorted(others, key=len, reverse=True))
    )

    def mask(text: str) -> str:
        return pattern.sub(lambda m: others[m.group(0)], text)

    return [blocks[0], note, *(_map_text(b, mask) for b in blocks[1:])]


def _map_text(block: Block, change: Callable[[str], str]) -> Block:
    if isinstance(block, Heading):
        return Heading(block.level, change(block.text))
    if isinstance(block, Para):
        return Para(change(block.text))
    if isinstance(block, Pairs):
        return Pairs(tuple((k, change(v)) for k, v in block.pairs))
    if isinstance(block, Table):
        return Table(block.headers, tuple(tuple(change(c) for c in row) for row in block.rows))
    return block


def _chain_note(ctx: Context, reference: str) -> str:
    with ctx.db.unit_of_work(read_only=True) as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.reference == reference))
        count = audit.count_events(uow.session, case_id)
        _, broken = audit.verify(uow.session)
    problems = [b for b in broken if b.case_reference == reference]
    if problems:
        first = problems[0]
        where = f"event {first.event_id} " if first.event_id else ""  # None: the chain was cut back
        return f"Audit trail: {count} events. WARNING: {where}{first.problem}."
    return f"Audit trail: {count} events, each chained to the one before; the chain is intact."


# --- rendering ------------------------------------------------------------------------------


def to_markdown(blocks: list[Block]) -> str:
    """Blocks as Markdown (tables for key-value pairs, so every line reads in plain text too)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += [f"{'#' * block.level} {_md(block.text)}", ""]
        elif isinstance(block, Para):
            out += [_md(block.text), ""]
        elif isinstance(block, Pairs):
            out += [f"- {_md(k)}: {_md(v).replace(chr(10), chr(10) + '  ')}" for k, v in block.pairs] + [""]
        elif isinstance(block, Signature):
            out += [f"- {label}: {_md(value) or '_' * 30}" for label, value in _signature(block)] + [""]
        else:
            out += [_md_row(block.headers), "|" + "---|" * len(block.headers)]
            out += [_md_row(r) for r in block.rows] + [""]
    return "\n".join(out)


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md(c).replace("|", "\\|").replace("\n", "<br>") for c in cells) + " |"


def _md(text: str) -> str:
    # Typed text must not become markup (links, HTML, emphasis) in the filed document.
    for char in "\\`*_[]<>#":
        text = text.replace(char, "\\" + char)
    return text


def _signature(block: Signature) -> list[tuple[str, str]]:
    return [("Name", block.name), ("Role", block.role), ("Signature", ""), ("Date", "")]


# A4, as filed: the reference, "Confidential" and "page n of m" on every page (print from a
# browser, or `--format pdf`). Dates never wrap; table headers repeat on each page.
PRINT_CSS = Template("""
@page {
  size: A4; margin: 24mm 17mm 20mm 17mm;
  @top-left { content: $title; font: 600 8.5pt/1 var(--font); color: #1f3a5f; }
  @top-right { content: "CONFIDENTIAL \\2014  child protection file"; font: 600 8.5pt/1 var(--font);
               color: #8a1c1c; }
  @bottom-left { content: $academy; font: 8pt/1 var(--font); color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt/1 var(--font);
                  color: #555; }
}
:root { --font: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
html { font: 9pt/1.35 var(--font); color: #1a1a1a; }
body { margin: 0; }
@media screen { body { max-width: 180mm; margin: 2em auto; } }
h1 { font-size: 17pt; color: #1f3a5f; margin: 0 0 2mm; padding-bottom: 2mm;
     border-bottom: 2.5pt solid #1f3a5f; }
h2 { font-size: 11.5pt; color: #1f3a5f; margin: 6mm 0 2mm; padding-bottom: 1mm;
     border-bottom: .75pt solid #9fb3c8; break-after: avoid; }
h3 { font-size: 9.5pt; margin: 3.5mm 0 1.5mm; break-after: avoid; }
p { margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 0 0 2.5mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: .5pt solid #b8c2cc; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }
th { background: #e8eef4; font-weight: 600; }
td.when, th.when { white-space: nowrap; width: 1%; }
table.pairs td:first-child { width: 32%; background: #f4f6f8; font-weight: 600; }
table.signature { margin-top: 3mm; break-inside: avoid; }
table.signature td { border: none; padding: 2mm 1.6mm 1mm; vertical-align: bottom; }
table.signature td:first-child { width: 20%; font-weight: 600; }
table.signature td.line { border-bottom: .75pt solid #1a1a1a; height: 8mm; }
p.lead { color: #333; }
""")
PDF_NEEDS = (
    "a PDF needs the Pango text library (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); "
    "or export --format html and print it to PDF from a browser"
)
WHEN_COLUMNS = {"When", "First", "Last", "Deadline"}


def to_html(blocks: list[Block], title: str, academy: str = "") -> str:
    """Blocks as one standalone A4 HTML page, every text escaped."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            lead = ' class="lead"' if len(body) == 1 else ""
            body.append(f"<p{lead}>{html.escape(block.text)}</p>")
        elif isinstance(block, Pairs):
            rows = "".join(_html_row((k, v), "td") for k, v in block.pairs)
            body.append(f'<table class="pairs">{rows}</table>')
        elif isinstance(block, Signature):
            rows = "".join(
                f'<tr><td>{label}</td><td class="line">{html.escape(value)}</td></tr>'
                for label, value in _signature(block)
            )
            body.append(f'<table class="signature">{rows}</table>')
        else:
            when = [h in WHEN_COLUMNS for h in block.headers]
            head = _html_row(block.headers, "th", when)
            rows = "".join(_html_row(r, "td", when) for r in block.rows)
            body.append(f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>")
    style = PRINT_CSS.substitute(title=_css_string(title), academy=_css_string(academy))
    return (
        f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def to_pdf(page: str) -> bytes:
    """The HTML record as an A4 PDF (WeasyPrint: see docs/decisions/0071-export-pdf.md)."""
    try:
        from weasyprint import HTML  # imported here: only a PDF export pays for loading it
    except OSError:  # it loads the system's Pango when imported
        raise ConfigError(PDF_NEEDS) from None

    # Its warnings (e.g. which font subsetter it used) are for its developers, not an operator.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=page).write_pdf()


def _html_row(cells: tuple[str, ...], tag: str, when: list[bool] | None = None) -> str:
    classes = [' class="when"' if w else "" for w in when or [False] * len(cells)]
    inner = "".join(
        f"<{tag}{c}>{html.escape(x).replace(chr(10), '<br>')}</{tag}>"
        for x, c in zip(cells, classes, strict=True)
    )
    return f"<tr>{inner}</tr>"


def _css_string(text: str) -> str:
    """Text as a CSS string literal: anything but letters, digits and spaces as an escape."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'
