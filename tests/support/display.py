"""Giving a test app the X display of the test X server."""

from __future__ import annotations

from dataclasses import dataclass

from nekoapi.services import Services


@dataclass
class FixedDisplay:
    """Stands in for ``services.desktop`` where a test needs only its display name."""

    display: str | None


def attach_display(services: Services, display: str | None) -> None:
    services.desktop = FixedDisplay(display)  # type: ignore[attr-defined]
