"""Skipping a test for a missing outside resource, except on CI, where it must fail instead."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under ``CI=true`` a missing resource is a failure, never a silent skip."""
    if on_ci():
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)
