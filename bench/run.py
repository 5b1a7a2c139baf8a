"""``make bench``: every HTTP and WebSocket scenario, ours against the reference, interleaved.

Each round starts fresh servers and alternates which one goes first, so a
slow phase of the shared machine does not land on one side only. Figures are
ratios within one run; nothing here is a pass/fail gate.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import argon2_cost, docsection, http_scenarios, report, servers, workers, ws_scenarios
from .http_scenarios import LOGIN, NOT_FOUND, UNAUTHORIZED, disconnect_case, list_case, seed, session_count_is
from .progress import Step, progress, run_plan
from .results import Results

PARTS = ("startup", "http", "ws", "workers", "desktop", "screencast", "media", "cdp", "soak")
# Parts on a real desktop, run after the rest; each writes its own section of the report.
SECTIONS = ("desktop", "screencast", "media", "cdp", "soak")


def _order(round_no: int) -> tuple[str, ...]:
    return servers.KINDS if round_no % 2 == 0 else tuple(reversed(servers.KINDS))


def _guarded(results: Results, what: str, step: Callable[[], None]) -> None:
    """Run one step; a failure is written into the report instead of ending the run."""
    try:
        step()
    except Exception as exc:
        results.errors.append(f"{what}: {exc}")
        traceback.print_exc()


def startup(results: Results, log_dir: Path, rounds: int) -> None:
    for r in range(rounds * 2):
        for kind in _order(r):
            server = servers.start(kind, log_dir)
            server.stop()
            results.startup.setdefault(kind, []).append(server.startup_seconds)


def small_state(results: Results, log_dir: Path, round_no: int, seconds: int) -> None:
    """(1) disconnect 204 with 10 sessions, (2) 401 and 404, (4) login."""
    for kind in _order(round_no):
        server = servers.start(kind, log_dir)
        try:
            first_id = seed(server, 10, "seed")[0][0]
            results.add(
                disconnect_case("204@10", "POST disconnect -> 204 (10 sessions)", first_id), kind, server, seconds
            )
            results.add(UNAUTHORIZED, kind, server, seconds)
            results.add(NOT_FOUND, kind, server, seconds)
            results.login_ms.setdefault(kind, []).append(http_scenarios.login_latency_ms(server))
            results.add(LOGIN, kind, server, seconds)  # last: it adds thousands of sessions
        finally:
            server.stop()


def growing_state(results: Results, log_dir: Path, round_no: int, seconds: int) -> None:
    """(3) the session list at 100, 1,000 and 10,000 sessions; disconnect at 10,000 sessions."""
    for kind in _order(round_no):
        server = servers.start(kind, log_dir)
        try:
            have: list[tuple[str, str]] = []
            for size in (100, 1000, 10000):
                have += seed(server, size - len(have), f"grow{len(have)}-")
                case = list_case(size)
                results.add(case, kind, server, seconds, session_count_is(size))
            case = disconnect_case("204@10000", "POST disconnect -> 204 (10,000 sessions)", have[-1][0])
            results.add(case, kind, server, seconds)
        finally:
            server.stop()


def websockets(results: Results, log_dir: Path, args: argparse.Namespace) -> None:
    """(5)-(7): both servers stay up with their sockets; rounds alternate between them, then each ramps."""
    rigs: dict[str, ws_scenarios.Rig] = {}
    try:
        for kind in servers.KINDS:
            rigs[kind] = ws_scenarios.Rig(servers.start(kind, log_dir), args.sockets)
            results.ws[kind] = rigs[kind].result
        for r in range(args.rounds):
            for kind in _order(r):
                progress(f"  {kind}: disconnect-to-close and fan-out, round {r + 1}")
                rigs[kind].measure(r + 1, args.close_iterations, args.fanout_repeats)
        # The reference ramps first; ours then stops on the way at the count the reference reached, so both
        # have figures at one count even when only one gets to --max-sockets.
        reached = args.max_sockets
        for kind in reversed(servers.KINDS):
            stops = sorted({min(reached, args.max_sockets), args.max_sockets})
            budget = ramp_budget(args, kind)
            progress(f"  {kind}: ramp toward {args.max_sockets:,} sockets ({args.ramp_order}, {budget:.0f} s)")
            reached = rigs[kind].grow(stops, budget, args.fanout_repeats, args.ramp_order)
            rigs.pop(kind).kill()  # the next ramp gets the cores to itself
    finally:
        for rig in rigs.values():
            rig.kill()


def ramp_budget(args: argparse.Namespace, kind: str) -> float:
    # The reference's writes per message make its ramp O(N²) in system calls; past a few thousand
    # sockets more time buys it little, so it gets less of the run than ours.
    return args.reference_ramp_budget if kind == "reference" else args.ramp_budget


def _raise_file_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # servers and socket workers inherit it
    return hard


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per scenario (at least 2)")
    parser.add_argument("--sockets", type=int, default=1000, help="other sockets for scenarios 5-7")
    parser.add_argument("--max-sockets", type=int, default=10000, help="socket count the last round ramps to")
    parser.add_argument(
        "--ramp-budget", type=float, default=90.0, help="seconds ours may take to ramp to --max-sockets"
    )
    parser.add_argument(
        "--reference-ramp-budget", type=float, default=40.0, help="seconds the reference may take for its ramp"
    )
    parser.add_argument("--ramp-order", choices=ws_scenarios.ORDERS, default="interleaved")
    parser.add_argument("--close-iterations", type=int, default=100)
    parser.add_argument("--fanout-repeats", type=int, default=6)
    parser.add_argument("--output", type=Path, default=servers.ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("--screencast-seconds", type=float, default=5.0, help="length of each cast.jpg load")
    parser.add_argument("--media-quick", action="store_true", help="fewer viewer counts in the media part")
    parser.add_argument("--soak-quick", action="store_true", help="a tenth of the soak's cycles")
    return parser.parse_args(argv)


def plan(results: Results, log_dir: Path, args: argparse.Namespace) -> list[Step]:
    """Every step of the run with a rough duration, so the progress lines can say what is left."""
    parts, steps = set(args.only or PARTS), []
    wrk_runs = args.seconds + 0.5  # a wrk run plus its check request
    if "startup" in parts:
        steps.append(Step("start-up (8)", 1.0 * args.rounds * 4, lambda: startup(results, log_dir, args.rounds)))
    for r in range(args.rounds if "http" in parts else 0):
        steps += [
            Step(
                f"HTTP small state (1, 2, 4), round {r + 1}",
                2 * (5 * wrk_runs + 2),
                lambda r=r: small_state(results, log_dir, r, args.seconds),
            ),
            Step(
                f"HTTP large state (3), round {r + 1}",
                2 * (4 * wrk_runs + 8),
                lambda r=r: growing_state(results, log_dir, r, args.seconds),
            ),
        ]
    if "http" in parts:
        steps.append(Step("argon2 cost (4)", 4, lambda: setattr(results, "argon2", argon2_cost.measure())))
    if "ws" in parts:
        measuring = args.rounds * 2 * (args.close_iterations * 0.08 + args.fanout_repeats * 0.3)
        estimate = args.ramp_budget + args.reference_ramp_budget + 30 + measuring
        steps.append(Step("WebSocket (5, 6, 7)", estimate, lambda: websockets(results, log_dir, args)))
    if "workers" in parts:
        steps.append(
            Step("2 workers vs 1 (9)", args.rounds * 2 * (2 * wrk_runs + 3), lambda: scale_out(results, log_dir, args))
        )
    return [Step(s.label, s.estimate, _guard(results, s.label, s.run)) for s in steps]


def _guard(results: Results, what: str, step: Callable[[], None]) -> Callable[[], None]:
    return lambda: _guarded(results, what, step)


def scale_out(results: Results, log_dir: Path, args: argparse.Namespace) -> None:
    """(9) on the Redis store; without Redis the report says why instead."""
    if not workers.redis_reachable():
        results.workers_note = "Redis is not reachable on 127.0.0.1:6379, so this scenario did not run."
        return
    for r in range(args.rounds):
        _guarded(results, f"workers, round {r + 1}", lambda r=r: workers.compare(results, log_dir, r, args.seconds))


def sections(args: argparse.Namespace) -> int:
    """The desktop, screencast, media, CDP and soak parts (bench/desktop.py, screencast.py, media.py, cdp.py,
    soak.py), in turn."""
    from . import cdp, desktop, media, screencast, soak

    cast_args = ["--seconds", f"{args.screencast_seconds}", "--output", f"{args.output}"]
    runs = {
        "desktop": lambda: desktop.main(args.output),
        "screencast": lambda: screencast.main(cast_args),
        "media": lambda: media.main(quick=args.media_quick, output=args.output),
        "cdp": lambda: cdp.main(["--output", f"{args.output}"]),
        "soak": lambda: soak.main(quick=args.soak_quick, output=args.output),
    }
    failed = 0
    for part in (p for p in SECTIONS if p in set(args.only or PARTS)):
        progress(f"{part}: its section of {args.output}")
        try:
            failed += runs[part]() != 0
        except Exception:
            traceback.print_exc()
            failed += 1
    return failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failed = 0
    if set(args.only or PARTS) - set(SECTIONS):
        failed = core(args)
    failed += sections(args)
    return 1 if failed else 0


def core(args: argparse.Namespace) -> int:
    """Ours against the reference over HTTP and WebSockets: the generated block of the report."""
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (make bench installs it: apt-get install -y wrk)", file=sys.stderr)
        return 2
    results = Results(settings=vars(args) | {"file_limit": _raise_file_limit()})
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nekoapi-bench-") as tmp:
        run_plan(plan(results, Path(tmp), args))
    results.total_seconds = time.perf_counter() - began
    text = report.render(results)
    docsection.replace_section(args.output, report.BEGIN, report.END, text)
    print(text)
    print(f"bench: wrote {args.output} in {results.total_seconds:.0f} s", file=sys.stderr)
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
