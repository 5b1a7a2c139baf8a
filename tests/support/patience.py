"""How long a test waits for something that will happen: bounds set for a busy machine.

A test waits on an event (a reply, a frame, a process's health) and moves on the moment it comes;
a bound only decides when a test gives up. So the bounds are set for a loaded machine (a load
average of 8 on two cores, where a quiet machine's second can take ten), never for a quiet one.
``NEKO_TEST_PATIENCE`` multiplies them all, for a machine slower still.

These are never bounds a test asserts is *not* reached ("nothing arrives within 0.5 s"): those
stay short, because waiting longer for nothing only makes the suite slower.
"""

from __future__ import annotations

import os

SCALE = float(os.environ.get("NEKO_TEST_PATIENCE", "1"))


def bound(seconds: float) -> float:
    """``seconds``, scaled by ``NEKO_TEST_PATIENCE``."""
    return seconds * SCALE


REPLY = bound(30.0)  # a reply, an event or a frame that follows what the test did
START = bound(60.0)  # a server, a worker process, a desktop or a browser coming up
STOP = bound(30.0)  # a process or server going away once told to
