"""`python -m bench [name…]`: run the benchmarks (all, or those named), print the table, save JSON."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time

from bench.common import Row, Skip
from bench.table import RESULTS, machine, render, write

# In running order: the quick Slack ones first, the database-heavy ones after.
BENCHMARKS = {
    "ack": "1 ack",
    "alert": "2 alert",
    "throughput": "3 throughput",
    "sweep": "4 sweep",
    "memory": "5 memory",
    "processes": "6 processes",
    "audit": "7 audit",
    "concurrency": "8 concurrency",
    "starvation": "9 starvation",
    "served": "10 served",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", choices=[[], *BENCHMARKS], help="benchmarks to run (default: all)"
    )
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    # The app logs each report at INFO; a benchmark sends thousands.
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    rows: list[Row] = []
    for name in names:
        print(f"running {name}…", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            rows += importlib.import_module(f"bench.{name}").run()
        except Skip as skipped:
            rows.append(Row(BENCHMARKS[name], "all", None, note=str(skipped)))
        print(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print(render(rows))
    info = machine()
    print(
        f"\n{info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, SQLite {info['sqlite']}, "
        f"PostgreSQL {info['postgresql']}; {seconds:.0f} s in all; saved to {RESULTS}"
    )
    write(rows, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
