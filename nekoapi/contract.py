"""The contract file, ``spec/openapi.yaml``, parsed once per process.

The HTTP edge builds its routes from it and the WebSocket its event decoders, so it
sits at the ground floor where both can read it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"


@functools.lru_cache(maxsize=1)
def raw_spec() -> dict[str, Any]:
    """The spec as written; callers that change it copy it first."""
    with SPEC_PATH.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)  # type: ignore[no-any-return]
