"""Progress lines on stderr while ``make bench`` runs: the step, elapsed time, an estimate of what is left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

_BEGAN = time.perf_counter()


def elapsed() -> float:
    return time.perf_counter() - _BEGAN


def progress(message: str) -> None:
    print(f"bench [{elapsed():5.0f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Step:
    label: str
    estimate: float  # seconds, from the settings; corrected by how the run has gone so far
    run: Callable[[], None]


def run_plan(steps: list[Step]) -> None:
    """Run the steps in order; before each, print it with the time left, scaled by the pace so far."""
    spent = estimated = 0.0
    for i, step in enumerate(steps):
        pace = min(max(spent / estimated, 0.5), 3.0) if estimated else 1.0
        left = pace * sum(s.estimate for s in steps[i:])
        progress(f"step {i + 1}/{len(steps)}: {step.label}; about {left:.0f} s left")
        began = time.perf_counter()
        step.run()
        spent += time.perf_counter() - began
        estimated += step.estimate
    progress(f"all {len(steps)} steps done")
