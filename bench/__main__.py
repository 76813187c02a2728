"""`python -m bench [NAME ...]`: the benchmarks (`make bench` runs them all). Each lives in a
module of its own; this only chooses and runs them.

- load     the project's bot against a bare echo bot, 500 and 1,000 people at once, with
           Telegram's limit and without (bench/load.py)
- mix      1,000 people doing what people do (bench/mix.py)
- seeded   10,000 members and 10,000 reports: memory, start-up, members desk, /roles search,
           reports CSV and a bystander meanwhile (bench/seeded.py)
- sql      SQL statements per update on the busiest paths (bench/sqlcount.py)
- broadcast  an announcement to 10,000 members through the outbox: the pace kept, 429s,
           duplicates and missing members (bench/broadcast.py)
- hostile  thousands of generated hostile updates (tests/e2e/test_hostile.py, a large budget)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

from .common import ROOT


def _module(name: str) -> Callable[[bool], Awaitable[object]]:
    def start(quick: bool) -> Awaitable[object]:
        run: Callable[[bool], Awaitable[object]] = importlib.import_module(f"bench.{name}").run
        return run(quick)

    return start


def _broadcast(quick: bool) -> Awaitable[object]:
    # An announcement (bench/broadcast.py) to this many members, the sandbox's limit at 200/s.
    from bench import broadcast

    return broadcast.run(1_000 if quick else 10_000, 200.0)


def _hostile(quick: bool) -> None:
    examples = "300" if quick else "2000"
    env = {**os.environ, "HOSTILE_EXAMPLES": examples, "HOSTILE_PEOPLE": "5"}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--lane", "sqlite", "tests/e2e/test_hostile.py"],
        cwd=ROOT,
        env=env,
        check=True,
    )


BENCHMARKS: dict[str, Callable[[bool], Awaitable[object] | None]] = {
    "load": _module("load"),
    "mix": _module("mix"),
    "seeded": _module("seeded"),
    "sql": _module("sqlcount"),
    "broadcast": _broadcast,
    "hostile": _hostile,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="some of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="small sizes, to try it out")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error("unknown benchmark(s): " + ", ".join(sorted(unknown)))
    for name in args.names or list(BENCHMARKS):
        print(f"\n== {name} ==", flush=True)
        result = BENCHMARKS[name](args.quick)
        if result is not None:
            asyncio.run(result)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
