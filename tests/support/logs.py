"""Capturing what the server logs during a test."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def on_root_logger(handler: logging.Handler, level: int) -> Iterator[logging.Handler]:
    """``handler`` sees every record at ``level`` and above until the block ends."""
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
