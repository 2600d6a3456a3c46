"""The one table `make bench` prints, and bench/results.json."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import Row
from tests.conftest import PG_URL, postgres_problem

RESULTS = Path(__file__).with_name("results.json")
HEADER = ("benchmark", "measure", "value", "baseline", "ratio", "target", "result")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    shown = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{shown} {unit}".strip()


def cells(row: Row) -> tuple[str, ...]:
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    if row.ratio is not None and row.target and abs(row.ratio - row.target.limit) < 0.005:
        ratio = f"{row.ratio:.3f}x"  # so a ratio just over its limit does not read as equal to it
    target = row.target.label(row.unit) if row.target else ""
    value = _number(row.value, row.unit) if row.value is not None else f"skipped: {row.note}"
    return (row.benchmark, row.measure, value, _number(row.baseline, row.unit), ratio, target, row.status)


def render(rows: list[Row]) -> str:
    """A Markdown table (readable in a terminal, pasteable into the README)."""
    lines = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def machine() -> dict[str, str]:
    """Where the figures came from."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    info = {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": "not available",
    }
    if postgres_problem() is None:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar() or ""
        engine.dispose()
    return info


def write(rows: list[Row], seconds: float) -> None:
    """bench/results.json: every row, the machine and how long the run took."""
    data = {"machine": machine(), "seconds": round(seconds, 1), "rows": [r.as_dict() for r in rows]}
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
