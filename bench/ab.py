"""``python -m bench.ab --before REV``: the server's CPU per request, this tree against revision REV's.

A step that must leave the API no slower is checked here: both trees' servers start as ``make run``
starts them (REV's from a ``git archive`` of it), each round starts them afresh and swaps which goes
first, and the figure is the server process's own CPU time (user and system, from /proc) over the
requests wrk completed. A shared machine moves throughput a lot and CPU per request far less.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import http_scenarios as scenarios
from . import servers

TREES = ("after", "before")


def cases(server: servers.Server) -> list[scenarios.Case]:
    first = scenarios.seed(server, 100, "ab")[0][0]
    found = scenarios.disconnect_case("204", "POST disconnect -> 204", first)
    return [found, scenarios.UNAUTHORIZED, scenarios.NOT_FOUND, scenarios.list_case(100)]


def measure(code: dict[str, Path | None], rounds: int, seconds: int, logs: Path) -> dict[tuple[str, str], list[float]]:
    found: dict[tuple[str, str], list[float]] = {}
    for round_no in range(rounds):
        for tree in TREES if round_no % 2 == 0 else TREES[::-1]:
            server = servers.start(tree, logs, timeout=90.0, code=code[tree])
            try:
                for case in cases(server):
                    before = server.cpu_seconds()
                    result = scenarios.measure(server, case, seconds)
                    used = server.cpu_seconds() - before
                    found.setdefault((case.title, tree), []).append(used / max(result.requests, 1) * 1e6)
            finally:
                server.stop()
    return found


def report(found: dict[tuple[str, str], list[float]], revision: str) -> None:
    print(f"server CPU per request (us), this tree against {revision}; median of rounds, then each round")
    for title in dict.fromkeys(title for title, _ in found):
        after, before = (statistics.median(found[(title, tree)]) for tree in TREES)
        rounds = " / ".join(
            f"{a:.0f}:{b:.0f}" for a, b in zip(found[(title, "after")], found[(title, "before")], strict=True)
        )
        print(f"- {title}: {after:.0f} against {before:.0f}, ratio {after / before:.2f} (rounds {rounds})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nekoapi-ab-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(servers.ROOT), "archive", args.before], capture_output=True, check=True
        )
        (work / "before").mkdir()
        subprocess.run(["tar", "-x", "-C", str(work / "before")], input=archive.stdout, check=True)
        (work / "logs").mkdir()
        report(
            measure({"after": servers.ROOT, "before": work / "before"}, args.rounds, args.seconds, work / "logs"),
            args.before,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
