"""A case as a safeguarding record for the file: Markdown or HTML, from the case and its audit trail.

Who, when, what and why: the report, the suggestion with its policy sentences, each decision,
the deletions, any viewing of imagery, and the full chronology. Never an image: none is held.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from conversations import audit, casework, readable
from conversations.academies import Academy
from conversations.casework import CaseDetail, RecordedDecision
from conversations.context import Context
from conversations.models import Case
from conversations.readable import Row
from conversations.routing import STATUS_LABELS

FORMATS = ("md", "html")
VIEWING = "viewing"


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


Block = Heading | Para | Pairs | Table
Who = Callable[[str], str]


def export_case(ctx: Context, reference: str, actor_id: str, fmt: str = "md") -> str:
    """The case's record in `fmt` (md or html); the export is itself an audit event."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    detail = casework.export_detail(ctx, reference, actor_id, fmt)
    blocks = record(ctx, detail, _chain_note(ctx, reference))
    return to_markdown(blocks) if fmt == "md" else to_html(blocks, f"Safeguarding record {reference}")


def record(ctx: Context, d: CaseDetail, chain: str) -> list[Block]:
    """The record as blocks, in the order a DSL files it."""
    who = _people(ctx.academies.get(d.academy_key), d.reporter_id)
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
    blocks += [Heading(2, "Chronology"), _chronology(d, who), Para(chain)]
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
    )
    return Table(("When", "Who", "What", "Case status", "Detail"), rows)


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


def _people(academy: Academy, reporter_id: str) -> Who:
    roles = {u: "DSL" for u in academy.dsl_users} | {u: "deputy DSL" for u in academy.deputy_users}
    if academy.principal_user:
        roles.setdefault(academy.principal_user, "Principal")
    roles.setdefault(reporter_id, "member of staff who reported")

    def who(user_id: str) -> str:
        if user_id.startswith("cli:"):
            return f"{user_id[4:]} (command line)"
        role = roles.get(user_id)
        return f"{user_id} ({role})" if role else user_id

    return who


def _chain_note(ctx: Context, reference: str) -> str:
    with ctx.db.unit_of_work(read_only=True) as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.reference == reference))
        count = audit.count_events(uow.session, case_id)
        _, broken = audit.verify(uow.session)
    problems = [b for b in broken if b.case_reference == reference]
    if problems:
        return f"Audit trail: {count} events. WARNING: event {problems[0].event_id} {problems[0].problem}."
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


def to_html(blocks: list[Block], title: str) -> str:
    """Blocks as one standalone HTML page, every text escaped."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Pairs):
            rows = "".join(_html_row((k, v), "td") for k, v in block.pairs)
            body.append(f'<table class="pairs">{rows}</table>')
        else:
            rows = _html_row(block.headers, "th") + "".join(_html_row(r, "td") for r in block.rows)
            body.append(f"<table>{rows}</table>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;"
        "width:100%;margin-bottom:1em}td,th{border:1px solid #999;padding:.3em;vertical-align:top;"
        "text-align:left}"
        ".pairs td:first-child{width:30%;font-weight:bold}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _html_row(cells: tuple[str, ...], tag: str) -> str:
    inner = "".join(f"<{tag}>{html.escape(c).replace(chr(10), '<br>')}</{tag}>" for c in cells)
    return f"<tr>{inner}</tr>"
