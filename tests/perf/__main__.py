"""Benchmarks: `python -m tests.perf [NAME ...] [--scale small|full] [--json] [--list]`.

Each figure prints as `name: value unit (target T; ratio R vs BASELINE)`, where the baseline is
the bare library doing the same work in the same run (these machines are noisy: ratios hold,
absolute times drift). Timings live here, never in pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from tests.perf import (
    bench_agent,
    bench_console,
    bench_dashboard,
    bench_detection,
    bench_list,
    bench_ocr,
    bench_report,
    bench_seed,
    bench_sync,
    bench_trends,
    fuzz_schemas,
)
from tests.perf.common import Figure

BENCHMARKS: dict[str, Callable[[str], list[Figure]]] = {
    "seed": bench_seed.run,
    "list": bench_list.run,
    "detection": bench_detection.run,
    "ocr": bench_ocr.run,
    "sync": bench_sync.run,
    "fuzz": fuzz_schemas.run,
    "agent": bench_agent.run,
    "console": bench_console.run,
    "report": bench_report.run,
    "trends": bench_trends.run,
    "dashboard": bench_dashboard.run,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--scale", choices=("small", "full"), default="small")
    parser.add_argument("--json", action="store_true", help="print one JSON document at the end")
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, fn in BENCHMARKS.items():
            print(f"{name}: {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; --list names them")
    figures: list[Figure] = []
    for name in args.names or list(BENCHMARKS):
        for figure in BENCHMARKS[name](args.scale):
            print(figure.line(), flush=True)
            figures.append(figure)
    if args.json:
        print(json.dumps([f.as_dict() for f in figures], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
